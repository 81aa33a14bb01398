/**
 * @module
 * Rate limits and budgets around one request. Before the chain: the caller's limits
 * and the caller's and public model's budgets (the request is refused when over). Per
 * target: its limits and budget (the target is skipped when over). After: the real usage
 * corrects every bucket and budget. Nothing here runs when no limit or budget is set.
 */
import type { ResolvedGovernance, ResolvedModel, ResolvedTarget } from '../config.js';
import { BudgetExceededError, CallerRateLimitedError, StoreUnavailableError } from '../errors.js';
import type { RelayEvents } from '../events.js';
import { DEFAULTS, type Budget, type RateLimit } from '../options.js';
import { costOf, priceOf } from '../pricing.js';
import type { Usage } from '../providers/provider.js';
import type { BucketState } from '../store/store.js';

const MINUTE = 60_000;

/** What one request holds: reservations and debits to settle when it ends. */
export interface Ticket {
  requestId: string;
  model: ResolvedModel;
  caller?: string;
  promptTokens: number;
  outputTokens: number;
  reservations: { key: string; usd: number; ttlMs: number; target?: ResolvedTarget }[];
  debits: { key: string; tokens: number; capacity: number; target?: ResolvedTarget }[];
  /** OpenAI-style `x-ratelimit-*` headers for the caller, when it has limits. */
  headers: Record<string, string>;
  settled: boolean;
}

/** OpenAI writes reset times like `1s`, `6m0s`, `20ms`. */
export function resetDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.ceil(ms))}ms`;
  const s = Math.ceil(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${s % 60}s`;
}

/** The budget key and its time to live for the current period (UTC). */
function period(budget: Budget, now: number): { id: string; ttlMs: number } {
  const d = new Date(now);
  const end =
    budget.period === 'day'
      ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1)
      : Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  const id = budget.period === 'day' ? d.toISOString().slice(0, 10) : d.toISOString().slice(0, 7);
  // An hour past the end, so a late settlement still finds the key.
  return { id, ttlMs: end - now + 3_600_000 };
}

export class Guard {
  constructor(
    private readonly g: ResolvedGovernance,
    private readonly events: RelayEvents,
    private readonly now: () => number,
  ) {}

  /** Runs a store operation under the configured failure policy. */
  private async store<T>(what: 'limits' | 'budgets', operation: string, run: () => T | Promise<T>, fallback: T): Promise<T> {
    try {
      return await run();
    } catch (err) {
      const allowed = this.g.onStoreError[what] === 'allow';
      this.events.storeError({ operation, message: (err as Error)?.message ?? String(err), allowed });
      if (!allowed) throw new StoreUnavailableError(err);
      return fallback;
    }
  }

  /** Takes tokens; when the store failed open, nothing was taken (`taken: false`). */
  private async take(key: string, cost: number, capacity: number): Promise<BucketState & { taken: boolean }> {
    const state = await this.store('limits', 'take', () => this.g.store.take(key, cost, capacity, MINUTE), undefined);
    return state === undefined ? { allowed: true, remaining: capacity, resetMs: 0, retryAfterMs: 0, taken: false } : { ...state, taken: state.allowed };
  }

  /** Caller limits and caller/model budgets. Throws when over; returns the ticket to settle. */
  async admit(requestId: string, model: ResolvedModel, caller: string | undefined, promptTokens: number, outputTokens: number): Promise<Ticket> {
    const ticket: Ticket = { requestId, model, caller, promptTokens, outputTokens, reservations: [], debits: [], headers: {}, settled: false };
    const limit = caller === undefined ? undefined : this.g.callerLimit;
    if (limit && caller !== undefined) await this.callerLimits(ticket, caller, limit);
    const estimate = this.estimate(ticket, model.targets);
    if (caller !== undefined && this.g.callerBudget) await this.reserve(ticket, 'caller', caller, this.g.callerBudget, estimate);
    if (model.budget) await this.reserve(ticket, 'model', model.name, model.budget, estimate);
    return ticket;
  }

  private async callerLimits(ticket: Ticket, caller: string, limit: RateLimit): Promise<void> {
    const checks: ['requests' | 'tokens', number | undefined, number][] = [
      ['requests', limit.requestsPerMinute, 1],
      ['tokens', limit.tokensPerMinute, ticket.promptTokens],
    ];
    for (const [kind, perMinute, cost] of checks) {
      if (perMinute === undefined) continue;
      const key = `rl:caller:${caller}:${kind}`;
      const state = await this.take(key, cost, perMinute);
      ticket.headers[`x-ratelimit-limit-${kind}`] = String(perMinute);
      ticket.headers[`x-ratelimit-remaining-${kind}`] = String(state.remaining);
      ticket.headers[`x-ratelimit-reset-${kind}`] = resetDuration(state.resetMs);
      if (!state.allowed) {
        if (this.events.has('rateLimited')) {
          this.events.emit('rateLimited', { requestId: ticket.requestId, model: ticket.model.name, scope: 'caller', subject: caller, limit: kind, perMinute, retryAfterMs: state.retryAfterMs });
        }
        await this.release(ticket);
        throw new CallerRateLimitedError(kind, perMinute, Math.max(1, Math.ceil(state.retryAfterMs / 1000)), ticket.headers);
      }
      if (kind === 'tokens') ticket.debits.push({ key, tokens: state.taken ? cost : 0, capacity: perMinute });
    }
  }

  /** The estimated cost of the request: the dearest target's, so a cap cannot be overshot. */
  private estimate(ticket: Ticket, targets: readonly ResolvedTarget[]): number {
    let max = 0;
    for (const t of targets) {
      const price = priceOf(t);
      if (price) max = Math.max(max, costOf(price, ticket.promptTokens, ticket.outputTokens));
    }
    return max;
  }

  private async reserve(ticket: Ticket, scope: 'caller' | 'model' | 'target', subject: string, budget: Budget, usd: number, target?: ResolvedTarget): Promise<boolean> {
    const { id, ttlMs } = period(budget, this.now());
    const key = `budget:${scope}:${subject}:${id}`;
    const state = await this.store('budgets', 'reserve', () => this.g.store.reserve(key, usd, budget.usd, ttlMs), undefined);
    if (state === undefined || state.ok) {
      // When the store failed open nothing was reserved: settling then adds the whole cost.
      ticket.reservations.push({ key, usd: state === undefined ? 0 : usd, ttlMs, target });
      return true;
    }
    if (this.events.has('budgetExceeded')) {
      this.events.emit('budgetExceeded', {
        requestId: ticket.requestId, model: ticket.model.name, scope, subject, period: budget.period, capUsd: budget.usd, spentUsd: state.spentUsd,
      });
    }
    if (scope === 'target') return false;
    await this.release(ticket);
    throw new BudgetExceededError(`${scope} ${JSON.stringify(subject)} (${budget.period})`, budget.usd, state.spentUsd);
  }

  /**
   * Whether `target` may take one more attempt: its limits and budget. Returns the reason
   * to skip it, or undefined.
   */
  async gate(ticket: Ticket, target: ResolvedTarget): Promise<string | undefined> {
    const limit = target.rateLimit;
    if (limit?.requestsPerMinute !== undefined) {
      const state = await this.take(`rl:target:${target.id}:requests`, 1, limit.requestsPerMinute);
      if (!state.allowed) return this.limited(ticket, target, 'requests', limit.requestsPerMinute, state);
    }
    if (limit?.tokensPerMinute !== undefined) {
      const key = `rl:target:${target.id}:tokens`;
      const state = await this.take(key, ticket.promptTokens, limit.tokensPerMinute);
      if (!state.allowed) return this.limited(ticket, target, 'tokens', limit.tokensPerMinute, state);
      ticket.debits.push({ key, tokens: state.taken ? ticket.promptTokens : 0, capacity: limit.tokensPerMinute, target });
    }
    if (target.budget && !ticket.reservations.some((r) => r.target === target)) {
      const price = priceOf(target);
      const usd = price ? costOf(price, ticket.promptTokens, ticket.outputTokens) : 0;
      if (!(await this.reserve(ticket, 'target', target.id, target.budget, usd, target))) return 'over budget';
    }
    return undefined;
  }

  private limited(ticket: Ticket, target: ResolvedTarget, kind: 'requests' | 'tokens', perMinute: number, state: BucketState): string {
    if (this.events.has('rateLimited')) {
      this.events.emit('rateLimited', { requestId: ticket.requestId, model: ticket.model.name, scope: 'target', subject: target.id, limit: kind, perMinute, retryAfterMs: state.retryAfterMs });
    }
    return `rate limited (${kind})`;
  }

  /**
   * Settles the ticket with what the request really used: `served` is the target that
   * answered (undefined when none did). Returns the cost in US$ when the target has a price.
   */
  async settle(ticket: Ticket, served: ResolvedTarget | undefined, usage: Usage | undefined): Promise<number | undefined> {
    if (ticket.settled) return undefined;
    ticket.settled = true;
    const price = served && priceOf(served);
    const cost = price && usage ? costOf(price, usage.prompt_tokens, usage.completion_tokens) : undefined;
    const used = usage ? usage.prompt_tokens + usage.completion_tokens : 0;
    const ops: Promise<unknown>[] = [];
    for (const r of ticket.reservations) {
      // A target that did not serve spent nothing; the others spent the real cost.
      const actual = served && (r.target === undefined || r.target === served) ? (cost ?? r.usd) : 0;
      if (actual !== r.usd) ops.push(this.store('budgets', 'settle', () => this.g.store.settle(r.key, actual - r.usd, r.ttlMs), undefined));
    }
    for (const d of ticket.debits) {
      const actual = served && (d.target === undefined || d.target === served) ? used || d.tokens : 0;
      if (actual !== d.tokens) ops.push(this.store('limits', 'give', () => this.g.store.give(d.key, d.tokens - actual, d.capacity, MINUTE), undefined));
    }
    await Promise.all(ops);
    return cost;
  }

  /** Gives back everything a refused or failed-before-start request holds. */
  async release(ticket: Ticket): Promise<void> {
    await this.settle(ticket, undefined, undefined);
  }
}

/** Output tokens to budget for: the request's own limit, else a typical answer. */
export function expectedOutput(body: Record<string, unknown>): number {
  const n = body.max_completion_tokens ?? body.max_tokens;
  return typeof n === 'number' && n > 0 ? n : DEFAULTS.typicalOutputTokens;
}

/** A cheap prompt-size estimate (4 characters a token) for limits and budgets. */
export function estimatePromptTokens(body: Record<string, unknown>): number {
  const input = body.messages ?? body.input;
  return Math.ceil(JSON.stringify(input ?? '').length / 4);
}
