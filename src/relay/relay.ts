/**
 * @module
 * The relay's public face: the configuration in force, events, and the entry points
 * every adapter shares (`handle`, `nodeHandler`), the programmatic ones (`chat`, `stream`,
 * `embeddings`) and the operator's (`update`, `setBreaker`, `drain`, `close`). Each method
 * hands its work to the module that owns it: requests to `engine/request.ts`, pools and
 * breakers to `registry.ts`, controls to `operator.ts`.
 *
 * Longer than 300 lines because it is the public API: one short method each, with the
 * TSDoc and example a user reads; splitting it would scatter that API over files.
 */
import type { IncomingMessage } from 'node:http';
import { inspect } from 'node:util';
import { resolveConfig, type ResolvedConfig } from '../config.js';
import { runRequest, type RequestHost } from '../engine/request.js';
import { RelayClosedError } from '../errors/index.js';
import { RelayEvents, type RelayEventName, type RelayListener } from '../events.js';
import { ResponseCache } from '../governance/cache.js';
import { Settlement } from '../governance/settlement.js';
import { createNodeHandler, type NodeHandler, type NodeHandlerOptions } from '../http/node-handler.js';
import { InFlight } from '../inflight.js';
import { StatsCollector, type HealthSnapshot, type StatsSnapshot } from '../observe/stats.js';
import type { RelayConfig } from '../options.js';
import { startHealthChecks } from '../routing/health.js';
import type { AlertEvaluator } from '../observe/alerts/evaluator.js';
import type { RequestLog } from '../observe/request-log/log.js';
import { ResponseStateStore } from '../formats/responses/state.js';
import { Observability } from './observability.js';
import { Operator } from './operator.js';
import { Registry } from './registry.js';
import { chatPayloads } from '../stream/client-stream.js';

export type {
  RelayRequest,
  RelayMeta,
  RelayResult,
  ChatCompletion,
  ChatCompletionChunk,
  EmbeddingList,
  CallOptions,
  TargetStatus,
} from '../relay-types.js';
import type { CallOptions, ChatCompletion, ChatCompletionChunk, EmbeddingList, RelayRequest, RelayResult, TargetStatus } from '../relay-types.js';

/**
 * A configured relay. Create it with {@link createRelay}.
 *
 * @example
 * ```ts
 * const relay = createRelay(config);
 * http.createServer(relay.nodeHandler({ prefix: '/v1' })).listen(8787);
 * ```
 */
export class Relay {
  private config: ResolvedConfig;
  private readonly events = new RelayEvents();
  private readonly registry = new Registry(this.events);
  private readonly operator = new Operator(this.registry, this.events, () => this.config);
  private readonly inflight = new InFlight();
  /** Store corrections after requests, retried in the background when the store fails. */
  private readonly settlement = new Settlement(this.events, () => this.config.governance.onStoreError.retry);
  /** Stored Responses, on the configured store (kept across updates while the store stays). */
  private responses!: ResponseStateStore;
  /** Traces, GenAI metrics, the request log and alerts. */
  private readonly observability: Observability;
  private stopHealthChecks: () => void = () => {};
  private modelList: Buffer = Buffer.alloc(0);
  private closed = false;
  private closing: Promise<void> | undefined;
  private collector: StatsCollector | undefined;
  /** What each request borrows from the relay; replaced whole by `update()`. */
  private host!: RequestHost;

  constructor(config: RelayConfig) {
    this.config = resolveConfig(config);
    this.observability = new Observability(this.events, () => this.config);
    this.install(this.config);
  }

  private responseStore(config: ResolvedConfig): ResponseStateStore {
    if (this.responses?.store !== config.governance.store) {
      this.responses = new ResponseStateStore({ store: config.governance.store, now: config.now });
    }
    return this.responses;
  }

  /** Makes `config` the one new requests use (requests in flight keep theirs). */
  private install(config: ResolvedConfig, previous?: RequestHost): void {
    this.registry.apply(config);
    this.observability.apply(config);
    const runtime = { ...this.registry.runtime(config), beforeAttempt: this.observability.beforeAttempt };
    const { governance, cache, now } = config;
    const relay = this;
    this.host = {
      config,
      events: this.events,
      runtime,
      ledger: governance.active ? { governance, events: this.events, settlement: this.settlement, now } : undefined,
      // The cache survives an update when it stays on: its answers do not depend on config.
      cache: cache ? (previous?.cache ?? new ResponseCache(cache, now)) : undefined,
      responses: this.responseStore(config),
      inflight: this.inflight,
      get closed() {
        return relay.closed;
      },
    };
    this.stopHealthChecks();
    this.stopHealthChecks = startHealthChecks(this.registry.all(), runtime);
    this.modelList = Buffer.from(JSON.stringify(this.models()));
  }

  /**
   * Swaps in a new configuration atomically. It is validated completely first: an
   * invalid one throws the same field-naming `InvalidConfigError` as `createRelay` and
   * the old one stays in force. Requests in flight finish on the configuration they
   * started with; breaker, latency and budget state of targets that still exist is
   * kept; pools of removed or changed providers close once their requests are done.
   *
   * @example
   * ```ts
   * relay.update({ ...config, providers: { ...config.providers, spare: { type: 'openai', baseURL, apiKeyEnv: 'SPARE_KEY' } } }, { actor: 'ops:alice' });
   * ```
   */
  update(config: RelayConfig, options: { actor?: string } = {}): void {
    if (this.closed) throw new RelayClosedError();
    const next = resolveConfig(config);
    const previous = this.config;
    // A relay-made memory store holds budgets and buckets: keep it unless a store is given.
    if (next.governance.ownStore && previous.governance.ownStore) {
      void next.governance.store.close?.();
      next.governance.store = previous.governance.store;
    } else if (previous.governance.ownStore && next.governance.store !== previous.governance.store) {
      void previous.governance.store.close?.();
    }
    const previousHost = this.host;
    this.config = next;
    this.install(next, previousHost);
    this.operator.updated(previous, next, options.actor);
  }

  /**
   * Operator override of a target's breaker: `'open'` holds it open (maintenance: no
   * traffic), `'closed'` holds it closed, `'auto'` releases the hold and resets it.
   * Without `model`, every target of the provider.
   */
  setBreaker(provider: string, model: string | undefined, state: 'open' | 'closed' | 'auto', options: { actor?: string } = {}): void {
    this.operator.setBreaker(provider, model, state, options.actor);
  }

  /**
   * Drains a provider: it gets no new requests (its targets are skipped) while the
   * requests it is serving, streams included, finish. `undrain` takes it back.
   */
  drain(provider: string, options: { actor?: string } = {}): void {
    this.operator.drain(provider, options.actor);
  }

  /** Ends a drain: the provider gets traffic again. */
  undrain(provider: string, options: { actor?: string } = {}): void {
    this.operator.undrain(provider, options.actor);
  }

  /**
   * Reports a configuration that could not be applied (an unreadable file, a syntax
   * error, one `update` refused) as a `control` event with `action: 'configError'` and
   * `detail: { path, message }`. Changes nothing: the configuration in force stays.
   * `watchConfigFile` calls it; secrets of the configuration in force are redacted from `message`.
   *
   * @example
   * ```ts
   * relay.reportConfigError('/etc/switchyard.json', 'invalid JSON at line 3, column 7', { actor: 'file:/etc/switchyard.json' });
   * ```
   */
  reportConfigError(path: string, message: string, options: { actor?: string } = {}): void {
    this.operator.configError(path, message, options.actor);
  }

  /** What a logger sees: names and counts, never the resolved config (it holds keys). */
  [inspect.custom](): string {
    return `Relay { models: ${JSON.stringify([...this.config.models.keys()])}, providers: ${JSON.stringify([...this.config.providers.keys()])}, inFlight: ${this.inflight.size}, closed: ${this.closed} }`;
  }

  /** `JSON.stringify(relay)` shows the same summary as `inspect`. */
  toJSON(): Record<string, unknown> {
    return { models: [...this.config.models.keys()], providers: [...this.config.providers.keys()], inFlight: this.inflight.size, closed: this.closed };
  }

  /** The caller key of an HTTP request, by the configured `callers.key`. */
  callerOf(req: IncomingMessage): string | undefined {
    const key = this.config.governance.callerKey?.(req);
    return typeof key === 'string' && key.length > 0 ? key : undefined;
  }

  /**
   * Subscribes to an event; returns the function that unsubscribes.
   *
   * @example
   * ```ts
   * const off = relay.on('failover', (e) => log.warn(e, 'failover'));
   * ```
   */
  on<E extends RelayEventName>(event: E, listener: RelayListener<E>): () => void {
    return this.events.on(event, listener);
  }

  /** Public models in OpenAI's list format. */
  models(): { object: 'list'; data: { id: string; object: 'model'; created: number; owned_by: string }[] } {
    // Chains are valid models too.
    return {
      object: 'list',
      data: [...this.config.models.keys()].map((id) => ({ id, object: 'model', created: 0, owned_by: 'switchyard' })),
    };
  }

  /** @internal The stored Responses (`previous_response_id`, `GET /responses/{id}`). */
  responseState(): ResponseStateStore {
    return this.responses;
  }

  /** @internal The model list, serialised once. */
  modelsBody(): Buffer {
    return this.modelList;
  }

  /** @internal Heartbeat interval of waiting streams (0: off), for the HTTP layer. */
  get heartbeatMs(): number {
    return this.config.heartbeatMs;
  }

  /** @internal The longest wait for a request body, for the HTTP layer. */
  get bodyTimeoutMs(): number {
    return this.config.bodyMs;
  }

  /** @internal Resolved limits for the HTTP layer. */
  get maxBodyBytes(): number {
    return this.config.maxBodyBytes;
  }

  /** Every target with its breaker state. */
  targets(): TargetStatus[] {
    return this.registry.all().map((target) => {
      const stat = this.registry.stats.get(target);
      const breaker = this.registry.breaker(target);
      return {
        provider: target.provider.name,
        model: target.model,
        breaker: breaker.toJSON(),
        latencyMs: stat.ewmaMs,
        inFlight: stat.inFlight,
        draining: this.registry.draining.has(target.provider.name),
        override: breaker.override,
      };
    });
  }

  /**
   * Live statistics per target (attempts, errors, failovers, tokens, spend, latency over
   * the last 5 minutes), as `GET /stats` and the dashboard show them. Collecting starts
   * with the first call (or when a handler mounts the stats, health or dashboard routes).
   */
  stats(): StatsSnapshot {
    return this.observability.stats(this.statsCollector().snapshot(this.targets(), this.inFlight));
  }

  /** Overall and per-target health, as `GET /health` shows it; firing alerts make it `degraded`. */
  health(): HealthSnapshot {
    return this.observability.health(this.statsCollector().health(this.targets()));
  }

  /** @internal The request log, started on first use (`GET /requests`, the dashboard). */
  requestLog(): RequestLog {
    return this.observability.requestLog();
  }

  /**
   * The alert evaluator, when alerts are configured: `firing()` lists the alerts firing
   * now, `evaluate()` runs every rule at once (tests drive it with an injected `now`).
   */
  get alerts(): AlertEvaluator | undefined {
    return this.observability.alerts;
  }

  /** @internal Starts collecting statistics. */
  statsCollector(): StatsCollector {
    this.collector ??= new StatsCollector(this.events, this.config.now);
    return this.collector;
  }

  /**
   * Runs one chat completion request through the failover chain. Resolves once a target
   * answered (for streams: once the first content arrived); rejects with a
   * `SwitchyardError` otherwise. The shared path under every adapter.
   */
  async handle(request: RelayRequest): Promise<RelayResult> {
    return runRequest(this.host, request);
  }

  /**
   * A non-streaming chat completion, for code that is not behind a route.
   *
   * @example
   * ```ts
   * const completion = await relay.chat({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'Hi' }] });
   * ```
   */
  async chat(body: Record<string, unknown>, options: CallOptions = {}): Promise<ChatCompletion> {
    const result = await this.handle({ body: { ...body, stream: false }, signal: options.signal, requestId: options.requestId, caller: options.caller });
    if (result.stream) throw new Error('unreachable: a non-streaming request produced a stream');
    return JSON.parse(result.body.toString('utf8')) as ChatCompletion;
  }

  /**
   * Embeddings, with the same failover as chat completions.
   *
   * @example
   * ```ts
   * const { data } = await relay.embeddings({ model: 'text-embedding-3-small', input: ['a', 'b'] });
   * ```
   */
  async embeddings(body: Record<string, unknown>, options: CallOptions = {}): Promise<EmbeddingList> {
    const result = await this.handle({ format: 'embeddings', body, signal: options.signal, requestId: options.requestId, caller: options.caller });
    if (result.stream) throw new Error('unreachable: an embeddings request produced a stream');
    return JSON.parse(result.body.toString('utf8')) as EmbeddingList;
  }

  /**
   * A streaming chat completion as parsed chunks. Break out of the loop (or call
   * `return()`) to abort the upstream. A stream that breaks after it started throws a
   * `StreamInterruptedError`.
   *
   * @example
   * ```ts
   * for await (const chunk of await relay.stream({ model: 'gpt-4.1', messages })) process.stdout.write(chunk.choices[0]?.delta?.content ?? '');
   * ```
   */
  async stream(body: Record<string, unknown>, options: CallOptions = {}): Promise<AsyncIterableIterator<ChatCompletionChunk>> {
    const result = await this.handle({ body: { ...body, stream: true }, signal: options.signal, requestId: options.requestId, caller: options.caller });
    if (!result.stream) throw new Error('unreachable: a streaming request produced a JSON body');
    const chunks = result.chunks;
    // One write may hold the frames of several chunks.
    const ready: string[] = [];
    const parsed: AsyncIterableIterator<ChatCompletionChunk> = {
      [Symbol.asyncIterator]: () => parsed,
      async next(): Promise<IteratorResult<ChatCompletionChunk>> {
        for (;;) {
          const payload = ready.shift();
          if (payload !== undefined) {
            if (payload === '[DONE]') continue;
            return { done: false, value: JSON.parse(payload) as ChatCompletionChunk };
          }
          const next = await chunks.next();
          if (chunks.failure) throw chunks.failure;
          if (next.done) return { done: true, value: undefined };
          ready.push(...chatPayloads(next.value));
        }
      },
      async return(): Promise<IteratorResult<ChatCompletionChunk>> {
        await chunks.return();
        return { done: true, value: undefined };
      },
    };
    return parsed;
  }

  /**
   * A `node:http` request listener serving `POST {prefix}/chat/completions` and
   * `GET {prefix}/models`. Other paths go to `next` when given, else get a 404.
   *
   * @example
   * ```ts
   * http.createServer(relay.nodeHandler({ prefix: '/v1' })).listen(8787);
   * ```
   */
  nodeHandler(options: NodeHandlerOptions = {}): NodeHandler {
    return createNodeHandler(this, options);
  }

  /** Number of requests in flight (streams included). */
  get inFlight(): number {
    return this.inflight.size;
  }

  /** @internal Resolves once the store corrections of finished requests have landed or been given up. */
  settled(): Promise<void> {
    return this.settlement.idle();
  }

  /** Whether `close()` was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Stops the relay: aborts requests in flight, closes every upstream connection pool
   * and drops every listener, so a host process can exit cleanly.
   */
  close(options: { drainMs?: number } = {}): Promise<void> {
    this.closing ??= this.shutdown(options.drainMs ?? 0);
    return this.closing;
  }

  private async shutdown(drainMs: number): Promise<void> {
    // From here every adapter answers new requests with 503 and Retry-After.
    this.closed = true;
    this.stopHealthChecks();
    if (drainMs > 0) await this.inflight.idle(drainMs);
    for (const controller of this.inflight) controller.abort(new RelayClosedError());
    // After the aborts, so their ends are traced, logged and flushed.
    await this.observability.close();
    this.settlement.close();
    this.events.clear();
    await this.registry.close();
    if (this.config.governance.ownStore) await this.config.governance.store.close?.();
  }
}

/**
 * Creates a relay. The configuration is validated here, once; a bad field throws an
 * `InvalidConfigError` naming its path.
 *
 * @example
 * ```ts
 * import { createRelay } from 'switchyard';
 * const relay = createRelay({ providers: { ... }, models: { ... } });
 * ```
 */
export function createRelay(config: RelayConfig): Relay {
  return new Relay(config);
}
