/**
 * @module
 * Runs one hook under its time budget: a hook that throws or does not settle in time
 * fails the request with `hook_failed`, naming it; its signal aborts so its own work stops.
 */
import { HookFailedError } from '../errors/index.js';
import type { HookContext } from './types.js';

/**
 * Calls `fn` with a context whose signal aborts after `timeoutMs` or with `parent`.
 * Resolves with its result, or rejects with a {@link HookFailedError}.
 */
export async function runHook<T>(name: string, timeoutMs: number, parent: AbortSignal, base: Omit<HookContext, 'signal'>, fn: (ctx: HookContext) => T | Promise<T>): Promise<T> {
  const own = new AbortController();
  const onParent = () => own.abort(parent.reason);
  if (parent.aborted) own.abort(parent.reason);
  else parent.addEventListener('abort', onParent, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const overrun = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      own.abort(new HookFailedError(name, `did not finish within ${timeoutMs} ms`));
      reject(own.signal.reason);
    }, timeoutMs);
  });
  try {
    return await Promise.race([Promise.resolve().then(() => fn({ ...base, signal: own.signal })), overrun]);
  } catch (err) {
    if (err instanceof HookFailedError) throw err;
    if (parent.aborted) throw parent.reason;
    throw new HookFailedError(name, 'threw an error', err);
  } finally {
    clearTimeout(timer);
    parent.removeEventListener('abort', onParent);
  }
}
