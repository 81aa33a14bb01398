/**
 * @module
 * What one request tells its listeners: `request` when it starts (synchronously, in the
 * caller's async context, so a tracer's active span is the host's), then exactly one of
 * `complete` (answered), `abandoned` (a stream the client left) or `error` (the client got
 * an error), and with it one `requestEnd` record of the whole request: who served it,
 * each attempt, and what it used and cost (a stream that broke or that the client left
 * still cost what was sent). Payloads are built only when someone listens and never hold
 * keys; prompts and answers only in `content` events, when the host opted in.
 */
import type { FormatName } from '../formats/names.js';
import type { ResolvedModel } from '../config/resolved.js';
import { ClientClosedError, isSwitchyardError, type AttemptRecord } from '../errors/index.js';
import type { RelayEvents, ResponseInfo } from '../events.js';
import type { Served } from '../governance/ledger.js';
import type { RecordAttempt, RequestRecord } from '../observe/request-log/record.js';
import { costOf, priceOf } from '../pricing.js';
import type { Endpoint, Usage } from '../providers/provider.js';
import { forEvents, wasSent } from './records.js';

/** Token counts, marked when the relay estimated them (the upstream reported none). */
export type Spent = Usage & { estimated?: boolean };

/** Total usage of the shares of an answer. */
export function totalUsage(served: readonly Served[]): Spent {
  const sum: Spent = { prompt_tokens: 0, completion_tokens: 0 };
  for (const s of served) {
    sum.prompt_tokens += s.usage.prompt_tokens;
    sum.completion_tokens += s.usage.completion_tokens;
    if ((s.usage as Spent).estimated) sum.estimated = true;
  }
  return sum;
}

/** Cost in US$ of one share, when its target has a price. */
function shareCost(s: Served): number | undefined {
  const price = priceOf(s.target);
  return price ? costOf(price, s.usage.prompt_tokens, s.usage.completion_tokens) : undefined;
}

/** Cost in US$ of the shares of an answer, when every serving target has a price. */
export function totalCost(served: readonly Served[]): number | undefined {
  let usd = 0;
  for (const s of served) {
    const cost = shareCost(s);
    if (cost === undefined) return undefined;
    usd += cost;
  }
  return usd;
}

const tokensOf = (u: Spent) => ({ input: u.prompt_tokens, output: u.completion_tokens, ...(u.estimated ? { estimated: true } : {}) });

/** What a request is, for its reports. */
export interface ReportBase {
  requestId: string;
  model: ResolvedModel;
  endpoint: Endpoint;
  /** The API the client speaks. */
  format: FormatName;
  /** The `model` field the client sent. */
  requested: string;
  caller?: string;
  stream: boolean;
  started: number;
  now: () => number;
  attempts: AttemptRecord[];
  maxTokens?: number;
  temperature?: number;
  /** The prompt for the record, only when the host opted in (`requestLog.prompts`), keys redacted. */
  messages?: unknown[];
}

/** How a served request ended, beyond its shares. */
interface Ending {
  served: readonly Served[];
  costUsd: number | undefined;
  response?: ResponseInfo;
  firstTokenMs?: number;
}

export class Report {
  private done = false;

  constructor(
    private readonly events: RelayEvents,
    private readonly base: ReportBase,
  ) {
    if (!events.has('request')) return;
    const e = base;
    events.emit('request', {
      requestId: e.requestId, model: e.model.label, endpoint: e.endpoint, format: e.format, requested: e.requested, kind: e.model.kind,
      targets: e.model.targets.map((t) => t.id), stream: e.stream, at: e.started,
      ...(e.caller !== undefined ? { caller: e.caller } : {}),
      ...(e.maxTokens !== undefined ? { maxTokens: e.maxTokens } : {}),
      ...(e.temperature !== undefined ? { temperature: e.temperature } : {}),
    });
  }

  private get latencyMs(): number {
    return this.base.now() - this.base.started;
  }

  /** Prompt or answer, for hosts that opted in to content capture. */
  content(part: { input?: unknown[]; output?: string }): void {
    if (this.events.has('content')) this.events.emit('content', { requestId: this.base.requestId, model: this.base.model.label, ...part });
  }

  /** Served from the response cache (`stale`: after every target failed). */
  cached(provider: string, upstreamModel: string, stale = false): void {
    const { events, base } = this;
    if (events.has('complete')) {
      events.emit('complete', {
        requestId: base.requestId, model: base.model.label, provider, upstreamModel, stream: false,
        attempts: base.attempts.filter(wasSent).length, latencyMs: this.latencyMs, cached: true, ...(stale ? { stale: true } : {}),
      });
    }
    this.record('ok', 200, { served: [], costUsd: undefined }, { servedBy: `${provider}/${upstreamModel}`, cache: stale ? 'stale' : 'hit' });
  }

  /** Answered (a stream: it ended properly), by `served`. */
  complete(end: Ending, droppedEvents = 0): void {
    const { events, base } = this;
    const last = end.served.at(-1)!.target;
    if (events.has('complete')) {
      events.emit('complete', {
        requestId: base.requestId, model: base.model.label, provider: last.provider.name, upstreamModel: last.model,
        stream: base.stream, attempts: base.attempts.filter(wasSent).length, latencyMs: this.latencyMs,
        usage: totalUsage(end.served), costUsd: end.costUsd, firstTokenMs: end.firstTokenMs, response: end.response,
        ...(droppedEvents ? { droppedEvents } : {}),
      });
    }
    this.record('ok', 200, end);
  }

  /** A stream whose client left after it started: unfinished, not failed. */
  abandoned(end: Ending): void {
    const { events, base } = this;
    const last = end.served.at(-1)!.target;
    if (events.has('abandoned')) {
      events.emit('abandoned', {
        requestId: base.requestId, model: base.model.label, provider: last.provider.name, upstreamModel: last.model, stream: true,
        attempts: base.attempts.filter(wasSent).length, latencyMs: this.latencyMs, firstTokenMs: end.firstTokenMs,
        usage: totalUsage(end.served), costUsd: end.costUsd, response: end.response,
      });
    }
    this.record('abandoned', 499, end);
  }

  /**
   * Failed with `err` before an answer, or a stream that broke after `end.served` had
   * started it. A client that left before an answer is recorded as abandoned. Returns `err`.
   */
  failed(err: unknown, end?: Ending): unknown {
    const left = err instanceof ClientClosedError || (isSwitchyardError(err) && err.code === 'ERR_SWITCHYARD_CLIENT_CLOSED');
    const { events, base } = this;
    const last = end?.served.at(-1)?.target;
    if (isSwitchyardError(err) && events.has('error')) {
      events.emit('error', {
        requestId: base.requestId, model: base.model.label, code: err.code, status: err.status, attempts: forEvents(base.attempts), latencyMs: this.latencyMs,
        ...(last && end ? { provider: last.provider.name, upstreamModel: last.model, firstTokenMs: end.firstTokenMs, usage: totalUsage(end.served), costUsd: end.costUsd } : {}),
      });
    }
    const status = isSwitchyardError(err) ? err.status : 500;
    this.record(left ? 'abandoned' : 'error', left ? 499 : status, end ?? { served: [], costUsd: undefined }, { errorCode: isSwitchyardError(err) ? err.code : 'internal_error' });
    return err;
  }

  /** The `requestEnd` record, once. */
  private record(status: RequestRecord['status'], httpStatus: number, end: Ending, extra: Partial<RequestRecord> = {}): void {
    if (this.done) return;
    this.done = true;
    const { events, base } = this;
    if (!events.has('requestEnd')) return;
    const chain = base.model.targets.map((t) => t.id);
    const last = end.served.at(-1)?.target;
    const servedBy = extra.servedBy ?? last?.id;
    const attempts = base.attempts.map((a): RecordAttempt => ({ target: `${a.provider}/${a.model}`, outcome: a.outcome, latencyMs: a.latencyMs, ...(a.status !== undefined ? { status: a.status } : {}) }));
    const tried = new Set(attempts.map((a) => a.target));
    const r: RequestRecord = {
      time: base.started,
      requestId: base.requestId,
      model: base.model.label,
      requested: base.requested,
      chain,
      format: base.format,
      stream: base.stream,
      attempts,
      failovers: Math.max(0, tried.size - (servedBy && tried.has(servedBy) ? 1 : tried.size > 0 ? 1 : 0)),
      status,
      httpStatus,
      latencyMs: this.latencyMs,
      ...extra,
    };
    if (base.caller !== undefined) r.caller = base.caller;
    if (servedBy !== undefined) {
      r.servedBy = servedBy;
      const position = chain.indexOf(servedBy);
      if (position >= 0) r.position = position;
    }
    if (end.firstTokenMs !== undefined) r.firstTokenMs = end.firstTokenMs;
    if (end.served.length > 0) {
      r.tokens = tokensOf(totalUsage(end.served));
      r.served = end.served.map((s) => ({ target: s.target.id, tokens: tokensOf(s.usage as Spent), costUsd: shareCost(s) }));
    }
    if (end.costUsd !== undefined) r.costUsd = end.costUsd;
    if (end.response?.finishReasons) r.finishReasons = end.response.finishReasons;
    if (base.messages) r.messages = base.messages;
    events.emit('requestEnd', r);
  }
}
