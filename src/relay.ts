/**
 * @module
 * The relay: configuration, connection pools, breakers and events in one object, and
 * the entry points every adapter shares (`handle`, `nodeHandler`) plus the programmatic
 * ones (`chat`, `stream`).
 */
import type { IncomingMessage } from 'node:http';
import { inspect } from 'node:util';
import { Pool } from 'undici';
import { resolveConfig, type ResolvedConfig, type ResolvedTarget } from './config.js';
import type { EngineRuntime } from './engine.js';
import { InvalidRequestError, RelayClosedError } from './errors.js';
import { RelayEvents, type RelayEventMap, type RelayEventName, type RelayListener } from './events.js';
import { InFlight } from './inflight.js';
import { ResponseCache } from './governance/cache.js';
import { Guard } from './governance/guard.js';
import { createNodeHandler, type NodeHandler, type NodeHandlerOptions } from './http/node-handler.js';
import { DEFAULTS, type RelayConfig } from './options.js';
import { CircuitBreaker } from './policy/breaker.js';
import { adapterFor } from './providers/index.js';
import { startHealthChecks } from './routing/health.js';
import { TargetStats } from './routing/stats.js';
import { StatsCollector, type HealthSnapshot, type StatsSnapshot } from './observe/stats.js';
import { runRequest, type RequestHost } from './run.js';
import { BreakerSync } from './store/breaker-sync.js';
import { startTelemetry, type Telemetry } from './observe/tracing/index.js';
import { RequestLog } from './observe/request-log/log.js';
import { AlertEvaluator } from './observe/alerts/evaluator.js';

export type {
  RelayRequest,
  RelayMeta,
  RelayResult,
  ChatCompletion,
  ChatCompletionChunk,
  EmbeddingList,
  CallOptions,
  TargetStatus,
} from './relay-types.js';
import type { CallOptions, ChatCompletion, ChatCompletionChunk, EmbeddingList, RelayRequest, RelayResult, TargetStatus } from './relay-types.js';

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
  /** Connection pools by provider settings (name, origin, size, connect timeout). */
  private readonly pools = new Map<string, Pool>();
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly inflight = new InFlight();
  private readonly targetStats = new TargetStats();
  /** Providers being drained: no new requests, in-flight ones finish. */
  private readonly draining = new Set<string>();
  private stopHealthChecks: () => void = () => {};
  private modelList: Buffer = Buffer.alloc(0);
  private closed = false;
  private closing: Promise<void> | undefined;
  private collector: StatsCollector | undefined;
  /** Shares breaker verdicts with other instances, when the store can. */
  private sync: BreakerSync | undefined;
  /** What each request borrows from the relay; replaced whole by `update()`. */
  private host!: RequestHost;
  // [observe] OpenTelemetry, the request log and alerts.
  private readonly telemetry: Telemetry | undefined;
  private log: RequestLog | undefined;
  private alerting: AlertEvaluator | undefined;

  constructor(config: RelayConfig) {
    this.config = resolveConfig(config);
    this.telemetry = startTelemetry(this.events, () => this.config);
    this.install(this.config);
    this.observe(this.config);
  }

  /** [observe] Starts the request log and alerts the configuration asks for. */
  private observe(config: ResolvedConfig, previous?: ResolvedConfig): void {
    if (config.requestLog || config.alerts) this.requestLog().setSinks(config.requestLog?.sinks ?? []);
    if (JSON.stringify(config.alerts) === JSON.stringify(previous?.alerts)) return;
    this.alerting?.close();
    this.alerting = config.alerts && new AlertEvaluator(this.events, (fn) => this.requestLog().subscribe(fn), config.alerts, config.now);
  }

  /** @internal The request log, started on first use (`GET /requests`, a `requestEnd` listener). */
  requestLog(): RequestLog {
    this.log ??= new RequestLog(
      this.events,
      { size: this.config.requestLog?.size ?? DEFAULTS.requestLog.size, prompts: this.config.requestLog?.prompts ?? false },
      this.config.requestLog?.sinks ?? [],
      (err) => process.emitWarning(`switchyard request log sink: ${(err as Error)?.message ?? String(err)}`, 'SwitchyardRequestLogWarning'),
    );
    return this.log;
  }

  /**
   * The alert evaluator, when alerts are configured: `firing()` lists the alerts firing
   * now, `evaluate()` runs every rule at once (tests drive it with an injected `now`).
   */
  get alerts(): AlertEvaluator | undefined {
    return this.alerting;
  }

  /** Makes `config` the one new requests use (requests in flight keep theirs). */
  private install(config: ResolvedConfig, previous?: RequestHost): void {
    const { store } = config.governance;
    if (this.sync?.store !== store) {
      this.sync?.close();
      this.sync = BreakerSync.start(store, { events: this.events, now: config.now, breaker: (id) => this.breakerById(id) });
    }
    const sync = this.sync;
    const runtime: EngineRuntime = {
      config,
      events: this.events,
      pool: (target) => this.pool(target),
      adapter: (target) => adapterFor(target.provider.type),
      breaker: (target) => this.breaker(target),
      stats: this.targetStats,
      draining: (target) => this.draining.has(target.provider.name),
      acquireProbe: sync && ((target) => sync.probe(target)),
      beforeAttempt: this.telemetry?.beforeAttempt,
    };
    const { governance, cache, now } = config;
    const relay = this;
    this.host = {
      config,
      events: this.events,
      runtime,
      guard: governance.active ? new Guard(governance, this.events, now) : undefined,
      // The cache survives an update when it stays on: its answers do not depend on config.
      cache: cache ? (previous?.cache ?? new ResponseCache(cache, now)) : undefined,
      inflight: this.inflight,
      get closed() {
        return relay.closed;
      },
    };
    this.stopHealthChecks();
    this.stopHealthChecks = startHealthChecks(this.allTargets(), runtime);
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
    this.observe(next, previous);
    const live = new Set(this.allTargets().map((t) => t.id));
    for (const target of this.allTargets()) this.breakers.get(target.id)?.configure(target.breaker);
    for (const id of [...this.breakers.keys()]) if (!live.has(id)) this.breakers.delete(id);
    const keep = new Set([...next.providers.values()].map((p) => p.poolKey));
    for (const [key, pool] of this.pools) {
      if (keep.has(key)) continue;
      this.pools.delete(key);
      // Waits for the requests it carries, then closes its sockets.
      void pool.close().catch(() => {});
    }
    const names = (m: Map<string, unknown>) => [...m.keys()];
    this.emitControl({
      action: 'update',
      actor: options.actor,
      detail: {
        providersAdded: names(next.providers).filter((n) => !previous.providers.has(n)),
        providersRemoved: names(previous.providers).filter((n) => !next.providers.has(n)),
        modelsAdded: names(next.models).filter((n) => !previous.models.has(n)),
        modelsRemoved: names(previous.models).filter((n) => !next.models.has(n)),
      },
    });
  }

  /**
   * Operator override of a target's breaker: `'open'` holds it open (maintenance: no
   * traffic), `'closed'` holds it closed, `'auto'` releases the hold and resets it.
   * Without `model`, every target of the provider.
   */
  setBreaker(provider: string, model: string | undefined, state: 'open' | 'closed' | 'auto', options: { actor?: string } = {}): void {
    const targets = this.allTargets().filter((t) => t.provider.name === provider && (model === undefined || t.model === model));
    if (targets.length === 0) throw new InvalidRequestError(`No target ${model === undefined ? `on provider ${provider}` : `${provider}/${model}`}.`, 'provider');
    // An override is this instance's own: it is not published to the others.
    const apply = () => targets.forEach((t) => this.breaker(t).force(state === 'auto' ? undefined : state));
    if (this.sync) this.sync.quietly(apply);
    else apply();
    this.emitControl({ action: 'breaker', actor: options.actor, provider, model, state });
  }

  /**
   * Drains a provider: it gets no new requests (its targets are skipped) while the
   * requests it is serving, streams included, finish. `undrain` takes it back.
   */
  drain(provider: string, options: { actor?: string } = {}): void {
    if (!this.config.providers.has(provider)) throw new InvalidRequestError(`No provider ${provider}.`, 'provider');
    this.draining.add(provider);
    this.emitControl({ action: 'drain', actor: options.actor, provider });
  }

  /** Ends a drain: the provider gets traffic again. */
  undrain(provider: string, options: { actor?: string } = {}): void {
    this.draining.delete(provider);
    this.emitControl({ action: 'undrain', actor: options.actor, provider });
  }

  /**
   * Reports a configuration that could not be applied (an unreadable file, a syntax
   * error, one `update` refused) as a `control` event with `action: 'configError'` and
   * `detail: { path, message }`. Changes nothing: the configuration in force stays.
   * `watchConfigFile` calls it; `message` must not hold keys.
   *
   * @example
   * ```ts
   * relay.reportConfigError('/etc/switchyard.json', 'invalid JSON at line 3, column 7', { actor: 'file:/etc/switchyard.json' });
   * ```
   */
  reportConfigError(path: string, message: string, options: { actor?: string } = {}): void {
    this.emitControl({ action: 'configError', actor: options.actor, detail: { path, message } });
  }

  private emitControl(payload: RelayEventMap['control']): void {
    this.events.emit('control', payload);
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
    // [observe] records are built only for someone: a listener is someone.
    if (event === 'requestEnd') this.requestLog();
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
    return this.allTargets().map((target) => {
      const stat = this.targetStats.get(target);
      return {
        provider: target.provider.name,
        model: target.model,
        breaker: this.breaker(target).toJSON(),
        latencyMs: stat.ewmaMs,
        inFlight: stat.inFlight,
        draining: this.draining.has(target.provider.name),
        override: this.breaker(target).override,
      };
    });
  }

  /**
   * Live statistics per target (attempts, errors, failovers, tokens, spend, latency over
   * the last 5 minutes), as `GET /stats` and the dashboard show them. Collecting starts
   * with the first call (or when a handler mounts the stats, health or dashboard routes).
   */
  stats(): StatsSnapshot {
    const snapshot = this.statsCollector().snapshot(this.targets(), this.inFlight);
    if (this.log) snapshot.analytics = this.log.snapshot();
    if (this.alerting) snapshot.alerts = this.alerting.firing();
    return snapshot;
  }

  /** Overall and per-target health, as `GET /health` shows it; firing alerts make it `degraded`. */
  health(): HealthSnapshot {
    const health = this.statsCollector().health(this.targets());
    if (this.alerting) {
      health.alerts = this.alerting.firing();
      if (health.alerts.length > 0 && health.status === 'ok') health.status = 'degraded';
    }
    return health;
  }

  /** @internal Starts collecting statistics. */
  statsCollector(): StatsCollector {
    this.collector ??= new StatsCollector(this.events, this.config.now);
    return this.collector;
  }

  /** Every distinct target of every model and chain. */
  private allTargets(): ResolvedTarget[] {
    return [...new Set([...this.config.models.values()].flatMap((m) => m.targets))];
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
    const result = await this.handle({ endpoint: 'embeddings', body, signal: options.signal, requestId: options.requestId, caller: options.caller });
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
    const parsed: AsyncIterableIterator<ChatCompletionChunk> = {
      [Symbol.asyncIterator]: () => parsed,
      async next(): Promise<IteratorResult<ChatCompletionChunk>> {
        for (;;) {
          const next = await chunks.next();
          if (next.done) return { done: true, value: undefined };
          if (next.value === '[DONE]') continue;
          return { done: false, value: JSON.parse(next.value) as ChatCompletionChunk };
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

  /** Whether `close()` was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Stops the relay: aborts requests in flight, closes every upstream connection pool
   * and drops every listener, so a host process can exit cleanly.
   */
  async close(options: { drainMs?: number } = {}): Promise<void> {
    this.closing ??= this.shutdown(options.drainMs ?? 0);
    return this.closing;
  }

  private async shutdown(drainMs: number): Promise<void> {
    // From here every adapter answers new requests with 503 and Retry-After.
    this.closed = true;
    this.stopHealthChecks();
    if (drainMs > 0) await this.inflight.idle(drainMs);
    for (const controller of this.inflight) controller.abort(new RelayClosedError());
    // [observe] after the aborts, so their ends are traced, logged and flushed.
    this.alerting?.close();
    this.telemetry?.stop();
    await this.log?.close();
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.destroy().catch(() => {})));
    this.events.clear();
    this.sync?.close();
    if (this.config.governance.ownStore) await this.config.governance.store.close?.();
  }

  private pool(target: ResolvedTarget): Pool {
    const provider = target.provider;
    const key = provider.poolKey;
    let pool = this.pools.get(key);
    if (!pool) {
      pool = new Pool(provider.origin, {
        connections: provider.maxConnections,
        connect: { timeout: provider.connectMs },
      });
      this.pools.set(key, pool);
    }
    return pool;
  }

  /** The breaker of a target by its id (a shared store names targets so). */
  private breakerById(id: string): CircuitBreaker | undefined {
    const target = this.allTargets().find((t) => t.id === id);
    return target && this.breaker(target);
  }

  private breakerCooldown(id: string): number {
    return this.allTargets().find((t) => t.id === id)?.breaker.cooldownMs ?? 0;
  }

  private breaker(target: ResolvedTarget): CircuitBreaker {
    let breaker = this.breakers.get(target.id);
    if (!breaker) {
      const id = { provider: target.provider.name, model: target.model };
      breaker = new CircuitBreaker(target.breaker, this.config.now, (state) => {
        this.sync?.changed(target.id, state, breaker!);
        if (state === 'open') this.events.emit('breakerOpen', { ...id, failures: breaker!.failures, cooldownMs: this.breakerCooldown(target.id) });
        else if (state === 'half-open') this.events.emit('breakerHalfOpen', id);
        else this.events.emit('breakerClose', id);
      });
      this.breakers.set(target.id, breaker);
    }
    return breaker;
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
