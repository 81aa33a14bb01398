/**
 * @module
 * Hedged requests: if the first target has not answered after `afterMs`, the second is
 * started too; the first success wins and the other attempt is aborted (its socket is
 * destroyed, so nobody pays for an answer nobody reads). Both go through the target
 * pipeline like any attempt: a drained provider, an open breaker, a target over its
 * limits or budget is not hedged to. A hedge costs the extra upstream calls it starts:
 * at `afterMs` = the p95 latency, about 5% more requests.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { ResolvedTarget } from '../config.js';
import { linkedController, type LinkedController } from '../policy/timeout.js';
import type { ChainRequest, EngineRuntime } from './runtime.js';
import type { Success, TargetOutcome, TargetPipeline } from './target.js';

/** What a hedge needs from the chain that runs it. */
export interface HedgeHost {
  readonly rt: EngineRuntime;
  readonly req: ChainRequest;
  readonly pipeline: TargetPipeline;
  /** Keeps what the chain must know of a failed or skipped racer. */
  note(outcome: Exclude<TargetOutcome, { type: 'success' }>): void;
  failover(from: ResolvedTarget, to: ResolvedTarget | undefined): void;
}

/** Abort reason of the attempt that lost the race. */
export class HedgeLost extends Error {
  constructor() {
    super('another hedged attempt answered first');
  }
}

type Settled = { ok: true; outcome: TargetOutcome } | { ok: false; reason: unknown };

interface Racer {
  target: ResolvedTarget;
  link: LinkedController;
  settled: Promise<Settled>;
}

function start(host: HedgeHost, target: ResolvedTarget, cause: 'first' | 'hedge'): Racer {
  const link = linkedController(host.req.signal);
  const settled = host.pipeline.run(target, 1, link.signal, cause).then(
    (outcome): Settled => ({ ok: true, outcome }),
    (reason): Settled => ({ ok: false, reason }),
  );
  return { target, link, settled };
}

/** Keeps the winner's signal link alive as long as its stream, and drops it otherwise. */
function won(racer: Racer, success: Success): Success {
  if (success.stream) {
    const dispose = success.committed.dispose;
    success.committed.dispose = () => {
      dispose?.();
      racer.link.dispose();
    };
  } else {
    racer.link.dispose();
  }
  return success;
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
 * started, 2 when both were tried; 0 when no hedge was possible).
 */
export async function hedged(
  host: HedgeHost,
  first: ResolvedTarget,
  second: ResolvedTarget,
  afterMs: number | 'p95',
): Promise<{ success?: Success; next: number }> {
  const wait = afterMs === 'p95' ? host.rt.stats.quantile(first, 0.95) : afterMs;
  if (wait === undefined) return { next: 0 };

  const racers = [start(host, first, 'first')];
  const timer = new AbortController();
  const hedge = delay(Math.max(0, Math.round(wait)), 'hedge' as const, { signal: timer.signal }).catch(() => 'hedge' as const);
  const early = await Promise.race([racers[0]!.settled, hedge]);
  timer.abort();
  if (early === 'hedge') racers.push(start(host, second, 'hedge'));

  while (racers.length > 0) {
    const { racer, settled } = await Promise.race(racers.map((r) => r.settled.then((s) => ({ racer: r, settled: s }))));
    racers.splice(racers.indexOf(racer), 1);
    if (!settled.ok) {
      // The client left, the deadline passed, or the rules said to return an upstream's answer.
      cancel(racers);
      racer.link.dispose();
      throw settled.reason;
    }
    const { outcome } = settled;
    if (outcome.type === 'success') {
      cancel(racers);
      return { success: won(racer, outcome.success), next: 0 };
    }
    racer.link.dispose();
    host.note(outcome);
  }
  if (early !== 'hedge') {
    host.failover(first, second);
    return { next: 1 };
  }
  return { next: 2 };
}
