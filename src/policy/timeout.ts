/**
 * @module
 * Cancellation plumbing: a child `AbortController` linked to a parent signal, with a
 * cleanup that removes the link, so per-attempt controllers never accumulate listeners.
 */

/** A controller that aborts when `parent` does; call `dispose()` in `finally`. */
export interface LinkedController {
  controller: AbortController;
  signal: AbortSignal;
  dispose(): void;
}

export function linkedController(parent: AbortSignal): LinkedController {
  const controller = new AbortController();
  if (parent.aborted) {
    controller.abort(parent.reason);
    return { controller, signal: controller.signal, dispose() {} };
  }
  const onAbort = () => controller.abort(parent.reason);
  parent.addEventListener('abort', onAbort, { once: true });
  return {
    controller,
    signal: controller.signal,
    dispose: () => parent.removeEventListener('abort', onAbort),
  };
}

/**
 * Aborts `controller` with `reason()` after `ms` unless cleared first. The timer is
 * unref'd: a pending deadline never keeps a host process alive on its own.
 */
export function abortAfter(controller: AbortController, ms: number, reason: () => unknown): () => void {
  const timer = setTimeout(() => controller.abort(reason()), ms);
  timer.unref();
  return () => clearTimeout(timer);
}
