/**
 * @module
 * Hedged requests: if the first target has not answered after `afterMs`, the second is
 * started too; the first success wins and the other attempt is aborted (its socket is
 * destroyed, so nobody pays for an answer nobody reads). A hedge costs the extra upstream
 * calls it starts: at `afterMs` = the p95 latency, about 5% more requests.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { AttemptResult } from '../attempt.js';
import type { ResolvedTarget } from '../config.js';
import type { ChainSuccess, HedgeHost } from '../engine.js';

/** Abort reason of the attempt that lost the race. */
export class HedgeLost extends Error {
  constructor() {
    super('another hedged attempt answered first');
  }
}

type Settled = { ok: true; result: AttemptResult } | { ok: false; reason: unknown };

interface Racer {
  target: ResolvedTarget;
  link: { controller: AbortController; dispose(): void };
  settled: Promise<Settled>;
}

function start(host: HedgeHost, target: ResolvedTarget, hedge = false): Racer {
  const link = host.child();
  const settled = host.once(target, 'pass', 1, link.signal, hedge).then(
    (result): Settled => ({ ok: true, result }),
    (reason): Settled => ({ ok: false, reason }),
  );
  return { target, link, settled };
}

/** Keeps the winner's signal link alive as long as its stream, and drops it otherwise. */
function won(racer: Racer, result: Extract<AttemptResult, { ok: true }>): ChainSuccess {
  if (result.stream) {
    const dispose = result.committed.dispose;
    result.committed.dispose = () => {
      dispose?.();
      racer.link.dispose();
    };
  } else {
    racer.link.dispose();
  }
  return { ...result, target: racer.target };
}

function cancel(racers: Racer[]): void {
  for (const r of racers) {
    r.link.controller.abort(new HedgeLost());
    void r.settled.then(() => r.link.dispose());
  }
}

/**
 * Runs the first one or two targets as a hedge. Resolves with the winner, or with the
 * index in the order where the chain goes on (1 when the first failed before the hedge
 * started, 2 when both failed; 0 when no hedge was possible).
 */
export async function hedged(
  host: HedgeHost,
  first: ResolvedTarget,
  second: ResolvedTarget,
  afterMs: number | 'p95',
): Promise<{ success?: ChainSuccess; next: number }> {
  const wait = afterMs === 'p95' ? host.stats.quantile(first, 0.95) : afterMs;
  // Hedging needs a latency to wait for and two targets that are plainly healthy.
  if (wait === undefined || host.breakerOf(first).state !== 'closed' || host.breakerOf(second).state !== 'closed') return { next: 0 };

  const racers = [start(host, first)];
  const timer = new AbortController();
  const hedge = delay(Math.max(0, Math.round(wait)), 'hedge' as const, { signal: timer.signal }).catch(() => 'hedge' as const);
  const early = await Promise.race([racers[0]!.settled, hedge]);
  timer.abort();
  if (early === 'hedge') racers.push(start(host, second, true));

  while (racers.length > 0) {
    const { racer, settled } = await Promise.race(racers.map((r) => r.settled.then((s) => ({ racer: r, settled: s }))));
    racers.splice(racers.indexOf(racer), 1);
    if (!settled.ok) {
      // The client left or the deadline passed: the others go too.
      cancel(racers);
      racer.link.dispose();
      throw settled.reason;
    }
    const { result } = settled;
    if (result.ok) {
      cancel(racers);
      return { success: won(racer, result), next: 0 };
    }
    racer.link.dispose();
    try {
      host.assess(racer.target, result, 'pass');
    } catch (err) {
      cancel(racers);
      throw err;
    }
  }
  if (early !== 'hedge') {
    host.failover(first, second);
    return { next: 1 };
  }
  return { next: 2 };
}
