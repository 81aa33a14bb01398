/**
 * @module
 * The failover engine: orders a model's or chain's targets by its strategy, skips those
 * that cannot fit the prompt or whose breaker is open, retries with backoff, applies the
 * failover rules, optionally hedges the first target, and returns the first success.
 * It knows nothing about HTTP servers; `relay.ts` calls it.
 */
import type { Pool } from 'undici';
import { attempt, type AttemptFailure, type AttemptResult } from './attempt.js';
import type { ResolvedConfig, ResolvedModel, ResolvedTarget } from './config.js';
import {
  AllTargetsFailedError,
  ClientClosedError,
  DeadlineExceededError,
  InvalidRequestError,
  NoTargetAvailableError,
  RateLimitedError,
  UpstreamRejectedError,
  type AttemptRecord,
} from './errors.js';
import type { RelayEventMap, RelayEvents } from './events.js';
import { DEFAULTS } from './options.js';
import type { Admission, CircuitBreaker } from './policy/breaker.js';
import { countsAgainstTarget, decide } from './policy/classify.js';
import { backoffDelay, sleep } from './policy/retry.js';
import { linkedController } from './policy/timeout.js';
import { costOf, priceOf } from './pricing.js';
import type { ChatBody, EmbeddingsBody, Endpoint, ProviderAdapter } from './providers/provider.js';
import { fits, measure, promptTokens, type PromptSize } from './routing/fit.js';
import { hedged } from './routing/hedge.js';
import type { TargetStats } from './routing/stats.js';
import { orderTargets } from './routing/strategy.js';

/** What the engine borrows from the relay. */
export interface EngineRuntime {
  config: ResolvedConfig;
  events: RelayEvents;
  stats: TargetStats;
  pool(target: ResolvedTarget): Pool;
  adapter(target: ResolvedTarget): ProviderAdapter;
  breaker(target: ResolvedTarget): CircuitBreaker;
  /** Whether the target's provider is being drained (no new requests). */
  draining?(target: ResolvedTarget): boolean;
  /** With a shared store: whether this instance may send the half-open probe (one instance does). */
  acquireProbe?(target: ResolvedTarget): Promise<boolean>;
  /**
   * [observe] Called just before each upstream attempt is sent (telemetry starts its span
   * here); returns extra headers for that request (`traceparent`), or undefined.
   */
  beforeAttempt?(info: AttemptStart): Record<string, string> | undefined;
}

/** [observe] What {@link EngineRuntime.beforeAttempt} is told about an attempt. */
export interface AttemptStart {
  requestId: string;
  target: ResolvedTarget;
  attempt: number;
  role?: 'hedge' | 'resume';
  breaker: CircuitBreaker['state'];
}

/** One client request as the engine sees it. */
export interface ChainRequest {
  requestId: string;
  model: ResolvedModel;
  endpoint: Endpoint;
  body: ChatBody | EmbeddingsBody;
  stream: boolean;
  /** Aborts on client disconnect or deadline; its reason says which. */
  signal: AbortSignal;
  /** When the overall deadline passes (ms, on `config.now`'s clock). */
  deadlineAt: number;
  /** Filled in as attempts are made. */
  attempts: AttemptRecord[];
  /** Target limits and budgets: the reason to skip a target, or undefined. */
  gate?: (target: ResolvedTarget) => Promise<string | undefined>;
  /** [observe] `resume` when this chain continues a stream that broke. */
  role?: 'resume';
}

export type ChainSuccess = Extract<AttemptResult, { ok: true }> & { target: ResolvedTarget };

/** Output tokens assumed when a request sets no limit, to compare prices. */
const TYPICAL_OUTPUT_TOKENS = 500;

const clip = (text: string) => (text.length > 200 ? `${text.slice(0, 200)}…` : text);

function record(target: ResolvedTarget, outcome: AttemptRecord['outcome'], latencyMs: number, status?: number, detail?: string, message?: string): AttemptRecord {
  const r: AttemptRecord = { provider: target.provider.name, model: target.model, outcome, latencyMs };
  if (status !== undefined) r.status = status;
  if (detail !== undefined) r.detail = clip(detail);
  if (message !== undefined) r.message = clip(message);
  return r;
}

/** Attempt records as events carry them: without upstream messages, which may quote the prompt. */
export function forEvents(attempts: AttemptRecord[]): AttemptRecord[] {
  return attempts.map(({ message: _, ...rest }) => rest);
}

/** Runs the chain for one request; see {@link runChain}. */
class ChainRun {
  private tried = 0;
  private rateLimited = 0;
  private retryAfterMs: number | undefined;
  private cooldownMs = Infinity;
  /** Targets skipped for their own rate limit or budget. */
  private gated = 0;
  /** After a context-length error: targets with a window this small or smaller cannot help. */
  private windowFloor = 0;

  constructor(
    private readonly rt: EngineRuntime,
    private readonly req: ChainRequest,
  ) {}

  async run(): Promise<ChainSuccess> {
    const { model } = this.req;
    const order = await this.plan();
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

  /** The targets in the order to try them, minus those that cannot fit the prompt. */
  private async plan(): Promise<ResolvedTarget[]> {
    const { model, body, endpoint } = this.req;
    const { config, stats } = this.rt;
    const needsSize = endpoint === 'chat' && (model.strategy === 'cost' || model.targets.some((t) => t.contextWindow !== undefined));
    const size: PromptSize | undefined = needsSize ? await measure(body as ChatBody, model.targets) : undefined;
    const order = orderTargets(model, {
      stats,
      random: config.random,
      exploration: config.exploration,
      isOpen: (t) => this.rt.breaker(t).state === 'open',
      cost: (t) => {
        const price = priceOf(t);
        return price && size ? costOf(price, promptTokens(size, t), size.reserved || TYPICAL_OUTPUT_TOKENS) : undefined;
      },
    });
    if (!size) return order;
    const fitting = order.filter((t) => fits(size, t));
    for (const t of order) if (!fitting.includes(t)) this.req.attempts.push(record(t, 'skipped', 0, undefined, 'context window too small'));
    if (fitting.length === 0) {
      throw new InvalidRequestError(
        `The prompt (about ${size.tiktoken ?? size.estimate} tokens plus ${size.reserved} reserved for the answer) does not fit the context window of any target of \`${model.name}\`.`,
        'messages',
      );
    }
    return fitting;
  }

  /** Tries one target, with retries; resolves with a success or undefined to move on. */
  private async target(target: ResolvedTarget, isLast: boolean): Promise<ChainSuccess | undefined> {
    const { req } = this;
    const breaker = this.rt.breaker(target);
    if (req.endpoint === 'embeddings' && !this.rt.adapter(target).embeddingsRequest) {
      req.attempts.push(record(target, 'skipped', 0, undefined, `${target.provider.type} providers have no embeddings API`));
      return undefined;
    }
    if (this.rt.draining?.(target)) {
      req.attempts.push(record(target, 'skipped', 0, undefined, 'provider draining'));
      return undefined;
    }
    if (this.windowFloor > 0 && target.contextWindow !== undefined && target.contextWindow <= this.windowFloor) {
      req.attempts.push(record(target, 'skipped', 0, undefined, 'context window too small'));
      return undefined;
    }
    for (let n = 1; n <= target.retry.attempts; n++) {
      const gated = req.gate && (await req.gate(target));
      if (gated) {
        req.attempts.push(record(target, 'skipped', 0, undefined, gated));
        this.gated++;
        return undefined;
      }
      let admission = breaker.admit();
      if (admission === 'probe' && this.rt.acquireProbe && !(await this.rt.acquireProbe(target))) {
        // Another instance carries the probe: wait for its verdict like any open breaker.
        breaker.release();
        admission = 'reject';
      }
      if (admission === 'reject') {
        req.attempts.push(record(target, 'skipped', 0, undefined, 'breaker open'));
        this.cooldownMs = Math.min(this.cooldownMs, breaker.remainingCooldown());
        return undefined;
      }
      const result = await this.once(target, admission, n, req.signal);
      if (result.ok) return { ...result, target };
      const action = this.assess(target, result, admission);
      if (n >= target.retry.attempts || breaker.state === 'open') return undefined;
      const delay = this.nextDelay(target, result, action, n, isLast);
      if (delay === undefined || this.rt.config.now() + delay >= req.deadlineAt) return undefined;
      if (this.rt.events.has('retry')) {
        this.rt.events.emit('retry', {
          requestId: req.requestId,
          model: req.model.name,
          provider: target.provider.name,
          upstreamModel: target.model,
          attempt: n + 1,
          delayMs: delay,
          kind: result.kind,
        });
      }
      await this.sleep(delay);
    }
    return undefined;
  }

  /**
   * One attempt on `target` with its bookkeeping: statistics, breaker success, the
   * attempt record and event. Throws the signal's reason when it aborts.
   */
  async once(target: ResolvedTarget, admission: Admission, n: number, signal: AbortSignal, hedge = false): Promise<AttemptResult> {
    const { rt, req } = this;
    const { now } = rt.config;
    const breaker = rt.breaker(target);
    // [observe] an attempt's role and the telemetry hook (extra upstream headers).
    const role = hedge ? 'hedge' : req.role;
    const headers = rt.beforeAttempt?.({ requestId: req.requestId, target, attempt: n, role, breaker: breaker.state });
    const done = rt.stats.begin(target);
    const started = now();
    let result: AttemptResult;
    try {
      result = await attempt({
        pool: rt.pool(target),
        adapter: rt.adapter(target),
        target,
        endpoint: req.endpoint,
        body: req.body,
        stream: req.stream,
        signal,
        maxResponseBytes: rt.config.maxResponseBytes,
        now,
        headers,
      });
    } catch (reason) {
      done();
      // Cancelled by the client, the deadline or a hedge: says nothing about the target.
      if (admission === 'probe') breaker.release();
      const cancelled = !req.signal.aborted;
      // [observe] A client that left cancels the attempt; it did not time out.
      const left = req.signal.reason instanceof ClientClosedError;
      req.attempts.push(record(target, cancelled || left ? 'cancelled' : 'timeout', now() - started, undefined, cancelled ? 'hedge lost' : left ? 'client closed' : 'aborted'));
      this.emitAttempt(req.attempts.at(-1)!, n, role); // [observe] aborted attempts are reported too
      throw reason instanceof DeadlineExceededError ? new DeadlineExceededError(rt.config.totalMs, req.attempts) : reason;
    }
    const latencyMs = now() - started;
    this.tried++;
    if (result.ok) {
      rt.stats.latency(target, latencyMs);
      breaker.success();
      if (result.stream) {
        // A stream stays in flight until it ends.
        const dispose = result.committed.dispose;
        result.committed.dispose = () => {
          dispose?.();
          done();
        };
      } else {
        done();
      }
    } else {
      done();
      if (result.kind === 'timeout') rt.stats.latency(target, latencyMs);
    }
    const rec = result.ok ? record(target, 'ok', latencyMs, 200) : record(target, result.kind, latencyMs, result.status, result.detail, result.error?.message);
    req.attempts.push(rec);
    this.emitAttempt(rec, n, role);
    return result;
  }

  private emitAttempt(rec: AttemptRecord, n: number, role: 'hedge' | 'resume' | undefined): void {
    if (!this.rt.events.has('attempt')) return;
    const { model: upstreamModel, message: _, ...rest } = rec;
    const payload: RelayEventMap['attempt'] = { requestId: this.req.requestId, model: this.req.model.name, attempt: n, upstreamModel, ...rest };
    if (role) payload.role = role;
    this.rt.events.emit('attempt', payload);
  }

  /**
   * Applies the rules to a failure: returns the action, updates the breaker and the
   * chain's bookkeeping, and throws when the rules say to return the answer.
   */
  assess(target: ResolvedTarget, failure: AttemptFailure, admission: Admission): 'retry' | 'fallback' {
    const breaker = this.rt.breaker(target);
    const action = failure.slow ? 'fallback' : decide(target, failure.kind, failure.status);
    if (action === 'return') {
      if (admission === 'probe') breaker.release();
      const e = failure.error;
      throw new UpstreamRejectedError(failure.status ?? 400, e?.message ?? failure.detail, {
        type: e?.type,
        code: e?.code,
        param: e?.param,
        attempts: this.req.attempts,
      });
    }
    if (countsAgainstTarget(failure.kind)) breaker.failure();
    else if (admission === 'probe') breaker.release();
    if (failure.kind === 'rate_limit') {
      this.rateLimited++;
      if (failure.retryAfterMs !== undefined) this.retryAfterMs = Math.min(this.retryAfterMs ?? Infinity, failure.retryAfterMs);
    }
    if (failure.kind === 'context_length') this.windowFloor = Math.max(this.windowFloor, target.contextWindow ?? 0);
    return action;
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
      model: this.req.model.name,
      from: { provider: from.provider.name, model: from.model },
      to: { provider: to.provider.name, model: to.model },
      kind: last && last.outcome !== 'ok' && last.outcome !== 'cancelled' ? last.outcome : 'skipped',
    });
  }

  /** A linked controller for a hedged attempt, so the loser can be aborted alone. */
  child(): ReturnType<typeof linkedController> {
    return linkedController(this.req.signal);
  }

  get stats(): TargetStats {
    return this.rt.stats;
  }

  breakerOf(target: ResolvedTarget): CircuitBreaker {
    return this.rt.breaker(target);
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
    if (this.tried === 0 && this.gated > 0 && !Number.isFinite(this.cooldownMs)) {
      // Every target is over its own limit or budget: as good as rate limited.
      return new RateLimitedError(model.name, attempts, DEFAULTS.retryAfterSeconds);
    }
    if (this.tried === 0) {
      const seconds = Number.isFinite(this.cooldownMs) ? Math.max(1, Math.ceil(this.cooldownMs / 1000)) : DEFAULTS.retryAfterSeconds;
      return new NoTargetAvailableError(model.name, attempts, seconds);
    }
    if (this.rateLimited === this.tried) {
      const seconds = this.retryAfterMs === undefined ? DEFAULTS.retryAfterSeconds : Math.max(1, Math.ceil(this.retryAfterMs / 1000));
      return new RateLimitedError(model.name, attempts, seconds);
    }
    return new AllTargetsFailedError(model.name, attempts);
  }
}

/** The engine's side of a hedge (see `routing/hedge.ts`). */
export type HedgeHost = Pick<ChainRun, 'once' | 'assess' | 'failover' | 'child' | 'stats' | 'breakerOf'>;

/**
 * Runs the chain. Resolves with the first success; throws a `SwitchyardError`
 * describing why none came, or the signal's reason if the client left.
 */
export function runChain(rt: EngineRuntime, req: ChainRequest): Promise<ChainSuccess> {
  return new ChainRun(rt, req).run();
}
