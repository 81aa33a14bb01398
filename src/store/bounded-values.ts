/**
 * @module
 * String values in memory, bounded three ways: each expires after its own time to live,
 * and the least recently used go first when there are more than `maxEntries` of them or
 * they hold more than `maxBytes`. The in-memory side of {@link Store.putValue}.
 */

interface Entry {
  value: string;
  bytes: number;
  expiresAt: number;
}

/** Bounds of a {@link BoundedValues}. */
export interface ValueBounds {
  /** Most values kept. */
  maxEntries: number;
  /** Most bytes kept (UTF-16 length × 2 plus the key, an upper bound of what V8 holds). */
  maxBytes: number;
}

export class BoundedValues {
  // Map order is insertion order: re-inserting on read keeps the least recently used first.
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  constructor(
    private readonly bounds: ValueBounds,
    private readonly now: () => number = Date.now,
  ) {}

  /** Keeps `value` for `ttlMs`; a value larger than `maxBytes` by itself is not kept. Returns whether it was. */
  set(key: string, value: string, ttlMs: number): boolean {
    this.delete(key);
    const bytes = (key.length + value.length) * 2;
    if (bytes > this.bounds.maxBytes) return false;
    this.entries.set(key, { value, bytes, expiresAt: this.now() + ttlMs });
    this.bytes += bytes;
    for (const [k] of this.entries) {
      if (this.entries.size <= this.bounds.maxEntries && this.bytes <= this.bounds.maxBytes) break;
      this.delete(k);
    }
    return true;
  }

  /** The value, if present and not expired (counted as recently used). */
  get(key: string): string | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.delete(key);
      return undefined;
    }
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Removes a value; returns whether it was there (expired values count as absent). */
  delete(key: string): boolean {
    const entry = this.entries.get(key);
    if (!entry) return false;
    this.entries.delete(key);
    this.bytes -= entry.bytes;
    return entry.expiresAt > this.now();
  }

  /** Drops every expired value. */
  sweep(): void {
    const now = this.now();
    for (const [k, e] of this.entries) if (e.expiresAt <= now) this.delete(k);
  }

  get size(): number {
    return this.entries.size;
  }

  get byteSize(): number {
    return this.bytes;
  }
}
