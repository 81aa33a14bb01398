/**
 * @module
 * One request/response pair on the mock's side of the wire. It owns the
 * AbortSignal that ends every delay of that response, and remembers whether
 * the mock itself cut the connection, so that only clients that hang up are
 * counted as having abandoned a request.
 */
import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

/** The mock's handle on one response in flight. */
export class Exchange {
  /** True once the mock cut the connection on purpose (a fault, not the client). */
  cutByServer = false;
  readonly #controller = new AbortController();

  constructor(readonly res: ServerResponse) {}

  /** Aborted when the connection closes or the server shuts down. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** End every pending delay of this response; later writes are refused. */
  abort(): void {
    this.#controller.abort();
  }

  /** Wait `ms`, or reject with an AbortError as soon as the exchange ends (the timer is cleared). */
  async sleep(ms: number): Promise<void> {
    this.signal.throwIfAborted();
    if (ms > 0) await sleep(ms, undefined, { signal: this.signal });
  }

  /** Resolve only when the exchange ends: the client left or the server closed. */
  hang(): Promise<void> {
    if (this.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => this.signal.addEventListener('abort', () => resolve(), { once: true }));
  }

  /**
   * Write one piece as its own `write()` and wait until it has reached the
   * OS, so a `cut()` that follows cannot drop bytes still queued in Node.
   */
  async write(chunk: string | Buffer): Promise<void> {
    this.signal.throwIfAborted();
    await new Promise<void>((resolve, reject) => {
      // A destroyed socket may never call back; the abort settles us instead.
      const onAbort = () => reject(this.signal.reason);
      this.signal.addEventListener('abort', onAbort, { once: true });
      this.res.write(chunk, (err) => {
        this.signal.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve();
      });
    });
  }

  /** Send the status line and headers now, before any body byte. */
  head(status: number, headers: Record<string, string | number>): void {
    this.res.writeHead(status, headers);
    this.res.flushHeaders();
  }

  /** Reset the connection (RST), as a crashed proxy or a killed upstream would. */
  resetConnection(): void {
    this.cutByServer = true;
    this.res.socket?.resetAndDestroy();
    this.res.destroy();
  }

  /** Destroy the socket mid-response, so the client's body read fails. */
  cut(): void {
    this.cutByServer = true;
    this.res.destroy();
  }
}
