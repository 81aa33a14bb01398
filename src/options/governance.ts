/**
 * @module
 * Governance options: callers, rate limits, budgets and the response cache. Defaults live in `DEFAULTS` (`options.ts`).
 */
import type { IncomingMessage } from 'node:http';

/**
 * Requests and tokens per minute, as token buckets refilled evenly over a minute. Tokens
 * are estimated before the call (prompt) and corrected with the real usage after it.
 */
export interface RateLimit {
  requestsPerMinute?: number;
  tokensPerMinute?: number;
}

/**
 * A spending cap in US$ over a calendar period (UTC). The estimated cost is reserved
 * before a call and settled with the real usage after it, so concurrent requests cannot
 * overshoot the cap by more than their estimates' error.
 */
export interface Budget {
  usd: number;
  period: 'day' | 'month';
}

/** Who is calling, and what each caller may do. */
export interface CallerOptions {
  /**
   * The caller's identity, from the host's own auth (a user id, an API key's id, a
   * tenant). Requests without one are not limited per caller. Use an id, not a secret:
   * it appears in `rateLimited` and `budgetExceeded` events.
   */
  key: (req: IncomingMessage) => string | undefined;
  /** Per-caller limits: over them the client gets 429 with `Retry-After` and `x-ratelimit-*` headers. */
  rateLimit?: RateLimit;
  /** Per-caller spending cap: over it the client gets 402 naming the budget. */
  budget?: Budget;
}

/** The exact-match response cache for non-streaming requests. */
export interface CacheOptions {
  /**
   * Cache requests whatever their `temperature`. By default only deterministic ones
   * (`temperature: 0`) are cached.
   * @default false
   */
  anyTemperature?: boolean;
  /** @default 1000 */
  maxEntries?: number;
  /** @default 67108864 (64 MiB) */
  maxBytes?: number;
  /** @default 600000 (10 min) */
  ttlMs?: number;
  /**
   * When every target failed, answer from the cache (marked `x-switchyard-cache: stale`)
   * if the same request was answered before, however old the entry.
   * @default false
   */
  staleIfError?: boolean;
}
