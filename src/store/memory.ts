/**
 * @module
 * The default, in-process {@link Store}. State is lost on restart and not shared
 * between instances: use a shared store (`switchyard/redis`) for those. Expired keys are
 * swept by an unref'd timer, so memory stays bounded by the keys in use.
 */
import { DEFAULTS } from '../options.js';
import { BoundedValues, type ValueBounds } from './bounded-values.js';
import type { BucketState, BudgetState, Store } from './store.js';

interface Bucket {
  tokens: number;
  at: number;
}

interface Budget {
  spentUsd: number;
  expiresAt: number;
}

/** How often expired buckets and budgets are dropped. */
const SWEEP_MS = 60_000; // 1 min

/** Options of a {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * Most values kept by `putValue` (stored Responses and their item index); the least
   * recently used go first.
   * @default 10000
   */
  maxValues?: number;
  /**
   * Most bytes kept by `putValue`, all values together.
   * @default 67108864 (64 MiB)
   */
  maxValueBytes?: number;
}

export class MemoryStore implements Store {
  private readonly buckets = new Map<string, Bucket & { capacity: number; windowMs: number }>();
  private readonly budgets = new Map<string, Budget>();
  private readonly values: BoundedValues;
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly now: () => number = Date.now,
    options: MemoryStoreOptions = {},
  ) {
    const bounds: ValueBounds = {
      maxEntries: options.maxValues ?? DEFAULTS.store.maxValues,
      maxBytes: options.maxValueBytes ?? DEFAULTS.store.maxValueBytes,
    };
    this.values = new BoundedValues(bounds, now);
    this.sweeper = setInterval(() => this.sweep(), SWEEP_MS);
    this.sweeper.unref();
  }

  private refill(key: string, capacity: number, windowMs: number): Bucket {
    const now = this.now();
    let b = this.buckets.get(key);
    if (!b) {
      b = { tokens: capacity, at: now, capacity, windowMs };
      this.buckets.set(key, b);
      return b;
    }
    b.tokens = Math.min(capacity, b.tokens + ((now - b.at) * capacity) / windowMs);
    b.at = now;
    b.capacity = capacity;
    b.windowMs = windowMs;
    return b;
  }

  take(key: string, cost: number, capacity: number, windowMs: number): BucketState {
    const b = this.refill(key, capacity, windowMs);
    const rate = capacity / windowMs;
    const allowed = b.tokens >= cost;
    if (allowed) b.tokens -= cost;
    return {
      allowed,
      remaining: Math.max(0, Math.floor(b.tokens)),
      resetMs: Math.ceil((capacity - b.tokens) / rate),
      retryAfterMs: allowed ? 0 : Math.ceil((Math.min(cost, capacity) - b.tokens) / rate),
    };
  }

  give(key: string, amount: number, capacity: number, windowMs: number): void {
    const b = this.refill(key, capacity, windowMs);
    b.tokens = Math.min(capacity, b.tokens + amount);
  }

  reserve(key: string, amountUsd: number, capUsd: number, ttlMs: number): BudgetState {
    const b = this.budget(key, ttlMs);
    if (b.spentUsd + amountUsd > capUsd) return { ok: false, spentUsd: b.spentUsd };
    b.spentUsd += amountUsd;
    return { ok: true, spentUsd: b.spentUsd };
  }

  settle(key: string, deltaUsd: number, ttlMs: number): BudgetState {
    const b = this.budget(key, ttlMs);
    b.spentUsd = Math.max(0, b.spentUsd + deltaUsd);
    return { ok: true, spentUsd: b.spentUsd };
  }

  putValue(key: string, value: string, ttlMs: number): void {
    this.values.set(key, value, ttlMs);
  }

  getValue(key: string): string | undefined {
    return this.values.get(key);
  }

  deleteValue(key: string): boolean {
    return this.values.delete(key);
  }

  close(): void {
    clearInterval(this.sweeper);
  }

  private budget(key: string, ttlMs: number): Budget {
    const now = this.now();
    let b = this.budgets.get(key);
    if (!b || b.expiresAt <= now) {
      b = { spentUsd: 0, expiresAt: now + ttlMs };
      this.budgets.set(key, b);
    }
    return b;
  }

  private sweep(): void {
    const now = this.now();
    for (const [k, b] of this.budgets) if (b.expiresAt <= now) this.budgets.delete(k);
    this.values.sweep();
    // A bucket that has refilled completely holds no information.
    for (const [k, b] of this.buckets) if (b.tokens + ((now - b.at) * b.capacity) / b.windowMs >= b.capacity) this.buckets.delete(k);
  }
}
