/**
 * @module
 * Prometheus metrics for a relay, on a prom-client registry the host can merge into its
 * own. Published as `switchyard/metrics`, so only hosts that want metrics load
 * prom-client (an optional peer dependency).
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Relay } from '../relay/relay.js';

/** Options of {@link prometheusMetrics}. */
export interface PrometheusMetricsOptions {
  /**
   * Registry to register on; pass the host's own to expose one `/metrics` for both.
   * @default a new Registry
   */
  registry?: Registry;
  /**
   * Prefix of every metric name.
   * @default 'switchyard_'
   */
  prefix?: string;
}

/** A relay's exporter: its registry, and what `GET /metrics` answers. */
export interface PrometheusMetrics {
  registry: Registry;
  contentType: string;
  render(): Promise<string>;
  /** Stops updating (the metrics stay registered). */
  stop(): void;
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const BREAKER_VALUE = { closed: 0, 'half-open': 1, open: 2 } as const;

/**
 * Counts what the relay does, from its events: requests, attempts, failovers, errors by
 * kind, latency and time to first byte per target, tokens, cost, breaker states and
 * requests in flight.
 *
 * @example
 * ```ts
 * import { prometheusMetrics } from 'switchyard/metrics';
 * const metrics = prometheusMetrics(relay, { registry: hostRegistry });
 * app.use('/v1', expressRelay(relay, { metrics }));   // GET /v1/metrics
 * ```
 */
export function prometheusMetrics(relay: Relay, options: PrometheusMetricsOptions = {}): PrometheusMetrics {
  const registry = options.registry ?? new Registry();
  const p = options.prefix ?? 'switchyard_';
  const registers = [registry];
  const requests = new Counter({ name: `${p}requests_total`, help: 'Client requests answered, by public model and outcome (ok, or the error code).', labelNames: ['model', 'outcome', 'stream'], registers });
  const attempts = new Counter({ name: `${p}attempts_total`, help: 'Upstream attempts by target and outcome (ok or failure kind).', labelNames: ['provider', 'upstream_model', 'outcome'], registers });
  const failovers = new Counter({ name: `${p}failovers_total`, help: 'Moves from one target to the next, by the target left and why.', labelNames: ['provider', 'upstream_model', 'kind'], registers });
  const ttfb = new Histogram({ name: `${p}upstream_ttfb_seconds`, help: 'Time to first byte of successful attempts (streams: to first content), by target.', labelNames: ['provider', 'upstream_model'], buckets: LATENCY_BUCKETS, registers });
  const duration = new Histogram({ name: `${p}request_duration_seconds`, help: 'Whole request duration, by the target that served.', labelNames: ['provider', 'upstream_model', 'stream'], buckets: LATENCY_BUCKETS, registers });
  const tokens = new Counter({ name: `${p}tokens_total`, help: 'Tokens by target and type (prompt, completion).', labelNames: ['provider', 'upstream_model', 'type'], registers });
  const cost = new Counter({ name: `${p}cost_usd_total`, help: 'Spend in US$ by target.', labelNames: ['provider', 'upstream_model'], registers });
  const limited = new Counter({ name: `${p}rate_limited_total`, help: 'Requests or targets held back by a rate limit, by scope.', labelNames: ['scope', 'limit'], registers });
  const budgets = new Counter({ name: `${p}budget_exceeded_total`, help: 'Budget refusals, by scope.', labelNames: ['scope'], registers });
  const cacheHits = new Counter({ name: `${p}cache_hits_total`, help: 'Answers served from the response cache.', registers });
  new Gauge({
    name: `${p}breaker_state`,
    help: 'Breaker state per target: 0 closed, 1 half-open, 2 open.',
    labelNames: ['provider', 'upstream_model'],
    registers,
    collect() {
      for (const t of relay.targets()) this.set({ provider: t.provider, upstream_model: t.model }, BREAKER_VALUE[t.breaker.state]);
    },
  });
  new Gauge({
    name: `${p}in_flight`,
    help: 'Requests in flight, streams included.',
    registers,
    collect() {
      this.set(relay.inFlight);
    },
  });

  const off = [
    relay.on('attempt', (e) => {
      if (e.outcome === 'skipped' || e.outcome === 'cancelled') return;
      const target = { provider: e.provider, upstream_model: e.upstreamModel };
      attempts.inc({ ...target, outcome: e.outcome });
      if (e.outcome === 'ok') ttfb.observe(target, e.latencyMs / 1000);
    }),
    relay.on('failover', (e) => failovers.inc({ provider: e.from.provider, upstream_model: e.from.model, kind: e.kind })),
    relay.on('complete', (e) => {
      requests.inc({ model: e.model, outcome: 'ok', stream: String(e.stream) });
      if (e.cached) return cacheHits.inc();
      const target = { provider: e.provider, upstream_model: e.upstreamModel };
      duration.observe({ ...target, stream: String(e.stream) }, e.latencyMs / 1000);
      if (e.usage) {
        tokens.inc({ ...target, type: 'prompt' }, e.usage.prompt_tokens);
        tokens.inc({ ...target, type: 'completion' }, e.usage.completion_tokens);
      }
      if (e.costUsd !== undefined) cost.inc(target, e.costUsd);
    }),
    relay.on('error', (e) => requests.inc({ model: e.model, outcome: e.code, stream: 'unknown' })),
    relay.on('rateLimited', (e) => limited.inc({ scope: e.scope, limit: e.limit })),
    relay.on('budgetExceeded', (e) => budgets.inc({ scope: e.scope })),
  ];

  return {
    registry,
    contentType: registry.contentType,
    render: () => registry.metrics(),
    stop: () => off.forEach((f) => f()),
  };
}
