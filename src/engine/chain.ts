/**
 * @module
 * The failover chain of one request: the planned targets in order, each through the
 * target pipeline with its retries and backoff, a hedge over the first two when the
 * model asks for one, and, when every breaker was open, one wait for the first to
 * recover. Resolves with the first success; otherwise throws the error that says why
 * none came.
 */
import type { ResolvedTarget } from '../config.js';
import {
  AllTargetsFailedError,
  DeadlineExceededError,
  NoTargetAvailableError,
  RateLimitedError,
  UnsupportedRequestError,
} from '../errors/index.js';
import { DEFAULTS } from '../options.js';
import { backoffDelay, sleep } from '../policy/retry.js';
import type { AttemptFailure } from './attempt.js';
import { hedged, type HedgeHost } from './hedge.js';
import { plan } from './plan.js';
import { wasSent } from './records.js';
import type { ChainRequest, EngineRuntime } from './runtime.js';
import { TargetPipeline, type Success, type TargetOutcome } from './target.js';

export type { Success as ChainSuccess } from './target.js';

/** Runs the chain for one request; see {@link runChain}. */
class ChainRun implements HedgeHost {
  readonly pipeline: TargetPipeline;
  private rateLimited = 0;
  private retryAfterMs: number | undefined;
  private cooldownMs = Infinity;
  /** Targets skipped for their own rate limit or budget. */
  private limited = 0;
  /** The request field the first unsupported target could not carry, and the status it suggests. */
  private unsupportedParam: string | null | undefined;
  private unsupportedStatus: number | undefined;

  constructor(
    readonly rt: EngineRuntime,
    readonly req: ChainRequest,
  ) {
    this.pipeline = new TargetPipeline(rt, req);
  }

  async run(): Promise<Success> {
    const { model } = this.req;
    const order = await plan(this.rt, this.req);
    for (let round = 0; ; round++) {
      let start = 0;
      if (round === 0 && model.hedge && order.length >= 2) {
        const outcome = await hedged(this, order[0]!, order[1]!, model.hedge.afterMs);
        if (outcome.success) return outcome.success;
        start = outcome.next;
      }
      for (let i = start; i < order.length; i++) {
        const success = await this.target(order[i]!, i === order.length - 1);
        if (success) return success;
        this.failover(order[i]!, order[i + 1]);
      }
      // Every breaker was open: wait for the first to let a probe through, once.
      const wait = Math.min(this.cooldownMs, model.waitForRecoveryMs, this.req.deadlineAt - this.rt.config.now());
      if (round > 0 || this.tried > 0 || model.waitForRecoveryMs === 0 || !(wait >= 0) || !Number.isFinite(this.cooldownMs)) break;
      await this.sleep(wait);
      this.cooldownMs = Infinity;
    }
    throw this.giveUp();
  }

  /** Upstream requests really sent so far. */
  private get tried(): number {
    return this.req.attempts.filter(wasSent).length;
  }

  /** Tries one target, with retries; resolves with a success or undefined to move on. */
  private async target(target: ResolvedTarget, isLast: boolean): Promise<Success | undefined> {
    for (let n = 1; n <= target.retry.attempts; n++) {
      const outcome = await this.pipeline.run(target, n, this.req.signal, this.req.resume ? 'resume' : n === 1 ? 'first' : 'retry');
      if (outcome.type === 'success') return outcome.success;
      this.note(outcome);
      if (outcome.type === 'skipped') return undefined;
      const { failure, action } = outcome;
      if (n >= target.retry.attempts || this.rt.breaker(target).state === 'open') return undefined;
      const delay = this.nextDelay(target, failure, action, n, isLast);
      if (delay === undefined || this.rt.config.now() + delay >= this.req.deadlineAt) return undefined;
      if (this.rt.events.has('retry')) {
        this.rt.events.emit('retry', {
          requestId: this.req.requestId,
          model: this.req.model.label,
          provider: target.provider.name,
          upstreamModel: target.model,
          attempt: n + 1,
          delayMs: delay,
          kind: failure.kind,
        });
      }
      await this.sleep(delay);
    }
    return undefined;
  }

  /** Keeps what `giveUp` needs to say why nothing answered. */
  note(outcome: Exclude<TargetOutcome, { type: 'success' }>): void {
    if (outcome.type === 'skipped') {
      if (outcome.why === 'limited') this.limited++;
      if (outcome.why === 'unsupported') {
        this.unsupportedParam ??= outcome.param;
        this.unsupportedStatus ??= outcome.status;
      }
      if (outcome.why === 'unavailable' && outcome.cooldownMs !== undefined) this.cooldownMs = Math.min(this.cooldownMs, outcome.cooldownMs);
      return;
    }
    const { failure } = outcome;
    if (failure.kind === 'rate_limit') {
      this.rateLimited++;
      if (failure.retryAfterMs !== undefined) this.retryAfterMs = Math.min(this.retryAfterMs ?? Infinity, failure.retryAfterMs);
    }
  }

  /** How long to wait before trying the same target again, or undefined to move on. */
  private nextDelay(target: ResolvedTarget, failure: AttemptFailure, action: 'retry' | 'fallback', retry: number, isLast: boolean): number | undefined {
    const { maxDelayMs } = target.retry;
    if (action === 'retry') {
      if (failure.retryAfterMs === undefined) return backoffDelay(target.retry, retry, this.rt.config.random);
      return failure.retryAfterMs <= maxDelayMs ? failure.retryAfterMs : undefined;
    }
    // A 429 moves on at once, unless nothing is left to move on to: then the upstream's
    // Retry-After is honoured when it is short enough.
    if (failure.kind === 'rate_limit' && isLast && failure.retryAfterMs !== undefined && failure.retryAfterMs <= maxDelayMs) {
      return failure.retryAfterMs;
    }
    return undefined;
  }

  failover(from: ResolvedTarget, to: ResolvedTarget | undefined): void {
    const { events } = this.rt;
    if (!to || !events.has('failover')) return;
    const last = this.req.attempts.at(-1);
    events.emit('failover', {
      requestId: this.req.requestId,
      model: this.req.model.label,
      from: { provider: from.provider.name, model: from.model },
      to: { provider: to.provider.name, model: to.model },
      kind: last && last.outcome !== 'ok' && last.outcome !== 'cancelled' ? last.outcome : 'skipped',
    });
  }

  async sleep(ms: number): Promise<void> {
    try {
      await sleep(ms, this.req.signal);
    } catch (reason) {
      throw reason instanceof DeadlineExceededError ? new DeadlineExceededError(this.rt.config.totalMs, this.req.attempts) : reason;
    }
  }

  private giveUp(): Error {
    const { model, attempts } = this.req;
    const tried = this.tried;
    if (tried === 0) {
      if (attempts.length > 0 && attempts.every((a) => a.outcome === 'unsupported')) return new UnsupportedRequestError(model.name, attempts, this.unsupportedParam ?? null, this.unsupportedStatus);
      // Every target is over its own limit or budget: as good as rate limited.
      if (this.limited > 0 && !Number.isFinite(this.cooldownMs)) return new RateLimitedError(model.name, attempts, DEFAULTS.retryAfterSeconds);
      const seconds = Number.isFinite(this.cooldownMs) ? Math.max(1, Math.ceil(this.cooldownMs / 1000)) : DEFAULTS.retryAfterSeconds;
      return new NoTargetAvailableError(model.name, attempts, seconds);
    }
    if (this.rateLimited === tried) {
      const seconds = this.retryAfterMs === undefined ? DEFAULTS.retryAfterSeconds : Math.max(1, Math.ceil(this.retryAfterMs / 1000));
      return new RateLimitedError(model.name, attempts, seconds);
    }
    return new AllTargetsFailedError(model.name, attempts);
  }
}

/**
 * Runs the chain. Resolves with the first success; throws a `SwitchyardError`
 * describing why none came, or the signal's reason if the client left.
 */
export function runChain(rt: EngineRuntime, req: ChainRequest): Promise<Success> {
  return new ChainRun(rt, req).run();
}
