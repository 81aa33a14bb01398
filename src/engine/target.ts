/**
 * @module
 * The target pipeline: every attempt on a target goes through here, whatever started it
 * (the first try, a retry, a hedge, a resumed stream). In order:
 *
 * 1. **Can it take the request?** The upstream request is built once per target (retries
 *    and hedges reuse it); a target that cannot express it is `unsupported`.
 * 2. **Drain**: a drained provider gets no new requests.
 * 3. **Breaker**: an admission stamped with the breaker's generation; the half-open probe
 *    is claimed across instances when a shared store can.
 * 4. **Limits and budget**: the target's, held once per request (see `Ledger`).
 * 5. **The attempt**, with its statistics, record and event.
 * 6. **Verdict**: the breaker hears success, failure or release exactly once, and the
 *    failover rules say what the failure means.
 *
 * A skip at steps 1–4 gives back what the earlier steps took.
 */
import type { ResolvedTarget } from '../config.js';
import { ClientClosedError, DeadlineExceededError, UpstreamRejectedError, type AttemptRecord } from '../errors/index.js';
import type { Admission } from '../policy/breaker.js';
import { countsAgainstTarget, decide } from '../policy/classify.js';
import { adaptParams } from '../hooks/compat.js';
import type { ChatBody, EmbeddingsBody, UpstreamRequest } from '../providers/provider.js';
import { attempt, prepare, unsupportedOf, type AttemptFailure, type AttemptResult, type NativeReading, type Unsupported } from './attempt.js';
import { record } from './records.js';
import type { ChainRequest, EngineRuntime, ProbeClaim } from './runtime.js';

/** What started an attempt. */
export type AttemptCause = 'first' | 'retry' | 'hedge' | 'resume';

export type Success = Extract<AttemptResult, { ok: true }> & { target: ResolvedTarget };

/** How one pass through the pipeline ended. */
export type TargetOutcome =
  | { type: 'success'; success: Success }
  | { type: 'failure'; failure: AttemptFailure; action: 'retry' | 'fallback' }
  /**
   * Not tried. `why` says which step stopped it: `unsupported` (it can never take this
   * request), `limited` (over its limits or budget now), `unavailable` (open breaker,
   * drained); `cooldownMs` is how long until it may be tried again, when known.
   */
  | { type: 'skipped'; why: 'unsupported' | 'limited' | 'unavailable'; cooldownMs?: number; param?: string | null; status?: number };

/** A target's upstream request, built once per request; `native` when it goes in the client's format. */
interface Prepared {
  request: UpstreamRequest;
  native?: NativeReading;
  /** The body it was built from (the chat body after adaptation, or the client's own). */
  body: Record<string, unknown>;
  /** Parameters adapted for this target (see `hooks/compat.ts`). */
  adapted: string[];
}

export class TargetPipeline {
  /** Upstream requests built so far, per target binding. */
  private readonly prepared = new Map<ResolvedTarget, Prepared | Unsupported>();
  /** After a context-length error: targets with a window this small or smaller cannot help. */
  private windowFloor = 0;

  constructor(
    private readonly rt: EngineRuntime,
    private readonly req: ChainRequest,
  ) {}

  /** Takes one attempt on `target` through every step; `n` is its number on this target. */
  async run(target: ResolvedTarget, n: number, signal: AbortSignal, cause: AttemptCause): Promise<TargetOutcome> {
    const { rt, req } = this;
    const upstream = this.request(target);
    if ('unsupported' in upstream) return this.unsupported(target, upstream.unsupported, upstream.param, upstream.status);
    if (rt.draining(target)) return this.skip(target, 'provider draining', 'unavailable');
    if (this.windowFloor > 0 && target.contextWindow !== undefined && target.contextWindow <= this.windowFloor) {
      return this.unsupported(target, 'context window too small');
    }

    const breaker = rt.breaker(target);
    const admission = breaker.admit();
    if (!admission) return this.skip(target, 'breaker open', 'unavailable', breaker.remainingCooldown());
    let claim: ProbeClaim | undefined;
    if (admission.kind === 'probe' && rt.claimProbe) {
      const claimed = await rt.claimProbe(target, this.verdictWithinMs(target));
      if ('heldMs' in claimed) {
        // Another instance carries the probe: wait for its verdict like any open breaker.
        breaker.release(admission);
        return this.skip(target, 'breaker open', 'unavailable', claimed.heldMs);
      }
      claim = claimed;
    }
    const giveBack = () => {
      breaker.release(admission);
      claim?.release();
    };

    if (req.ledger) {
      let refusal;
      try {
        refusal = await req.ledger.holdTarget(target);
      } catch (err) {
        giveBack();
        throw err;
      }
      if (refusal) {
        giveBack();
        return refusal.never ? this.unsupported(target, refusal.reason) : this.skip(target, refusal.reason, 'limited');
      }
    }
    if (signal.aborted) {
      giveBack();
      throw this.reason(signal);
    }
    let sent = upstream;
    if (req.hooks?.beforeEachAttempt) {
      // The host's say on this one attempt: its body, or a skip.
      let asked: Prepared | Unsupported | undefined;
      try {
        asked = await this.ask(target, upstream, n, cause);
      } catch (err) {
        giveBack();
        throw signal.aborted ? this.reason(signal) : err;
      }
      if (asked && 'unsupported' in asked) {
        giveBack();
        return this.unsupported(target, asked.unsupported, asked.param, asked.status);
      }
      if (signal.aborted) {
        giveBack();
        throw this.reason(signal);
      }
      if (asked) sent = asked;
    }

    let result: AttemptResult;
    try {
      result = await this.attempt(target, sent, n, signal, cause);
    } catch (err) {
      giveBack();
      throw err;
    }
    if (result.ok) {
      breaker.success(admission);
      return { type: 'success', success: { ...result, target } };
    }
    return { type: 'failure', failure: result, action: this.verdict(target, result, admission, giveBack) };
  }

  private request(target: ResolvedTarget): Prepared | Unsupported {
    let upstream = this.prepared.get(target);
    if (!upstream) {
      upstream = this.prepare(target);
      this.prepared.set(target, upstream);
    }
    return upstream;
  }

  /** The target's upstream request: native in the client's format where it speaks it, else translated. */
  private prepare(target: ResolvedTarget, given?: Record<string, unknown>): Prepared | Unsupported {
    const { req } = this;
    const adapter = this.rt.adapter(target);
    const plan = req.plan;
    const native = plan && adapter.native?.(plan.format, target.provider, target.model);
    if (plan && native) {
      const reading: NativeReading = { ...plan.reading, events: native.events, batches: native.batches };
      try {
        const body = given ?? plan.native(target);
        return { request: native.request(target.provider, body, target.model, plan.headers), native: reading, body, adapted: [] };
      } catch (err) {
        return unsupportedOf(err);
      }
    }
    if (plan?.untranslatable && !given) return plan.untranslatable;
    let body = (given ?? req.bodyFor?.(target) ?? req.body) as ChatBody | EmbeddingsBody;
    let adapted: string[] = [];
    if (req.endpoint === 'chat') ({ body, changes: adapted } = adaptParams(body as ChatBody, target, this.rt.config.compat));
    // The client's own bytes serve only the body exactly as it came (serialise once, `ChainRequest.raw`).
    const raw = given === undefined && !req.bodyFor && adapted.length === 0 ? req.raw : undefined;
    const request = prepare(adapter, target, req.endpoint, body, raw);
    return 'unsupported' in request ? request : { request, body: body as unknown as Record<string, unknown>, adapted };
  }

  /** Asks `beforeAttempt` about one attempt; resolves with the request it wants instead, a skip, or undefined. */
  private async ask(target: ResolvedTarget, upstream: Prepared, n: number, cause: AttemptCause): Promise<Prepared | Unsupported | undefined> {
    // The hook sees the target's own model name; the adapter sets it again whatever the hook returns.
    const body = { ...structuredClone(upstream.body), model: target.model };
    const verdict = await this.req.hooks!.beforeAttempt(target, { body, native: upstream.native !== undefined, attempt: n, cause });
    if (!verdict) return undefined;
    if ('skip' in verdict) return { unsupported: `skipped by beforeAttempt: ${verdict.skip}` };
    return this.prepare(target, verdict.body);
  }

  /** The longest a probe can take to reach its verdict: a stream's first-token limit, or the deadline. */
  private verdictWithinMs(target: ResolvedTarget): number {
    const left = Math.max(1, this.req.deadlineAt - this.rt.config.now());
    return this.req.stream ? Math.min(left, target.firstTokenMs) : left;
  }

  private skip(target: ResolvedTarget, detail: string, why: 'limited' | 'unavailable', cooldownMs?: number): TargetOutcome {
    this.req.attempts.push(record(target, 'skipped', 0, undefined, detail));
    return { type: 'skipped', why, cooldownMs };
  }

  /** A target that cannot take this request: the rules decide (by default: fall back). */
  private unsupported(target: ResolvedTarget, detail: string, param?: string | null, status?: number): TargetOutcome {
    this.req.attempts.push(record(target, 'unsupported', 0, undefined, detail));
    if (decide(target, 'unsupported') === 'return') {
      throw new UpstreamRejectedError(status ?? 400, detail, { param, attempts: this.req.attempts });
    }
    return { type: 'skipped', why: 'unsupported', param, status };
  }

  private reason(signal: AbortSignal): unknown {
    const reason = signal.reason;
    return reason instanceof DeadlineExceededError ? new DeadlineExceededError(this.rt.config.totalMs, this.req.attempts) : reason;
  }

  /** The attempt with its statistics, record and event. Throws the signal's reason when it aborts. */
  private async attempt(target: ResolvedTarget, upstream: Prepared, n: number, signal: AbortSignal, cause: AttemptCause): Promise<AttemptResult> {
    const { rt, req } = this;
    const { now } = rt.config;
    const role = cause === 'hedge' || cause === 'resume' ? cause : undefined;
    const headers = rt.beforeAttempt?.({ requestId: req.requestId, target, attempt: n, cause, role, breaker: rt.breaker(target).state });
    const done = rt.stats.begin(target);
    const started = now();
    let result: AttemptResult;
    try {
      result = await attempt({
        pool: rt.pool(target),
        adapter: rt.adapter(target),
        target,
        endpoint: req.endpoint,
        request: upstream.request,
        native: upstream.native,
        stream: req.stream,
        signal,
        maxResponseBytes: rt.config.maxResponseBytes,
        now,
        headers,
      });
    } catch (reason) {
      done();
      // Cancelled by the client, the deadline or a hedge: says nothing about the target.
      const lost = !req.signal.aborted;
      const left = req.signal.reason instanceof ClientClosedError;
      const rec = record(target, lost || left ? 'cancelled' : 'timeout', now() - started, undefined, lost ? 'hedge lost' : left ? 'client closed' : 'aborted');
      if (upstream.adapted.length > 0) rec.adapted = upstream.adapted;
      req.attempts.push(rec);
      this.emitAttempt(rec, n, cause);
      throw signal.aborted ? this.reason(signal) : reason;
    }
    const latencyMs = now() - started;
    if (result.ok) {
      rt.stats.latency(target, latencyMs);
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
    if (upstream.adapted.length > 0) rec.adapted = upstream.adapted;
    req.attempts.push(rec);
    this.emitAttempt(rec, n, cause);
    return result;
  }

  private emitAttempt(rec: AttemptRecord, n: number, cause: AttemptCause): void {
    const { events } = this.rt;
    if (!events.has('attempt')) return;
    const { model: upstreamModel, message: _, ...rest } = rec;
    events.emit('attempt', { requestId: this.req.requestId, model: this.req.model.label, attempt: n, cause, upstreamModel, ...rest });
  }

  /**
   * Applies the rules to a failure and tells the breaker. Throws the client's error
   * when the rules say to return the upstream's answer.
   */
  private verdict(target: ResolvedTarget, failure: AttemptFailure, admission: Admission, giveBack: () => void): 'retry' | 'fallback' {
    const breaker = this.rt.breaker(target);
    const action = failure.slow ? 'fallback' : decide(target, failure.kind, failure.status);
    if (countsAgainstTarget(failure.kind)) breaker.failure(admission);
    else giveBack();
    if (failure.kind === 'context_length') this.windowFloor = Math.max(this.windowFloor, target.contextWindow ?? 0);
    if (action === 'return') {
      const e = failure.error;
      throw new UpstreamRejectedError(failure.status ?? 400, e?.message ?? failure.detail, { type: e?.type, code: e?.code, param: e?.param, attempts: this.req.attempts });
    }
    return action;
  }
}
