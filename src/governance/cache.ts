/**
 * @module
 * Exact-match response cache for non-streaming requests: the key is a hash of the
 * normalised body (keys sorted) and the model or chain it was routed by. Only
 * deterministic requests (`temperature: 0`, and embeddings) are cached unless the host opts
 * in. LRU with an entry count, a byte limit and a time to live. With `staleIfError`,
 * expired entries stay until evicted so a request that fails everywhere can still be
 * answered from them.
 */
import { createHash } from 'node:crypto';
import type { ResolvedCache } from '../config/resolved.js';
import type { FormatName } from '../formats/format.js';
import type { Usage } from '../providers/provider.js';

/** A cached answer. */
export interface CacheEntry {
  body: Buffer;
  provider: string;
  upstreamModel: string;
  usage?: Usage;
  expiresAt: number;
}

/** JSON with object keys sorted, so `{a,b}` and `{b,a}` are one request. */
function normalise(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(normalise).join(',')}]`;
  if (value && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${normalise((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export class ResponseCache {
  private readonly entries = new Map<string, CacheEntry>();
  private bytes = 0;

  constructor(
    private readonly options: ResolvedCache,
    private readonly now: () => number,
  ) {}

  /** The cache key of a request, or undefined when it must not be cached. */
  key(format: FormatName, routedBy: string, body: Record<string, unknown>): string | undefined {
    if (format !== 'embeddings' && !this.options.anyTemperature && body.temperature !== 0) return undefined;
    // A conversation continued by id depends on stored state, not on the body alone.
    if (body.previous_response_id !== undefined && body.previous_response_id !== null) return undefined;
    const endpoint = format;
    return createHash('sha256').update(endpoint).update('\0').update(routedBy).update('\0').update(normalise(body)).digest('base64');
  }

  /** A fresh entry (counted as recently used), or undefined. */
  get(key: string): CacheEntry | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      if (!this.options.staleIfError) this.delete(key);
      return undefined;
    }
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry;
  }

  /** Any entry, expired or not: for `staleIfError`. */
  stale(key: string): CacheEntry | undefined {
    return this.options.staleIfError ? this.entries.get(key) : undefined;
  }

  set(key: string, entry: Omit<CacheEntry, 'expiresAt'>): void {
    if (entry.body.length > this.options.maxBytes) return;
    this.delete(key);
    this.entries.set(key, { ...entry, expiresAt: this.now() + this.options.ttlMs });
    this.bytes += entry.body.length;
    // Map order is insertion order: the first keys are the least recently used.
    for (const [k] of this.entries) {
      if (this.entries.size <= this.options.maxEntries && this.bytes <= this.options.maxBytes) break;
      this.delete(k);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  private delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.bytes -= entry.body.length;
    this.entries.delete(key);
  }
}
