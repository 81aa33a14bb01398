/**
 * @module
 * Where shared state lives: rate-limit buckets, budget spend, stored values (Responses
 * conversation state) and, for a store shared by several relay instances, breaker
 * transitions. The in-memory store is the default; a
 * store that reaches another process (`switchyard/redis`) implements the same interface.
 * Every operation is atomic on its key, and may answer synchronously or with a promise.
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

/** One check of {@link Store.admit}: a {@link Store.take} or a {@link Store.reserve}, with their arguments. */
export type AdmitOp =
  | { op: 'take'; key: string; cost: number; capacity: number; windowMs: number }
  | { op: 'reserve'; key: string; amountUsd: number; capUsd: number; ttlMs: number };

/** A breaker verdict one relay instance shares with the others through a store. */
export interface BreakerTransition {
  /** The target's id, `provider/model`. */
  target: string;
  /** Only verdicts travel: each instance goes half-open on its own when the cooldown ends. */
  state: 'open' | 'closed';
  /** The instance that made the transition, so it can skip its own. */
  origin: string;
  /** How long ago it happened, by the store's clock (0 for a live message), in ms. */
  ageMs: number;
  /** True when read back on (re)connection rather than received as it happened. */
  replay: boolean;
}

/** What {@link Store.subscribeBreakers} calls. */
export interface BreakerSubscriber {
  /** A transition another instance published, or on (re)connection a breaker that is open. */
  transition(transition: BreakerTransition): void;
  /** The store is reachable (again) and its open breakers were replayed. */
  ready?(): void;
  /** The store's connection failed; the relay keeps its local state and reports it. */
  error?(err: Error): void;
}

/** The answer to {@link Store.acquireProbe}. */
export type ProbeClaim = { granted: true } | { granted: false; /** How long the holder's claim still lasts, in ms. */ heldMs: number };

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
  /**
   * Optional, for a store across a network: runs `ops` in order, as `take` and `reserve`
   * would one by one, stopping after the first that refuses; returns the results of
   * those it ran. One call instead of several: one round trip to Redis for a request's
   * caller limits and budgets.
   */
  admit?(ops: readonly AdmitOp[]): Awaitable<(BucketState | BudgetState)[]>;
  /**
   * Optional, for stores shared between relay instances: publishes a breaker's verdict to
   * the others. Breakers stay local objects; only their transitions travel.
   */
  publishBreaker?(transition: Omit<BreakerTransition, 'ageMs' | 'replay'>): Awaitable<void>;
  /**
   * Optional: delivers every transition published by any instance (the relay skips its
   * own), and on each (re)connection the breakers that are open. Returns the unsubscribe
   * function.
   */
  subscribeBreakers?(subscriber: BreakerSubscriber): () => void;
  /**
   * Optional: claims the single half-open probe of `target` for `owner` for `ttlMs` (the
   * probe's own time limit), so one instance probes a recovering target rather than all.
   * Granted again to the same owner; a published transition of the target (the probe's
   * verdict) ends the claim.
   */
  acquireProbe?(target: string, owner: string, ttlMs: number): Awaitable<ProbeClaim>;
  /** Optional: gives a probe claim back before it expires, if `owner` still holds it (the probe was abandoned). */
  releaseProbe?(target: string, owner: string): Awaitable<void>;
  /**
   * Optional: keeps a string `value` under `key` for `ttlMs` (replacing any), for state
   * such as stored Responses. A store may drop values early to stay within its bounds
   * (the memory store evicts the least recently used), so a reader must expect a miss.
   */
  putValue?(key: string, value: string, ttlMs: number): Awaitable<void>;
  /** Optional: the value under `key`, or undefined when absent or expired. */
  getValue?(key: string): Awaitable<string | undefined>;
  /** Optional: removes the value under `key`; resolves whether there was one. */
  deleteValue?(key: string): Awaitable<boolean>;
  /** Releases timers and connections the store owns (not a client the host passed in). */
  close?(): Awaitable<void>;
}
