/**
 * @module
 * The routing strategies: each turns a model's or chain's targets into the order the
 * engine tries them in. Breakers are not consulted here except by `weighted`, which
 * must not pick an open target first; the engine skips open targets anyway.
 */
import type { ResolvedModel, ResolvedTarget } from '../config.js';
import type { TargetStats } from './stats.js';

/** What a strategy may look at. */
export interface StrategyContext {
  stats: TargetStats;
  random: () => number;
  exploration: number;
  isOpen(target: ResolvedTarget): boolean;
  /** Estimated price of this request on a target in US$, or undefined when unknown. */
  cost(target: ResolvedTarget): number | undefined;
}

/** A random order in which each target's chance to come next is proportional to its weight. */
function weightedOrder(targets: ResolvedTarget[], random: () => number): ResolvedTarget[] {
  const pool = targets.filter((t) => t.weight > 0);
  const out: ResolvedTarget[] = [];
  while (pool.length > 0) {
    const total = pool.reduce((sum, t) => sum + t.weight, 0);
    let pick = random() * total;
    let i = 0;
    while (i < pool.length - 1 && pick >= pool[i]!.weight) pick -= pool[i++]!.weight;
    out.push(pool.splice(i, 1)[0]!);
  }
  // Zero-weight targets are fallbacks of last resort, in their configured order.
  return out.concat(targets.filter((t) => t.weight <= 0));
}

function stableSort(targets: ResolvedTarget[], score: (t: ResolvedTarget) => number): ResolvedTarget[] {
  return targets
    .map((t, i) => ({ t, i, s: score(t) }))
    .sort((a, b) => a.s - b.s || a.i - b.i)
    .map((e) => e.t);
}

/** The order in which to try `model`'s targets for one request. */
export function orderTargets(model: ResolvedModel, ctx: StrategyContext): ResolvedTarget[] {
  const { targets } = model;
  if (targets.length < 2) return targets;
  switch (model.strategy) {
    case 'ordered':
      return targets;
    case 'weighted': {
      const closed = targets.filter((t) => !ctx.isOpen(t));
      return weightedOrder(closed, ctx.random).concat(targets.filter((t) => ctx.isOpen(t)));
    }
    case 'latency': {
      // Targets never measured go first: their latency is worth learning.
      const order = stableSort(targets, (t) => ctx.stats.get(t).ewmaMs ?? -1);
      if (ctx.random() < ctx.exploration) {
        const i = 1 + Math.floor(ctx.random() * (order.length - 1));
        order.unshift(order.splice(i, 1)[0]!);
      }
      return order;
    }
    case 'cost':
      return stableSort(targets, (t) => ctx.cost(t) ?? Number.POSITIVE_INFINITY);
    case 'least-busy':
      return stableSort(targets, (t) => ctx.stats.get(t).inFlight);
  }
}
