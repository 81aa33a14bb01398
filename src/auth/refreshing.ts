/**
 * @module
 * A credential that expires (AWS keys, an OAuth token), fetched once and shared: every
 * request reads the cached value; shortly before it expires one background refresh
 * replaces it while requests keep using the old one, so a rotation never makes a request
 * wait or fail. Only when nothing valid is left do requests wait, all on the same fetch.
 */
import { CredentialsError } from './credentials-error.js';

/** A fetched credential and when it stops working (ms since the epoch, by the relay's clock). */
export interface Expiring<T> {
  value: T;
  /** Absent: valid until `ttlMs` from now (tokens whose lifetime is not told), or forever if `ttlMs` is Infinity. */
  expiresAt?: number;
}

export interface RefreshOptions<T> {
  /** What is fetched, for error messages (`AWS credentials`, `the Vertex token`). */
  what: string;
  now: () => number;
  /** Refresh this long before the expiry (at most half the remaining lifetime). */
  marginMs: number;
  /** Lifetime of a value fetched without an expiry. */
  ttlMs: number;
  /** A fetch slower than this fails, and the next request starts a new one. */
  timeoutMs: number;
  /** Told of each new value, so its secrets can be redacted. */
  onValue?: (value: T) => void;
}

interface Current<T> {
  value: T;
  refreshAt: number;
  expiresAt: number;
}

/** Rejects with `signal.reason` as soon as `signal` aborts; `promise` stays handled. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/** A cached, single-flight, refreshed-ahead credential. */
export class Refreshing<T> {
  #current: Current<T> | undefined;
  #pending: Promise<T> | undefined;

  constructor(
    private readonly load: () => Promise<Expiring<T>>,
    private readonly options: RefreshOptions<T>,
  ) {}

  /** The current value; waits (until `signal` aborts) only when none is valid. Rejects with {@link CredentialsError}. */
  get(signal: AbortSignal): Promise<T> {
    const now = this.options.now();
    const current = this.#current;
    if (current && now < current.refreshAt) return Promise.resolve(current.value);
    if (current && now < current.expiresAt) {
      // Due but still valid: refreshed in the background; a failure leaves it to the next request.
      this.refresh().catch(() => {});
      return Promise.resolve(current.value);
    }
    return abortable(this.refresh(), signal);
  }

  /** Forgets the cached value (the upstream refused it): the next request fetches anew. */
  invalidate(): void {
    this.#current = undefined;
  }

  private refresh(): Promise<T> {
    this.#pending ??= this.fetch().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  private async fetch(): Promise<T> {
    const { what, timeoutMs } = this.options;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CredentialsError(`${what} not obtained within ${timeoutMs} ms`)), timeoutMs);
      timer.unref();
    });
    let got: Expiring<T>;
    try {
      // race() handles a late rejection of the load as well.
      got = await Promise.race([Promise.resolve().then(this.load), timeout]);
    } catch (err) {
      throw err instanceof CredentialsError ? err : CredentialsError.from(what, err);
    } finally {
      clearTimeout(timer);
    }
    const now = this.options.now();
    const expiresAt = got.expiresAt ?? now + this.options.ttlMs;
    const margin = Math.min(this.options.marginMs, Math.max(0, (expiresAt - now) / 2));
    this.options.onValue?.(got.value);
    this.#current = { value: got.value, refreshAt: expiresAt - margin, expiresAt };
    return got.value;
  }
}
