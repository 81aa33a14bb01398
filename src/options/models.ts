/**
 * @module
 * Public models, their targets and chains, and how they route. Defaults live in `DEFAULTS` (`options.ts`).
 */
import type { Budget, RateLimit } from './governance.js';
import type { FailoverRules, RetryOptions } from './policies.js';
import type { ParamRules } from '../hooks/param-rules.js';

/** One place a public model can be served from. */
export interface TargetConfig {
  /** Name of an entry in `providers`. */
  provider: string;
  /** The provider's own model id, sent upstream in place of the public name. */
  model: string;
  /** Per-target retry overrides. */
  retry?: RetryOptions;
  /** Per-target failover rules (win over provider and global rules). */
  rules?: FailoverRules;
  /**
   * Share of traffic under the `weighted` strategy (relative to the other targets).
   * @default 1
   */
  weight?: number;
  /**
   * Abandon an attempt on this target that has not produced its first byte (for streams:
   * its first content) within this many ms, and move on to the next target.
   */
  maxLatencyMs?: number;
  /** Context window in tokens: a prompt that cannot fit skips this target. */
  contextWindow?: number;
  /** Price in US dollars per million tokens; defaults come from the built-in table (see `pricing.ts`). */
  price?: Price;
  /** Limits below the provider's own: a target over them is skipped like an open breaker. */
  rateLimit?: RateLimit;
  /** Spending cap of this target: over it, the target is skipped. */
  budget?: Budget;
  /**
   * Stream resume: continue a broken stream on this target by prefill, with the text
   * already delivered as the last (assistant) message and no instruction, so the model
   * goes on in its own words (Anthropic models and servers that honour a trailing
   * assistant message). Otherwise the continuation asks it to go on.
   * @default false
   */
  prefill?: boolean;
  /**
   * This target's own parameter rules, applied to the chat body it gets after the
   * built-in table (`compat`): fields to drop, to set, to rename. For models the table
   * does not know.
   * @example
   * ```ts
   * params: { rename: { max_tokens: 'max_completion_tokens' }, drop: ['temperature'], set: { reasoning_effort: 'low' } }
   * ```
   */
  params?: ParamRules;
}

/** US dollars per million tokens. */
export interface Price {
  input: number;
  output: number;
}

/**
 * How a model or chain picks which target goes first.
 * - `ordered`: the configured order (first healthy target first).
 * - `weighted`: a random order drawn by `weight`, open breakers last.
 * - `latency`: lowest recent time to first byte first (EWMA), exploring now and then.
 * - `cost`: cheapest first by price, among targets whose context window fits.
 * - `least-busy`: fewest requests in flight first.
 */
export type Strategy = 'ordered' | 'weighted' | 'latency' | 'cost' | 'least-busy';

/** Routing settings shared by models and chains. */
export interface RoutingOptions {
  /**
   * Which target goes first.
   * @default 'ordered'
   */
  strategy?: Strategy;
  /**
   * Hedged requests: if the first target has not produced its first byte after `afterMs`
   * (a number, or `'p95'` of its recent latency), start the next target too; the first to
   * answer wins and the other is aborted. Costs the extra upstream calls it starts.
   */
  hedge?: { afterMs: number | 'p95' };
  /**
   * When every target's breaker is open, wait up to this long for the first one to let a
   * probe through instead of failing at once (bounded by the request deadline). 0: off.
   * @default 0
   */
  waitForRecoveryMs?: number;
}

/** A public model name and its ordered targets: the first is primary, the rest fallbacks. */
export interface ModelConfig extends RoutingOptions {
  targets: TargetConfig[];
  /** Spending cap of this public model, over all its targets: over it, requests get 402. */
  budget?: Budget;
}

/** One step of a chain: a public model's name (all its targets) or a single target. */
export type ChainStep = string | TargetConfig;

/**
 * A named chain (tier): an ordered list of public models or targets. A chain name is a
 * valid `model`, and the header `x-switchyard-chain` picks one too.
 */
export type ChainConfig = ChainStep[] | (RoutingOptions & { targets: ChainStep[] });
