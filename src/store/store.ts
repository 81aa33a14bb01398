/**
 * @module
 * Where shared state lives: rate-limit buckets and budget spend now, breaker state and
 * latency for a shared store later. The in-memory store is the default; a store that
 * reaches another process (Redis) implements the same interface. Every operation is
 * atomic on its key, and may answer synchronously or with a promise.
 */

/** A value, or a promise of one: the memory store answers at once, a network store later. */
export type Awaitable<T> = T | Promise<T>;

/** A token bucket after an operation. */
export interface BucketState {
  /** Whether the tokens were taken. */
  allowed: boolean;
  /** Tokens left (after taking, if allowed). */
  remaining: number;
  /** Milliseconds until the bucket is full again. */
  resetMs: number;
  /** Milliseconds until the requested tokens would be available (0 when allowed). */
  retryAfterMs: number;
}

/** A budget after an operation. */
export interface BudgetState {
  /** Whether the amount was reserved (always true for `settle`). */
  ok: boolean;
  /** Spent in this period, reservations included, in US$. */
  spentUsd: number;
}

export interface Store {
  /**
   * Token bucket of `capacity` tokens refilled evenly over `windowMs`: takes `cost`
   * tokens if that many are there.
   */
  take(key: string, cost: number, capacity: number, windowMs: number): Awaitable<BucketState>;
  /** Gives `amount` tokens back (negative: takes more, possibly below zero). */
  give(key: string, amount: number, capacity: number, windowMs: number): Awaitable<void>;
  /** Adds `amountUsd` to a budget if it stays within `capUsd`. The key expires after `ttlMs`. */
  reserve(key: string, amountUsd: number, capUsd: number, ttlMs: number): Awaitable<BudgetState>;
  /** Adds `deltaUsd` (the real cost minus what was reserved) unconditionally. */
  settle(key: string, deltaUsd: number, ttlMs: number): Awaitable<BudgetState>;
  /** Releases timers and connections the store owns (not a client the host passed in). */
  close?(): Awaitable<void>;
}
