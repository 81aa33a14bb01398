/**
 * @module
 * OpenTelemetry spans from the relay's events: one span per request, started in the
 * caller's context (so it is a child of the host's HTTP span), and one CLIENT span per
 * upstream attempt under it (hedges and resume segments too). Retries, backoff waits,
 * failovers, breaker changes, the commit point and resume are span events. A stream's
 * spans end when the stream ends, fails or is abandoned. Content only when opted in.
 */
import type { Attributes, Context, Span, Tracer } from '@opentelemetry/api';
import type { ResolvedConfig, ResolvedTarget } from '../../config/resolved.js';
import type { AttemptStart } from '../../engine/runtime.js';
import type { RelayEventMap, RelayEvents } from '../../events.js';
import { inputMessages, outputMessages } from '../content.js';
import { GEN_AI, SY, providerIdentity, publicModel } from './attributes.js';
import type { OtelApi } from './otel-api.js';

/** Requests traced at once; past it the oldest is ended (a request whose end was never reported). */
const MAX_OPEN = 10_000;

interface OpenRequest {
  span: Span;
  ctx: Context;
  start: RelayEventMap['request'];
  /** Attempt spans in flight, by target and role. */
  attempts: Map<string, Span>;
  /** The committed attempt of a stream: it lasts as long as its segment. */
  winner?: Span;
  failovers: number;
  resumed: boolean;
  output?: string;
}

const keyOf = (target: string, role: string | undefined) => `${target}|${role ?? ''}`;

/** What the tracer reads from the relay, always its current configuration. */
export interface TracerHost {
  config(): ResolvedConfig;
  events: RelayEvents;
}

export class RelayTracer {
  private readonly open = new Map<string, OpenRequest>();
  private readonly tracer: Tracer;
  private readonly off: (() => void)[];

  constructor(
    private readonly api: OtelApi,
    private readonly host: TracerHost,
    version: string,
  ) {
    this.tracer = api.trace.getTracer('switchyard', version);
    const { events } = host;
    this.off = [
      events.on('request', (e) => this.request(e)),
      events.on('content', (e) => this.content(e)),
      events.on('attempt', (e) => this.attempt(e)),
      events.on('retry', (e) => this.retry(e)),
      events.on('failover', (e) => this.failover(e)),
      events.on('breakerOpen', (e) => this.breaker(e, 'open')),
      events.on('breakerHalfOpen', (e) => this.breaker(e, 'half-open')),
      events.on('breakerClose', (e) => this.breaker(e, 'closed')),
      events.on('complete', (e) => this.end(e.requestId, 'ok', e)),
      events.on('abandoned', (e) => this.end(e.requestId, 'abandoned', e)),
      events.on('error', (e) => this.end(e.requestId, e.code === 'ERR_SWITCHYARD_CLIENT_CLOSED' ? 'abandoned' : 'error', e)),
    ];
  }

  stop(): void {
    this.off.forEach((f) => f());
    for (const id of [...this.open.keys()]) this.drop(id, 'relay closed');
  }

  /** [secrets] Content attributes go through the relay's redactor: every secret it holds, and key-shaped text. */
  private readonly redact = (text: string): string => this.host.config().redactor.message(text);

  private request(e: RelayEventMap['request']): void {
    const { api } = this;
    const parent = api.context.active();
    const attributes: Attributes = {
      [GEN_AI.operation]: e.endpoint,
      [GEN_AI.requestModel]: publicModel(e.model),
      [SY.model]: e.model,
      [SY.chain]: e.targets,
      [SY.chainKind]: e.kind,
      [SY.stream]: e.stream,
      [SY.requestId]: e.requestId,
    };
    if (e.caller !== undefined) attributes[SY.caller] = e.caller;
    if (e.maxTokens !== undefined) attributes[GEN_AI.maxTokens] = e.maxTokens;
    if (e.temperature !== undefined) attributes[GEN_AI.temperature] = e.temperature;
    const span = this.tracer.startSpan(`${e.endpoint} ${publicModel(e.model)}`, { kind: api.SpanKind.INTERNAL, attributes }, parent);
    // No provider registered (or not sampled): nothing to record, unless upstreams get the context.
    if (!span.isRecording() && !this.host.config().telemetry.propagate) return;
    if (this.open.size >= MAX_OPEN) this.drop(this.open.keys().next().value!, 'too many requests traced at once');
    if (this.open.has(e.requestId)) this.drop(e.requestId, 'another request took its id');
    this.open.set(e.requestId, { span, ctx: api.trace.setSpan(parent, span), start: e, attempts: new Map(), failovers: 0, resumed: false });
  }

  private content(e: RelayEventMap['content']): void {
    const open = this.open.get(e.requestId);
    if (!open || !this.host.config().telemetry.captureContent) return;
    if (e.input) open.span.setAttribute(GEN_AI.inputMessages, inputMessages(e.input, this.redact));
    if (e.output !== undefined) open.output = e.output;
  }

  /** Starts an attempt's span; returns the headers that carry its context upstream, when asked to. */
  beforeAttempt(info: AttemptStart): Record<string, string> | undefined {
    const open = this.open.get(info.requestId);
    if (!open) return undefined;
    const { api } = this;
    const { target } = info;
    if (info.role === 'resume' && !open.resumed) {
      open.resumed = true;
      open.span.addEvent('switchyard.resume', { [SY.target]: target.id });
      this.endWinner(open, 'interrupted');
    }
    const span = this.tracer.startSpan(`${open.start.endpoint} ${target.model}`, { kind: api.SpanKind.CLIENT, attributes: this.targetAttributes(open, target, info) }, open.ctx);
    open.attempts.set(keyOf(target.id, info.role), span);
    if (!this.host.config().telemetry.propagate) return undefined;
    const carrier: Record<string, string> = {};
    api.propagation.inject(api.trace.setSpan(open.ctx, span), carrier);
    return carrier;
  }

  private targetAttributes(open: OpenRequest, target: ResolvedTarget, info: AttemptStart): Attributes {
    const who = providerIdentity(target.provider);
    const attributes: Attributes = {
      [GEN_AI.operation]: open.start.endpoint,
      [GEN_AI.provider]: who.name,
      [GEN_AI.requestModel]: target.model,
      [GEN_AI.serverAddress]: who.address,
      [GEN_AI.serverPort]: who.port,
      [SY.provider]: target.provider.name,
      [SY.target]: target.id,
      [SY.attempt]: info.attempt,
      [SY.breaker]: info.breaker,
      [SY.position]: open.start.targets.indexOf(target.id),
    };
    if (open.start.maxTokens !== undefined) attributes[GEN_AI.maxTokens] = open.start.maxTokens;
    if (open.start.temperature !== undefined) attributes[GEN_AI.temperature] = open.start.temperature;
    if (info.role) attributes[SY.attemptRole] = info.role;
    return attributes;
  }

  private attempt(e: RelayEventMap['attempt']): void {
    const open = this.open.get(e.requestId);
    if (!open) return;
    const key = keyOf(`${e.provider}/${e.upstreamModel}`, e.cause === 'hedge' || e.cause === 'resume' ? e.cause : undefined);
    const span = open.attempts.get(key);
    if (!span) return;
    open.attempts.delete(key);
    span.setAttribute(SY.attemptOutcome, e.outcome);
    if (e.status !== undefined) span.setAttribute(GEN_AI.httpStatus, e.status);
    if (e.detail !== undefined) span.setAttribute(SY.detail, e.detail);
    if (e.outcome === 'ok' && open.start.stream && !open.winner) {
      // The commit point: from here the client has content and the answer is this target's.
      open.span.addEvent('switchyard.commit', { [SY.target]: `${e.provider}/${e.upstreamModel}`, [SY.firstToken]: e.latencyMs });
      span.addEvent('switchyard.commit');
      open.winner = span;
      return;
    }
    if (e.outcome === 'ok') {
      open.winner = span;
      return;
    }
    if (e.outcome !== 'cancelled') {
      span.setAttribute(GEN_AI.errorType, e.outcome);
      span.setStatus({ code: this.api.SpanStatusCode.ERROR, message: e.detail ?? e.outcome });
    }
    span.end();
  }

  private retry(e: RelayEventMap['retry']): void {
    const open = this.open.get(e.requestId);
    if (!open) return;
    const target = `${e.provider}/${e.upstreamModel}`;
    open.span.addEvent('switchyard.retry', { [SY.target]: target, [SY.attempt]: e.attempt, [GEN_AI.errorType]: e.kind });
    open.span.addEvent('switchyard.backoff', { [SY.target]: target, 'switchyard.backoff_ms': e.delayMs });
  }

  private failover(e: RelayEventMap['failover']): void {
    const open = this.open.get(e.requestId);
    if (!open) return;
    open.failovers++;
    open.span.addEvent('switchyard.failover', {
      'switchyard.failover.from': `${e.from.provider}/${e.from.model}`,
      'switchyard.failover.to': `${e.to.provider}/${e.to.model}`,
      [GEN_AI.errorType]: e.kind,
    });
  }

  private breaker(e: { provider: string; model: string }, state: string): void {
    const id = `${e.provider}/${e.model}`;
    for (const open of this.open.values()) if (open.start.targets.includes(id)) open.span.addEvent('switchyard.breaker', { [SY.target]: id, [SY.breaker]: state });
  }

  /** Ends the committed attempt of a stream: with its segment, or when another target resumed it. */
  private endWinner(open: OpenRequest, how: 'complete' | 'interrupted' | 'abandoned', extra: Attributes = {}): void {
    const span = open.winner;
    if (!span) return;
    open.winner = undefined;
    span.setAttributes({ ...extra, ...(open.start.stream ? { [SY.streamEnd]: how } : {}) });
    if (how === 'interrupted') {
      span.setAttribute(GEN_AI.errorType, 'stream_interrupted');
      span.setStatus({ code: this.api.SpanStatusCode.ERROR, message: 'the upstream stream broke after content was sent' });
    }
    span.end();
  }

  private end(requestId: string, outcome: 'ok' | 'error' | 'abandoned', e: RelayEventMap['complete'] | RelayEventMap['abandoned'] | RelayEventMap['error']): void {
    const open = this.open.get(requestId);
    if (!open) return;
    this.open.delete(requestId);
    const { span } = open;
    const a: Attributes = { [SY.outcome]: outcome, [SY.failover]: open.failovers > 0, [SY.failovers]: open.failovers };
    const served: Attributes = {};
    if ('provider' in e && e.provider !== undefined && e.upstreamModel !== undefined) {
      const id = `${e.provider}/${e.upstreamModel}`;
      a[SY.servedBy] = id;
      a[SY.position] = open.start.targets.indexOf(id);
      const provider = this.host.config().providers.get(e.provider);
      if (provider) a[GEN_AI.provider] = providerIdentity(provider).name;
      a[GEN_AI.responseModel] = e.upstreamModel;
    }
    if (typeof e.attempts === 'number') a[SY.attempts] = e.attempts;
    else a[SY.attempts] = e.attempts.filter((x) => x.outcome !== 'skipped').length;
    if ('firstTokenMs' in e && e.firstTokenMs !== undefined) a[SY.firstToken] = e.firstTokenMs;
    if ('response' in e && e.response) {
      if (e.response.model) served[GEN_AI.responseModel] = e.response.model;
      if (e.response.id) served[GEN_AI.responseId] = e.response.id;
      if (e.response.finishReasons) served[GEN_AI.finishReasons] = e.response.finishReasons;
    }
    if ('usage' in e && e.usage) {
      served[GEN_AI.inputTokens] = e.usage.prompt_tokens;
      served[GEN_AI.outputTokens] = e.usage.completion_tokens;
      if (e.usage.estimated) served[SY.estimated] = true;
    }
    if ('costUsd' in e && e.costUsd !== undefined) a[SY.cost] = e.costUsd;
    if ('cached' in e && e.cached) a[SY.cache] = e.stale ? 'stale' : 'hit';
    if (open.output !== undefined) {
      const finish = 'response' in e ? e.response?.finishReasons?.[0] : undefined;
      a[GEN_AI.outputMessages] = outputMessages(open.output, finish, this.redact);
    }
    span.setAttributes({ ...a, ...served });
    if (open.start.stream) span.setAttribute(SY.streamEnd, outcome === 'ok' ? 'complete' : outcome === 'abandoned' ? 'abandoned' : 'interrupted');
    if (outcome === 'error' && 'code' in e) {
      span.setAttribute(GEN_AI.errorType, e.code);
      span.setStatus({ code: this.api.SpanStatusCode.ERROR, message: e.code });
    }
    if (outcome === 'abandoned') span.addEvent('switchyard.abandoned');
    this.endWinner(open, outcome === 'ok' ? 'complete' : outcome === 'abandoned' ? 'abandoned' : 'interrupted', served);
    // Attempts still running lost a hedge: their own end comes after the request's.
    for (const attempt of open.attempts.values()) attempt.setAttribute(SY.attemptOutcome, 'cancelled').end();
    span.end();
  }

  /** Ends a request whose end will not be reported. */
  private drop(requestId: string, why: string): void {
    const open = this.open.get(requestId);
    if (!open) return;
    this.open.delete(requestId);
    open.span.setStatus({ code: this.api.SpanStatusCode.ERROR, message: why });
    open.winner?.end();
    for (const attempt of open.attempts.values()) attempt.end();
    open.span.end();
  }
}
