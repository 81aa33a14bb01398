/**
 * @module
 * Retry policy: exponential backoff with full jitter, `Retry-After` parsing, and an
 * abortable sleep (a client that leaves or a deadline that passes ends the wait at once).
 */
import { setTimeout as sleepFor } from 'node:timers/promises';
import type { ResolvedRetry } from '../config.js';

/**
 * Delay before retry number `retry` (1 for the first retry): a random time in
 * `[0, min(maxDelayMs, baseDelayMs * 2^(retry-1))]`, "full jitter", so that many
 * clients retrying the same outage do not arrive in waves.
 */
export function backoffDelay(options: ResolvedRetry, retry: number, random: () => number): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (retry - 1));
  return Math.floor(random() * ceiling);
}

/**
 * Parses a `Retry-After` header (delta-seconds or an HTTP date) into milliseconds from
 * `now`. Returns `undefined` when absent or unreadable.
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || raw === '') return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(raw)) return Math.round(Number(raw) * 1000);
  const date = Date.parse(raw);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Sleeps `ms`, rejecting with the signal's reason as soon as `signal` aborts. */
export async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) {
    signal.throwIfAborted();
    return;
  }
  try {
    await sleepFor(ms, undefined, { signal });
  } catch {
    // timers/promises rejects with its own AbortError; the caller wants the reason.
    signal.throwIfAborted();
  }
}
