/**
 * @module
 * Live statistics for `/stats`, `/health` and the dashboard, gathered from the relay's
 * own events: per target, attempts, errors, failovers, tokens, spend and latency in 10 s
 * buckets over the last 5 minutes. Memory is fixed per target. It subscribes only when
 * first asked for, so a relay without these routes pays nothing.
 */
import type { RelayEvents } from '../events.js';
import type { TargetStatus } from '../relay-types.js';
import type { AlertEvent } from './alerts/types.js';
import type { AnalyticsSnapshot } from './request-log/analytics.js';

const BUCKET_MS = 10_000; // 10 s
const BUCKETS = 30; // 5 min
/** Latency samples kept per bucket for percentiles. */
const SAMPLES = 128;

interface Bucket {
  t: number;
  attempts: number;
  errors: number;
  latencies: number[];
}

interface TargetTotals {
  attempts: number;
  errors: number;
  failovers: number;
  served: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  buckets: Bucket[];
}

/** One target in `/stats`. */
export interface TargetStats {
  id: string;
  provider: string;
  model: string;
  breaker: string;
  failures: number;
  inFlight: number;
  latencyMs: { ewma: number | null; p50: number | null; p95: number | null };
  attempts: number;
  errors: number;
  failovers: number;
  served: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  series: { t: number; attempts: number; errors: number; p50: number | null; p95: number | null }[];
}

/** The `/stats` document. */
export interface StatsSnapshot {
  startedAt: number;
  now: number;
  inFlight: number;
  totals: { requests: number; errors: number; failovers: number; promptTokens: number; completionTokens: number; costUsd: number; cacheHits: number };
  targets: TargetStats[];
  /** Served-by-position per chain and spend per model, target and caller (when the request log runs). */
  analytics?: AnalyticsSnapshot;
  /** Alerts firing now (when alerts are configured). */
  alerts?: AlertEvent[];
}

/** The `/health` document. */
export interface HealthSnapshot {
  /** `degraded` too while an alert fires. */
  status: 'ok' | 'degraded' | 'down';
  targets: { id: string; provider: string; model: string; breaker: string; latencyMs: number | null; errorRate: number | null; inFlight: number }[];
  /** Alerts firing now (when alerts are configured). */
  alerts?: AlertEvent[];
}

function quantile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export class StatsCollector {
  private readonly byTarget = new Map<string, TargetTotals>();
  private readonly totals = { requests: 0, errors: 0, failovers: 0, promptTokens: 0, completionTokens: 0, costUsd: 0, cacheHits: 0 };
  private readonly startedAt: number;

  constructor(
    events: RelayEvents,
    private readonly now: () => number,
  ) {
    this.startedAt = now();
    events.on('attempt', (e) => {
      if (e.outcome === 'skipped' || e.outcome === 'cancelled') return;
      const t = this.target(`${e.provider}/${e.upstreamModel}`);
      const b = this.bucket(t);
      t.attempts++;
      b.attempts++;
      if (e.outcome === 'ok') {
        if (b.latencies.length < SAMPLES) b.latencies.push(e.latencyMs);
        else b.latencies[Math.floor(Math.random() * SAMPLES)] = e.latencyMs;
      } else {
        t.errors++;
        b.errors++;
      }
    });
    events.on('failover', (e) => {
      this.totals.failovers++;
      this.target(`${e.from.provider}/${e.from.model}`).failovers++;
    });
    events.on('complete', (e) => {
      this.totals.requests++;
      if (e.cached) {
        this.totals.cacheHits++;
        return;
      }
      const t = this.target(`${e.provider}/${e.upstreamModel}`);
      t.served++;
      if (e.usage) {
        t.promptTokens += e.usage.prompt_tokens;
        t.completionTokens += e.usage.completion_tokens;
        this.totals.promptTokens += e.usage.prompt_tokens;
        this.totals.completionTokens += e.usage.completion_tokens;
      }
      if (e.costUsd !== undefined) {
        t.costUsd += e.costUsd;
        this.totals.costUsd += e.costUsd;
      }
    });
    events.on('error', () => {
      this.totals.requests++;
      this.totals.errors++;
    });
  }

  private target(id: string): TargetTotals {
    let t = this.byTarget.get(id);
    if (!t) {
      t = { attempts: 0, errors: 0, failovers: 0, served: 0, promptTokens: 0, completionTokens: 0, costUsd: 0, buckets: [] };
      this.byTarget.set(id, t);
    }
    return t;
  }

  private bucket(t: TargetTotals): Bucket {
    const start = Math.floor(this.now() / BUCKET_MS) * BUCKET_MS;
    const last = t.buckets.at(-1);
    if (last && last.t === start) return last;
    const b: Bucket = { t: start, attempts: 0, errors: 0, latencies: [] };
    t.buckets.push(b);
    while (t.buckets.length > BUCKETS || (t.buckets.length > 0 && t.buckets[0]!.t <= start - BUCKETS * BUCKET_MS)) t.buckets.shift();
    return b;
  }

  /** The `/stats` document for `targets` (from `relay.targets()`). */
  snapshot(targets: TargetStatus[], inFlight: number): StatsSnapshot {
    const now = this.now();
    const since = now - BUCKETS * BUCKET_MS;
    return {
      startedAt: this.startedAt,
      now,
      inFlight,
      totals: { ...this.totals },
      targets: targets.map((status) => {
        const id = `${status.provider}/${status.model}`;
        const t = this.target(id);
        const recent = t.buckets.filter((b) => b.t > since);
        const all = recent.flatMap((b) => b.latencies).sort((a, b) => a - b);
        return {
          id,
          provider: status.provider,
          model: status.model,
          breaker: status.breaker.state,
          failures: status.breaker.failures,
          inFlight: status.inFlight,
          latencyMs: { ewma: status.latencyMs ?? null, p50: quantile(all, 0.5), p95: quantile(all, 0.95) },
          attempts: t.attempts,
          errors: t.errors,
          failovers: t.failovers,
          served: t.served,
          promptTokens: t.promptTokens,
          completionTokens: t.completionTokens,
          costUsd: t.costUsd,
          series: recent.map((b) => {
            const sorted = [...b.latencies].sort((x, y) => x - y);
            return { t: b.t, attempts: b.attempts, errors: b.errors, p50: quantile(sorted, 0.5), p95: quantile(sorted, 0.95) };
          }),
        };
      }),
    };
  }

  /** The `/health` document: `down` when no target can take traffic, `degraded` when some cannot. */
  health(targets: TargetStatus[]): HealthSnapshot {
    const since = this.now() - BUCKETS * BUCKET_MS;
    const rows = targets.map((status) => {
      const recent = this.target(`${status.provider}/${status.model}`).buckets.filter((b) => b.t > since);
      const attempts = recent.reduce((n, b) => n + b.attempts, 0);
      const errors = recent.reduce((n, b) => n + b.errors, 0);
      return {
        id: `${status.provider}/${status.model}`,
        provider: status.provider,
        model: status.model,
        breaker: status.breaker.state,
        latencyMs: status.latencyMs ?? null,
        errorRate: attempts === 0 ? null : errors / attempts,
        inFlight: status.inFlight,
      };
    });
    const open = rows.filter((r) => r.breaker === 'open').length;
    return { status: open === 0 ? 'ok' : open === rows.length ? 'down' : 'degraded', targets: rows };
  }
}
