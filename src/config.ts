/**
 * @module
 * Validates a {@link RelayConfig} once and resolves it into the shape the engine uses,
 * with every default filled in. Errors name the path of the bad field.
 */
import { InvalidConfigError } from './errors.js';
import { DEFAULTS, type Budget, type FailoverRules, type Price, type ProviderConfig, type RateLimit, type RelayConfig, type Strategy, type TimeoutOptions } from './options.js';
import { boolean, breakerOptions, expectObject, number, onlyKeys, retryOptions, rules, section } from './config/checks.js';
import { resolveModels } from './config/models.js';
import { resolveCache, resolveGovernance } from './config/governance.js';
import type { IncomingMessage } from 'node:http';
import type { Store } from './store/store.js';
import { resolveProvider, type ProviderExtras } from './config/providers.js';
import { resolveAlerts, resolveRequestLog, resolveTelemetry, type ResolvedAlerts, type ResolvedRequestLog, type ResolvedTelemetry } from './config/observe.js';

export interface ResolvedRetry {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface ResolvedBreakerOptions {
  failureThreshold: number;
  cooldownMs: number;
}

export interface ResolvedProvider {
  name: string;
  type: ProviderConfig['type'];
  /** `scheme://host:port` of the upstream, the key of its connection pool. */
  origin: string;
  /** Path prefix of the API, without a trailing slash (`/v1`). */
  basePath: string;
  /** Headers sent with every upstream request, authorization included. Never logged. */
  headers: Record<string, string>;
  /** The key itself, kept only to redact it from upstream messages. */
  secret: string | undefined;
  /** Anthropic only: `max_tokens` when the client sets none. */
  maxTokens: number;
  /** Ask for `stream_options.include_usage` in streams. */
  streamUsage: boolean;
  /** Active health checks, when configured. */
  healthCheck?: { intervalMs: number; path: string; timeoutMs: number };
  maxConnections: number;
  connectMs: number;
  /** Identity of the provider's connection pool: a changed origin or size means a new pool. */
  poolKey: string;
}

export interface ResolvedTarget {
  /** `provider/model`: identity of the target's breaker and statistics. */
  id: string;
  provider: ResolvedProvider;
  model: string;
  retry: ResolvedRetry;
  firstByteMs: number;
  idleMs: number;
  firstTokenMs: number;
  breaker: ResolvedBreakerOptions;
  /** Rule layers, most specific first: target, provider, global. */
  rules: FailoverRules[];
  weight: number;
  maxLatencyMs?: number;
  contextWindow?: number;
  price?: Price;
  rateLimit?: RateLimit;
  budget?: Budget;
}

/** A public model or a chain: what a request's `model` resolves to. */
export interface ResolvedModel {
  name: string;
  kind: 'model' | 'chain';
  targets: ResolvedTarget[];
  strategy: Strategy;
  hedge?: { afterMs: number | 'p95' };
  waitForRecoveryMs: number;
  budget?: Budget;
}

/** Callers, limits, budgets and the store, resolved. */
export interface ResolvedGovernance {
  callerKey?: (req: IncomingMessage) => string | undefined;
  callerLimit?: RateLimit;
  callerBudget?: Budget;
  store: Store;
  /** Whether the relay created the store (and so closes it). */
  ownStore: boolean;
  onStoreError: { limits: 'allow' | 'deny'; budgets: 'allow' | 'deny' };
  /** Whether any limit or budget is configured anywhere: when not, none of this runs. */
  active: boolean;
}

export interface ResolvedCache {
  anyTemperature: boolean;
  maxEntries: number;
  maxBytes: number;
  ttlMs: number;
  staleIfError: boolean;
}

export interface ResolvedConfig {
  providers: Map<string, ResolvedProvider>;
  /** Public models and chains, by name. */
  models: Map<string, ResolvedModel>;
  requestFallbacks: boolean;
  exploration: number;
  governance: ResolvedGovernance;
  cache?: ResolvedCache;
  totalMs: number;
  bodyMs: number;
  maxBodyBytes: number;
  maxResponseBytes: number;
  resume: boolean;
  heartbeatMs: number;
  telemetry: ResolvedTelemetry;
  requestLog?: ResolvedRequestLog;
  alerts?: ResolvedAlerts;
  /** Whether the host opted in to prompt and completion content (`content` events). */
  content: boolean;
  now: () => number;
  random: () => number;
}

/**
 * Validates `config` and fills in every default. Throws {@link InvalidConfigError}
 * naming the first bad field.
 */
export function resolveConfig(config: RelayConfig, env: NodeJS.ProcessEnv = process.env): ResolvedConfig {
  const root = expectObject(config, 'config');
  onlyKeys(root, 'config', [
    'providers', 'models', 'chains', 'routing', 'callers', 'store', 'onStoreError', 'cache',
    'retry', 'timeouts', 'breaker', 'rules', 'limits', 'stream', 'telemetry', 'requestLog', 'alerts', 'now', 'random',
  ]);

  const timeoutsIn = section(root.timeouts, 'timeouts', ['connectMs', 'firstByteMs', 'idleMs', 'firstTokenMs', 'bodyMs', 'totalMs']);
  const timeouts: Required<TimeoutOptions> = {
    connectMs: number(timeoutsIn.connectMs, 'timeouts.connectMs', DEFAULTS.timeouts.connectMs, 1),
    firstByteMs: number(timeoutsIn.firstByteMs, 'timeouts.firstByteMs', DEFAULTS.timeouts.firstByteMs, 1),
    idleMs: number(timeoutsIn.idleMs, 'timeouts.idleMs', DEFAULTS.timeouts.idleMs, 1),
    firstTokenMs: number(timeoutsIn.firstTokenMs, 'timeouts.firstTokenMs', DEFAULTS.timeouts.firstTokenMs, 1),
    bodyMs: number(timeoutsIn.bodyMs, 'timeouts.bodyMs', DEFAULTS.timeouts.bodyMs, 0),
    totalMs: number(timeoutsIn.totalMs, 'timeouts.totalMs', DEFAULTS.timeouts.totalMs, 1),
  };
  const defaults = {
    retry: retryOptions(root.retry, 'retry', { ...DEFAULTS.retry }),
    timeouts,
    breaker: breakerOptions(root.breaker, 'breaker', { ...DEFAULTS.breaker }),
  };
  const globalRules = rules(root.rules, 'rules');

  const limitsIn = section(root.limits, 'limits', ['maxBodyBytes', 'maxResponseBytes']);

  const providersIn = expectObject(root.providers, 'providers');
  const providers = new Map<string, ProviderExtras>();
  for (const [name, value] of Object.entries(providersIn)) {
    providers.set(name, resolveProvider(name, value, defaults, env));
  }
  if (providers.size === 0) throw new InvalidConfigError('providers', 'expected at least one provider');

  const models = resolveModels(
    expectObject(root.models, 'models'),
    root.chains === undefined ? {} : expectObject(root.chains, 'chains'), // any chain names: no key list
    providers,
    globalRules,
  );
  const routingIn = section(root.routing, 'routing', ['requestFallbacks', 'exploration']);
  const exploration = number(routingIn.exploration, 'routing.exploration', DEFAULTS.routing.exploration, 0, false);
  if (exploration > 1) throw new InvalidConfigError('routing.exploration', `expected a number between 0 and 1, got number ${exploration}`);

  const streamIn = section(root.stream, 'stream', ['resume', 'heartbeatMs']);

  const now = (root.now as (() => number) | undefined) ?? Date.now;
  const governance = resolveGovernance(root, models, now);
  const cache = resolveCache(root.cache);

  if (root.now !== undefined && typeof root.now !== 'function') throw new InvalidConfigError('now', 'expected a function');
  if (root.random !== undefined && typeof root.random !== 'function') throw new InvalidConfigError('random', 'expected a function');
  const telemetry = resolveTelemetry(root.telemetry);
  const requestLog = resolveRequestLog(root.requestLog);

  return {
    providers: new Map([...providers].map(([n, p]) => [n, p.provider])),
    models,
    requestFallbacks: boolean(routingIn.requestFallbacks, 'routing.requestFallbacks', DEFAULTS.routing.requestFallbacks),
    exploration,
    governance,
    cache,
    totalMs: timeouts.totalMs,
    bodyMs: timeouts.bodyMs,
    maxBodyBytes: number(limitsIn.maxBodyBytes, 'limits.maxBodyBytes', DEFAULTS.limits.maxBodyBytes, 1),
    maxResponseBytes: number(limitsIn.maxResponseBytes, 'limits.maxResponseBytes', DEFAULTS.limits.maxResponseBytes, 1),
    resume: boolean(streamIn.resume, 'stream.resume', DEFAULTS.stream.resume),
    heartbeatMs: number(streamIn.heartbeatMs, 'stream.heartbeatMs', DEFAULTS.stream.heartbeatMs, 0),
    telemetry,
    requestLog,
    alerts: resolveAlerts(root.alerts),
    content: (telemetry.traces && telemetry.captureContent) || requestLog?.prompts === true,
    now,
    random: (root.random as () => number) ?? Math.random,
  };
}
