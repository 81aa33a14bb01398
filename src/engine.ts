/**
 * @module
 * The failover engine: walks a model's targets in order, asks each breaker for
 * permission, retries with backoff, applies the failover rules, and returns the first
 * success. It knows nothing about HTTP servers; `relay.ts` calls it.
 */
import type { Pool } from 'undici';
import { attempt, type AttemptFailure, type AttemptResult } from './attempt.js';
import type { ResolvedConfig, ResolvedModel, ResolvedTarget } from './config.js';
import {
  AllTargetsFailedError,
  DeadlineExceededError,
  NoTargetAvailableError,
  RateLimitedError,
  UpstreamRejectedError,
  type AttemptRecord,
} from './errors.js';
import type { RelayEvents } from './events.js';
import { DEFAULTS } from './options.js';
import type { CircuitBreaker } from './policy/breaker.js';
import { countsAgainstTarget, decide } from './policy/classify.js';
import { backoffDelay, sleep } from './policy/retry.js';
import type { ChatBody, EmbeddingsBody, Endpoint, ProviderAdapter } from './providers/provider.js';

/** What the engine borrows from the relay. */
export interface EngineRuntime {
  config: ResolvedConfig;
  events: RelayEvents;
  pool(target: ResolvedTarget): Pool;
  adapter(target: ResolvedTarget): ProviderAdapter;
  breaker(target: ResolvedTarget): CircuitBreaker;
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
}

export type ChainSuccess = Extract<AttemptResult, { ok: true }> & { target: ResolvedTarget };

function record(target: ResolvedTarget, outcome: AttemptRecord['outcome'], latencyMs: number, status?: number, detail?: string): AttemptRecord {
  const r: AttemptRecord = { provider: target.provider.name, model: target.model, outcome, latencyMs };
  if (status !== undefined) r.status = status;
  if (detail !== undefined) r.detail = detail.length > 200 ? `${detail.slice(0, 200)}…` : detail;
  return r;
}

function emitAttempt(rt: EngineRuntime, req: ChainRequest, rec: AttemptRecord, attempt: number): void {
  const { model: upstreamModel, ...rest } = rec;
  rt.events.emit('attempt', { requestId: req.requestId, model: req.model.name, attempt, upstreamModel, ...rest });
}

/** How long to wait before trying the same target again, or undefined to move on. */
function nextDelay(
  rt: EngineRuntime,
  target: ResolvedTarget,
  failure: AttemptFailure,
  action: 'retry' | 'fallback',
  retryNumber: number,
  isLast: boolean,
): number | undefined {
  const { maxDelayMs } = target.retry;
  if (action === 'retry') {
    if (failure.retryAfterMs === undefined) return backoffDelay(target.retry, retryNumber, rt.config.random);
    return failure.retryAfterMs <= maxDelayMs ? failure.retryAfterMs : undefined;
  }
  // A 429 moves on at once, unless nothing is left to move on to: then the upstream's
  // Retry-After is honoured when it is short enough.
  if (failure.kind === 'rate_limit' && isLast && failure.retryAfterMs !== undefined && failure.retryAfterMs <= maxDelayMs) {
    return failure.retryAfterMs;
  }
  return undefined;
}

/**
 * Runs the chain. Resolves with the first success; throws a {@link SwitchyardError}
 * describing why none came, or the signal's reason if the client left.
 */
export async function runChain(rt: EngineRuntime, req: ChainRequest): Promise<ChainSuccess> {
  const { config, events } = rt;
  const { targets } = req.model;
  const now = config.now;
  let tried = 0;
  let rateLimited = 0;
  let retryAfterMs: number | undefined;
  let cooldownMs = Infinity;

  for (let t = 0; t < targets.length; t++) {
    const target = targets[t]!;
    const isLast = t === targets.length - 1;
    const breaker = rt.breaker(target);
    let lastKind: AttemptFailure['kind'] | 'skipped' = 'skipped';

    const adapter = rt.adapter(target);
    if (req.endpoint === 'embeddings' && !adapter.embeddingsRequest) {
      req.attempts.push(record(target, 'skipped', 0, undefined, `${target.provider.type} providers have no embeddings API`));
      continue;
    }

    for (let n = 1; n <= target.retry.attempts; n++) {
      const admission = breaker.admit();
      if (admission === 'reject') {
        req.attempts.push(record(target, 'skipped', 0, undefined, 'breaker open'));
        cooldownMs = Math.min(cooldownMs, breaker.remainingCooldown());
        break;
      }
      const started = now();
      let result: AttemptResult;
      try {
        result = await attempt({
          pool: rt.pool(target),
          adapter,
          target,
          endpoint: req.endpoint,
          body: req.body,
          stream: req.stream,
          signal: req.signal,
          maxResponseBytes: config.maxResponseBytes,
          now,
        });
      } catch (reason) {
        // The client left or the deadline passed: neither says anything about the target.
        if (admission === 'probe') breaker.release();
        req.attempts.push(record(target, 'timeout', now() - started, undefined, 'aborted'));
        throw reason instanceof DeadlineExceededError ? new DeadlineExceededError(config.totalMs, req.attempts) : reason;
      }
      tried++;
      const latencyMs = now() - started;

      if (result.ok) {
        breaker.success();
        const rec = record(target, 'ok', latencyMs, 200);
        req.attempts.push(rec);
        if (events.has('attempt')) emitAttempt(rt, req, rec, n);
        return { ...result, target };
      }

      const rec = record(target, result.kind, latencyMs, result.status, result.detail);
      req.attempts.push(rec);
      if (events.has('attempt')) emitAttempt(rt, req, rec, n);
      lastKind = result.kind;
      const action = decide(target, result.kind, result.status);
      if (action === 'return') {
        if (admission === 'probe') breaker.release();
        const e = result.error;
        throw new UpstreamRejectedError(result.status ?? 400, e?.message ?? result.detail, {
          type: e?.type,
          code: e?.code,
          param: e?.param,
          attempts: req.attempts,
        });
      }
      if (countsAgainstTarget(result.kind)) breaker.failure();
      else if (admission === 'probe') breaker.release();
      if (result.kind === 'rate_limit') {
        rateLimited++;
        if (result.retryAfterMs !== undefined) retryAfterMs = Math.min(retryAfterMs ?? Infinity, result.retryAfterMs);
      }

      if (n >= target.retry.attempts || breaker.state === 'open') break;
      const delay = nextDelay(rt, target, result, action, n, isLast);
      if (delay === undefined || now() + delay >= req.deadlineAt) break;
      if (events.has('retry')) {
        events.emit('retry', {
          requestId: req.requestId,
          model: req.model.name,
          provider: target.provider.name,
          upstreamModel: target.model,
          attempt: n + 1,
          delayMs: delay,
          kind: result.kind,
        });
      }
      try {
        await sleep(delay, req.signal);
      } catch (reason) {
        throw reason instanceof DeadlineExceededError ? new DeadlineExceededError(config.totalMs, req.attempts) : reason;
      }
    }

    const next = targets[t + 1];
    if (next && events.has('failover')) {
      events.emit('failover', {
        requestId: req.requestId,
        model: req.model.name,
        from: { provider: target.provider.name, model: target.model },
        to: { provider: next.provider.name, model: next.model },
        kind: lastKind,
      });
    }
  }

  if (tried === 0) {
    const seconds = Number.isFinite(cooldownMs) ? Math.max(1, Math.ceil(cooldownMs / 1000)) : DEFAULTS.retryAfterSeconds;
    throw new NoTargetAvailableError(req.model.name, req.attempts, seconds);
  }
  if (rateLimited === tried) {
    const seconds = retryAfterMs === undefined ? DEFAULTS.retryAfterSeconds : Math.max(1, Math.ceil(retryAfterMs / 1000));
    throw new RateLimitedError(req.model.name, req.attempts, seconds);
  }
  throw new AllTargetsFailedError(req.model.name, req.attempts);
}
