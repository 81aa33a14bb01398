/**
 * @module
 * The requests in flight, so that shutdown can wait for them (drain) and then abort
 * what is left.
 */

/** A set of in-flight requests' controllers that says when it becomes empty. */
export class InFlight extends Set<AbortController> {
  private waiters: (() => void)[] = [];

  override delete(controller: AbortController): boolean {
    const removed = super.delete(controller);
    if (this.size === 0 && this.waiters.length > 0) {
      for (const resolve of this.waiters.splice(0)) resolve();
    }
    return removed;
  }

  /** Resolves when nothing is in flight, or after `ms`, whichever comes first. */
  idle(ms: number): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.waiters.push(done);
    });
  }
}
