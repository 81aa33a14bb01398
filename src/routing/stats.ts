/**
 * @module
 * Per-target statistics the routing strategies read: an EWMA of time to first byte,
 * a small window of recent samples for percentiles (hedging's `p95`), and requests in
 * flight. Memory per target is fixed.
 */
import type { ResolvedTarget } from '../config.js';
import { DEFAULTS } from '../options.js';

/** Recent samples kept per target for percentiles. */
const WINDOW = 64;

/** What the relay knows about one target's recent behaviour. */
export interface TargetStat {
  /** EWMA of time to first byte in ms, or undefined before the first sample. */
  ewmaMs: number | undefined;
  /** Requests (streams included) currently in flight. */
  inFlight: number;
  samples: Float64Array;
  count: number;
}

export class TargetStats {
  private readonly byId = new Map<string, TargetStat>();

  get(target: ResolvedTarget): TargetStat {
    let stat = this.byId.get(target.id);
    if (!stat) {
      stat = { ewmaMs: undefined, inFlight: 0, samples: new Float64Array(WINDOW), count: 0 };
      this.byId.set(target.id, stat);
    }
    return stat;
  }

  /** Records a time to first byte (or the time a failed attempt took). */
  latency(target: ResolvedTarget, ms: number): void {
    const stat = this.get(target);
    const alpha = DEFAULTS.routing.ewmaAlpha;
    stat.ewmaMs = stat.ewmaMs === undefined ? ms : alpha * ms + (1 - alpha) * stat.ewmaMs;
    stat.samples[stat.count % WINDOW] = ms;
    stat.count++;
  }

  /** The `q` quantile (0..1) of the recent samples, or undefined with fewer than 5. */
  quantile(target: ResolvedTarget, q: number): number | undefined {
    const stat = this.get(target);
    const n = Math.min(stat.count, WINDOW);
    if (n < 5) return undefined;
    const sorted = Array.from(stat.samples.subarray(0, n)).sort((a, b) => a - b);
    return sorted[Math.min(n - 1, Math.ceil(q * n) - 1)];
  }

  /** Marks a request started on `target`; call the returned function once when it ends. */
  begin(target: ResolvedTarget): () => void {
    const stat = this.get(target);
    stat.inFlight++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      stat.inFlight--;
    };
  }
}
