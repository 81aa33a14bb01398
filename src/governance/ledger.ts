/**
 * @module
 * The rate limits and budgets of one request, as holds in the store: the caller's
 * limits and the caller's and public model's budgets when it is admitted, each target's
 * limits and budget the first time the request uses that target. A request holds once
 * per target however many attempts it makes there (retries reuse the hold), and settles
 * once: every hold is corrected to what was really used (the served usage on the targets
 * that served, nothing on the others). A hold that lands after the request settled (a
 * hedge that lost, a client that left during admission) is given back as it lands. So
 * nothing stays reserved, and the store's totals are the served usage, by construction.
 *
 * `onStoreError` decides only while holding, before any upstream call: `deny` refuses
 * the request, `allow` goes on unchecked. Corrections after the answer never fail the
 * request; they go through {@link Settlement}.
 */
import type { ResolvedGovernance, ResolvedModel, ResolvedTarget } from '../config.js';
import { BudgetExceededError, CallerRateLimitedError, LimitUnsatisfiableError, StoreUnavailableError } from '../errors/index.js';
import type { RelayEvents } from '../events.js';
import { DEFAULTS, type Budget } from '../options.js';
import { costOf, priceOf } from '../pricing.js';
import type { Usage } from '../providers/provider.js';
import { promptTokens, type PromptEstimate } from '../tokens/estimate.js';
import type { AdmitOp, BucketState, BudgetState } from '../store/store.js';
import { admitAll } from './admit-all.js';
import { period, resetDuration, type BudgetKey } from './periods.js';

export { resetDuration } from './periods.js';
import type { Settlement } from './settlement.js';

const MINUTE = 60_000;

/** What a ledger borrows from its relay. */
export interface LedgerHost {
  governance: ResolvedGovernance;
  events: RelayEvents;
  settlement: Settlement;
  now: () => number;
}

/** A share of the answer: the target that produced it and what it used. */
export interface Served {
  target: ResolvedTarget;
  usage: Usage;
}

/** Why a target cannot be used for this request; `never` when no wait would help. */
export interface Refusal {
  reason: string;
  never?: boolean;
}

interface Hold {
  key: string;
  unit: 'usd' | 'tokens';
  /** What the store really holds (0 when it failed open). */
  held: number;
  /** Tokens: the bucket's capacity. */
  capacity: number;
  /** Budgets: the key's time to live. */
  ttlMs: number;
  /** The target (`provider/model`) this hold belongs to; undefined for the request's own. */
  target?: string;
}

/** Output tokens to budget for: the request's own limit, else a typical answer. */
function expectedOutput(e: PromptEstimate): number {
  return e.reserved > 0 ? e.reserved : DEFAULTS.typicalOutputTokens;
}

export class Ledger {
  /** OpenAI-style `x-ratelimit-*` headers for the caller, when it has limits. */
  readonly headers: Record<string, string> = {};
  private readonly holds: Hold[] = [];
  /** Holds being taken, by key, so concurrent attempts on one target share one. */
  private readonly taking = new Map<string, Promise<Refusal | undefined>>();
  private settled = false;

  constructor(
    private readonly host: LedgerHost,
    readonly requestId: string,
    readonly model: ResolvedModel,
    readonly caller: string | undefined,
    readonly estimate: PromptEstimate,
  ) {}

  /** Prompt tokens as the caller's limits count them. */
  get promptTokens(): number {
    return promptTokens(this.estimate);
  }

  /** Runs a store operation that takes a hold, under the `onStoreError` policy. */
  private async store<T>(what: 'limits' | 'budgets', operation: string, run: () => T | Promise<T>): Promise<T | undefined> {
    try {
      return await run();
    } catch (err) {
      const allowed = this.host.governance.onStoreError[what] === 'allow';
      this.host.events.storeError({ operation, message: (err as Error)?.message ?? String(err), allowed });
      if (!allowed) throw new StoreUnavailableError(err);
      return undefined;
    }
  }

  /** Records a hold; one that lands after the request settled is given back at once. */
  private keep(hold: Hold): void {
    if (this.settled) this.correct(hold, 0);
    else this.holds.push(hold);
  }

  /**
   * The caller's limits and the caller's and public model's budgets. Throws the error the
   * client gets when one refuses; whatever it held by then is given back.
   */
  async admit(): Promise<void> {
    const g = this.host.governance;
    const { caller } = this;
    try {
      const limit = caller !== undefined ? g.callerLimit : undefined;
      const tokens = this.promptTokens;
      if (limit?.tokensPerMinute !== undefined && tokens > limit.tokensPerMinute) throw new LimitUnsatisfiableError(tokens, limit.tokensPerMinute, this.headers);
      const usd = this.dearest();
      const budgets = [caller !== undefined && g.callerBudget && this.budgetKey('caller', caller, g.callerBudget), this.model.budget && this.budgetKey('model', this.model.label, this.model.budget)];
      // The same checks in the same order, sent as one call where the store can take them so.
      const ops: AdmitOp[] = [];
      if (limit?.requestsPerMinute !== undefined) ops.push({ op: 'take', key: `rl:caller:${caller}:requests`, cost: 1, capacity: limit.requestsPerMinute, windowMs: MINUTE });
      if (limit?.tokensPerMinute !== undefined) ops.push({ op: 'take', key: `rl:caller:${caller}:tokens`, cost: tokens, capacity: limit.tokensPerMinute, windowMs: MINUTE });
      for (const b of budgets) if (b) ops.push({ op: 'reserve', key: b.key, amountUsd: usd, capUsd: b.budget.usd, ttlMs: b.ttlMs });
      const batch = ops.length > 1 && g.store.admit ? admitAll(g.store, ops) : undefined;
      let n = 0;
      if (limit?.requestsPerMinute !== undefined) await this.callerBucket(caller!, 'requests', limit.requestsPerMinute, 1, false, batch?.(n++));
      if (limit?.tokensPerMinute !== undefined) await this.callerBucket(caller!, 'tokens', limit.tokensPerMinute, tokens, true, batch?.(n++));
      for (const b of budgets) if (b) await this.reserveOrThrow(b, usd, batch?.(n++));
    } catch (err) {
      this.release();
      throw err;
    }
  }

  private async callerBucket(caller: string, kind: 'requests' | 'tokens', perMinute: number, cost: number, keep: boolean, batched?: () => Promise<BucketState>): Promise<void> {
    const key = `rl:caller:${caller}:${kind}`;
    const state = await this.store('limits', 'take', batched ?? (() => this.host.governance.store.take(key, cost, perMinute, MINUTE)));
    this.headers[`x-ratelimit-limit-${kind}`] = String(perMinute);
    this.headers[`x-ratelimit-remaining-${kind}`] = String(state?.remaining ?? perMinute);
    this.headers[`x-ratelimit-reset-${kind}`] = resetDuration(state?.resetMs ?? 0);
    if (state && !state.allowed) {
      this.emitLimited('caller', caller, kind, perMinute, state.retryAfterMs);
      throw new CallerRateLimitedError(kind, perMinute, Math.max(1, Math.ceil(state.retryAfterMs / 1000)), this.headers);
    }
    // Requests are spent once made; tokens are corrected with the real usage.
    if (keep) this.keep({ key, unit: 'tokens', held: state ? cost : 0, capacity: perMinute, ttlMs: 0 });
  }

  /** The estimated cost on the dearest target, so a cap cannot be overshot. */
  private dearest(): number {
    let max = 0;
    for (const t of this.model.targets) max = Math.max(max, this.estimatedCost(t));
    return max;
  }

  private estimatedCost(target: ResolvedTarget): number {
    const price = priceOf(target);
    return price ? costOf(price, promptTokens(this.estimate, target), expectedOutput(this.estimate)) : 0;
  }

  /** The key of a budget for the current period, and how long it lives. */
  private budgetKey(scope: 'caller' | 'model' | 'target', subject: string, budget: Budget): BudgetKey {
    const { id, ttlMs } = period(budget, this.host.now());
    return { scope, subject, budget, key: `budget:${scope}:${subject}:${id}`, ttlMs };
  }

  /** Reserves `usd`; returns the spend that refused it, or undefined when reserved. */
  private async reserve(b: BudgetKey, usd: number, target?: string, batched?: () => Promise<BudgetState>): Promise<number | undefined> {
    const { scope, subject, budget, key, ttlMs } = b;
    const state = await this.store('budgets', 'reserve', batched ?? (() => this.host.governance.store.reserve(key, usd, budget.usd, ttlMs)));
    if (state === undefined || state.ok) {
      this.keep({ key, unit: 'usd', held: state === undefined ? 0 : usd, capacity: 0, ttlMs, target });
      return undefined;
    }
    if (this.host.events.has('budgetExceeded')) {
      this.host.events.emit('budgetExceeded', {
        requestId: this.requestId, model: this.model.label, scope, subject, period: budget.period, capUsd: budget.usd, spentUsd: state.spentUsd,
      });
    }
    return state.spentUsd;
  }

  private async reserveOrThrow(b: BudgetKey, usd: number, batched?: () => Promise<BudgetState>): Promise<void> {
    const spentUsd = await this.reserve(b, usd, undefined, batched);
    if (spentUsd !== undefined) throw new BudgetExceededError(`${b.scope} ${JSON.stringify(b.subject)} (${b.budget.period})`, b.budget.usd, spentUsd);
  }

  /**
   * Whether `target` may take one more attempt of this request: one request from its
   * requests per minute each time, its tokens and budget the first time only. Returns
   * why not, or undefined.
   */
  async holdTarget(target: ResolvedTarget): Promise<Refusal | undefined> {
    if (this.settled) return { reason: 'request finished' };
    const limit = target.rateLimit;
    if (limit?.tokensPerMinute !== undefined) {
      const tokens = promptTokens(this.estimate, target);
      if (tokens > limit.tokensPerMinute) return { reason: `prompt (about ${tokens} tokens) exceeds its ${limit.tokensPerMinute} tokens per minute`, never: true };
    }
    if (limit?.requestsPerMinute !== undefined) {
      const key = `rl:target:${target.id}:requests`;
      const state = await this.store('limits', 'take', () => this.host.governance.store.take(key, 1, limit.requestsPerMinute!, MINUTE));
      if (state && !state.allowed) return this.limited(target, 'requests', limit.requestsPerMinute, state.retryAfterMs);
    }
    const tokens = limit?.tokensPerMinute === undefined ? undefined : this.once(`rl:target:${target.id}:tokens`, () => this.targetTokens(target, limit.tokensPerMinute!));
    const budget = target.budget === undefined ? undefined : this.once(`budget:target:${target.id}`, async () => {
      const refused = await this.reserve(this.budgetKey('target', target.id, target.budget!), this.estimatedCost(target), target.id);
      return refused === undefined ? undefined : { reason: 'over budget' };
    });
    return (await tokens) ?? (await budget);
  }

  /** Runs `take` once per key for this request; later callers share its verdict. */
  private once(key: string, take: () => Promise<Refusal | undefined>): Promise<Refusal | undefined> {
    let p = this.taking.get(key);
    if (!p) {
      p = take();
      this.taking.set(key, p);
      // A refusal is not remembered: a later attempt may find room.
      void p.then((refusal) => refusal && this.taking.delete(key), () => this.taking.delete(key));
    }
    return p;
  }

  private async targetTokens(target: ResolvedTarget, perMinute: number): Promise<Refusal | undefined> {
    const key = `rl:target:${target.id}:tokens`;
    const cost = promptTokens(this.estimate, target);
    const state = await this.store('limits', 'take', () => this.host.governance.store.take(key, cost, perMinute, MINUTE));
    if (state && !state.allowed) return this.limited(target, 'tokens', perMinute, state.retryAfterMs);
    this.keep({ key, unit: 'tokens', held: state ? cost : 0, capacity: perMinute, ttlMs: 0, target: target.id });
    return undefined;
  }

  private limited(target: ResolvedTarget, kind: 'requests' | 'tokens', perMinute: number, retryAfterMs: number): Refusal {
    this.emitLimited('target', target.id, kind, perMinute, retryAfterMs);
    return { reason: `rate limited (${kind})` };
  }

  private emitLimited(scope: 'caller' | 'target', subject: string, limit: 'requests' | 'tokens', perMinute: number, retryAfterMs: number): void {
    if (!this.host.events.has('rateLimited')) return;
    this.host.events.emit('rateLimited', { requestId: this.requestId, model: this.model.label, scope, subject, limit, perMinute, retryAfterMs });
  }

  /**
   * Settles every hold with what was really used: `served` lists the targets that
   * produced the answer and their usage (several after a stream resume; none when the
   * request failed). Runs once; later calls do nothing. Never throws: corrections the
   * store refuses are retried in the background. Returns the cost in US$ when every
   * serving target has a price.
   */
  settle(served: readonly Served[]): number | undefined {
    if (this.settled) return undefined;
    this.settled = true;
    const perTarget = new Map<string, { tokens: number; usd: number | undefined }>();
    let tokens = 0;
    let usd: number | undefined = served.length > 0 ? 0 : undefined;
    for (const { target, usage } of served) {
      const used = usage.prompt_tokens + usage.completion_tokens;
      const price = priceOf(target);
      const cost = price ? costOf(price, usage.prompt_tokens, usage.completion_tokens) : undefined;
      const entry = perTarget.get(target.id) ?? { tokens: 0, usd: 0 };
      entry.tokens += used;
      entry.usd = entry.usd === undefined || cost === undefined ? undefined : entry.usd + cost;
      perTarget.set(target.id, entry);
      tokens += used;
      usd = usd === undefined || cost === undefined ? undefined : usd + cost;
    }
    for (const hold of this.holds) {
      const share = hold.target === undefined ? (served.length > 0 ? { tokens, usd } : undefined) : perTarget.get(hold.target);
      // An unpriced answer's cost is unknown: the reservation stands as the best guess.
      const actual = share === undefined ? 0 : hold.unit === 'tokens' ? share.tokens : (share.usd ?? hold.held);
      this.correct(hold, actual);
    }
    this.holds.length = 0;
    return usd;
  }

  /** Gives back everything held: the request was refused or failed. */
  release(): void {
    this.settle([]);
  }

  private correct(hold: Hold, actual: number): void {
    const delta = actual - hold.held;
    if (delta === 0) return;
    const { store } = this.host.governance;
    if (hold.unit === 'usd') this.host.settlement.apply('settle', () => store.settle(hold.key, delta, hold.ttlMs));
    else this.host.settlement.apply('give', () => store.give(hold.key, -delta, hold.capacity, MINUTE));
  }
}
