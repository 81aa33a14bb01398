/**
 * @module
 * Validates a {@link RelayConfig} once and resolves it into the shape the engine uses,
 * with every default filled in. Errors name the path of the bad field.
 */
import { InvalidConfigError } from './errors/index.js';
import { DEFAULTS, type RelayConfig, type TimeoutOptions } from './options.js';
import { boolean, breakerOptions, expectObject, number, onlyKeys, retryOptions, rules, section } from './config/checks.js';
import { resolveModels } from './config/models.js';
import { resolveCache, resolveGovernance } from './config/governance.js';
import { resolveProvider, type ProviderExtras } from './config/providers.js';
import { resolveAlerts, resolveRequestLog, resolveTelemetry } from './config/observe.js';
import { resolveHooks } from './config/hooks.js';
import { Redactor } from './secrets/redactor.js';

export type {
  ResolvedRetry,
  ResolvedBreakerOptions,
  ResolvedProvider,
  ResolvedTarget,
  ResolvedModel,
  ResolvedGovernance,
  ResolvedCache,
  ResolvedConfig,
} from './config/resolved.js';
import type { ResolvedConfig } from './config/resolved.js';

/**
 * Validates `config` and fills in every default. Throws {@link InvalidConfigError}
 * naming the first bad field.
 */
export function resolveConfig(config: RelayConfig, env: NodeJS.ProcessEnv = process.env): ResolvedConfig {
  const root = expectObject(config, 'config');
  onlyKeys(root, 'config', [
    'providers', 'models', 'chains', 'routing', 'callers', 'store', 'onStoreError', 'cache',
    'retry', 'timeouts', 'breaker', 'rules', 'limits', 'stream', 'telemetry', 'requestLog', 'alerts', 'now', 'random',
    'hooks', 'hooksTimeoutMs', 'compat', 'guardrails',
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

  if (root.now !== undefined && typeof root.now !== 'function') throw new InvalidConfigError('now', 'expected a function');
  const now = (root.now as (() => number) | undefined) ?? Date.now;
  const providersIn = expectObject(root.providers, 'providers');
  const providers = new Map<string, ProviderExtras>();
  // One redactor for the whole configuration: every provider adds its secrets to it.
  const redactor = new Redactor();
  for (const [name, value] of Object.entries(providersIn)) {
    providers.set(name, resolveProvider(name, value, defaults, env, now, redactor));
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

  const governance = resolveGovernance(root, models, now);
  const cache = resolveCache(root.cache);

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
    ...resolveHooks(root),
    redactor,
    now,
    random: (root.random as () => number) ?? Math.random,
  };
}
