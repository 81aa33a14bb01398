/**
 * @module
 * Corrections the store must take after a request (a budget settled with the real cost,
 * tokens given back): tried at once, and when the store fails, reported and retried in
 * the background with backoff, a bounded number of times. Nothing here is ever thrown
 * into a request: an answer already served is never undone by a store that fails later.
 */
import type { RelayEvents } from '../events.js';
import type { Awaitable } from '../store/store.js';

export class Settlement {
  private readonly pending = new Set<Promise<void>>();
  /** Retries waiting for their turn, with what `close()` does to each. */
  private readonly waiting = new Map<NodeJS.Timeout, () => void>();
  private closed = false;

  constructor(
    private readonly events: RelayEvents,
    /** Retries after a correction's first try failed, and the first wait (doubled each time). */
    private readonly retry: () => { attempts: number; baseDelayMs: number },
  ) {}

  /** Applies one correction; `run` is called again on each retry. */
  apply(operation: string, run: () => Awaitable<unknown>): void {
    this.attempt(operation, run, 0);
  }

  private attempt(operation: string, run: () => Awaitable<unknown>, retry: number): void {
    let result: Awaitable<unknown>;
    try {
      result = run();
    } catch (err) {
      return this.failed(operation, run, retry, err);
    }
    if (!isPromise(result)) return;
    const tracked: Promise<void> = result.then(
      () => {},
      (err: unknown) => this.failed(operation, run, retry, err),
    );
    this.track(tracked);
  }

  private failed(operation: string, run: () => Awaitable<unknown>, retry: number, err: unknown): void {
    const { attempts, baseDelayMs } = this.retry();
    const lost = this.closed || retry >= attempts;
    this.events.storeError({ operation, message: (err as Error)?.message ?? String(err), allowed: true, ...(lost ? { lost: true } : { retry: retry + 1 }) });
    if (lost) return;
    const later = new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(timer);
        this.attempt(operation, run, retry + 1);
        resolve();
      }, baseDelayMs * 2 ** retry);
      timer.unref();
      this.waiting.set(timer, () => {
        this.events.storeError({ operation, message: 'relay closed before the store took this correction', allowed: true, lost: true });
        resolve();
      });
    });
    this.track(later);
  }

  private track(p: Promise<void>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  /** Resolves once every correction started so far has landed or been given up. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /** Stops retrying: corrections still waiting are reported as lost. */
  close(): void {
    this.closed = true;
    for (const [timer, drop] of this.waiting) {
      clearTimeout(timer);
      drop();
    }
    this.waiting.clear();
  }
}

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
