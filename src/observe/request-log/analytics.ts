/**
 * @module
 * Running totals over every finished request since the log started (not only the ones
 * the ring still holds): which position of each chain served, minute by minute over the
 * last hour, and spend per public model, target and caller.
 */
import type { RequestRecord } from './record.js';

const BUCKET_MS = 60_000; // 1 min
const BUCKETS = 60; // 1 h
/** Distinct callers counted by name; the rest are summed as `(other)`, so memory stays bounded. */
const MAX_CALLERS = 1_000;

/** Served-by-position counts of one chain. */
export interface ChainAnalytics {
  /** The chain's targets, in configured order. */
  targets: string[];
  /** Requests served by each position since the start; the last entry counts failures. */
  served: number[];
  /** The same per minute over the last hour (minutes without traffic left out). */
  series: { t: number; served: number[] }[];
}

/** The `analytics` part of `/stats`. */
export interface AnalyticsSnapshot {
  chains: Record<string, ChainAnalytics>;
  cost: { byModel: Record<string, number>; byTarget: Record<string, number>; byCaller: Record<string, number> };
}

export class Analytics {
  private readonly chains = new Map<string, { targets: string[]; served: number[]; series: { t: number; served: number[] }[] }>();
  private readonly byModel = new Map<string, number>();
  private readonly byTarget = new Map<string, number>();
  private readonly byCaller = new Map<string, number>();

  add(r: RequestRecord): void {
    if (r.status === 'abandoned') return this.spend(r);
    let chain = this.chains.get(r.model);
    if (!chain || chain.targets.join() !== r.chain.join()) {
      chain = { targets: r.chain, served: new Array<number>(r.chain.length + 1).fill(0), series: [] };
      this.chains.set(r.model, chain);
    }
    // A failure, or an answer from outside the chain (the cache), is counted in the last slot.
    const slot = r.status === 'ok' && r.position !== undefined && !r.cache ? r.position : chain.targets.length;
    chain.served[slot]!++;
    const t = Math.floor(r.time / BUCKET_MS) * BUCKET_MS;
    let bucket = chain.series.at(-1);
    if (!bucket || bucket.t !== t) {
      bucket = { t, served: new Array<number>(chain.targets.length + 1).fill(0) };
      chain.series.push(bucket);
      while (chain.series.length > 0 && chain.series[0]!.t <= t - BUCKETS * BUCKET_MS) chain.series.shift();
    }
    bucket.served[slot]!++;
    this.spend(r);
  }

  private spend(r: RequestRecord): void {
    if (!r.costUsd) return;
    const add = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + r.costUsd!);
    add(this.byModel, r.model);
    if (r.servedBy) add(this.byTarget, r.servedBy);
    const caller = r.caller ?? '(none)';
    add(this.byCaller, this.byCaller.has(caller) || this.byCaller.size < MAX_CALLERS ? caller : '(other)');
  }

  snapshot(): AnalyticsSnapshot {
    const chains: Record<string, ChainAnalytics> = {};
    for (const [name, c] of this.chains) chains[name] = { targets: c.targets, served: [...c.served], series: c.series.map((b) => ({ t: b.t, served: [...b.served] })) };
    return {
      chains,
      cost: { byModel: Object.fromEntries(this.byModel), byTarget: Object.fromEntries(this.byTarget), byCaller: Object.fromEntries(this.byCaller) },
    };
  }
}
