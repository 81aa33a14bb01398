/**
 * @module
 * Validates a {@link RelayConfig} once and resolves it into the shape the engine uses,
 * with every default filled in. Errors name the path of the bad field.
 */
import { InvalidConfigError } from './errors.js';
import type { FailureKind } from './errors.js';
import {
  DEFAULTS,
  DEFAULT_RULES,
  type BreakerOptions,
  type FailoverAction,
  type FailoverRules,
  type ProviderConfig,
  type RelayConfig,
  type RetryOptions,
  type TargetConfig,
  type TimeoutOptions,
} from './options.js';

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
  maxConnections: number;
  connectMs: number;
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
}

export interface ResolvedModel {
  name: string;
  targets: ResolvedTarget[];
}

export interface ResolvedConfig {
  providers: Map<string, ResolvedProvider>;
  models: Map<string, ResolvedModel>;
  totalMs: number;
  maxBodyBytes: number;
  maxResponseBytes: number;
  resume: boolean;
  heartbeatMs: number;
  now: () => number;
  random: () => number;
}

const ACTIONS: readonly FailoverAction[] = ['retry', 'fallback', 'return'];
const KINDS = Object.keys(DEFAULT_RULES) as FailureKind[];

/** Formats one step of a config path: `.name` or `["odd.name"]`. */
function key(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function expectObject(value: unknown, path: string): Record<string, unknown> {
  if (!isObject(value)) throw new InvalidConfigError(path, `expected an object, got ${describe(value)}`);
  return value;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  return `${typeof value} ${String(value)}`;
}

function onlyKeys(obj: Record<string, unknown>, path: string, allowed: readonly string[]): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) {
      throw new InvalidConfigError(`${path}${key(k)}`, `unknown option (expected one of: ${allowed.join(', ')})`);
    }
  }
}

function number(value: unknown, path: string, fallback: number, min: number, integer = true): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    throw new InvalidConfigError(path, `expected ${integer ? 'an integer' : 'a number'} >= ${min}, got ${describe(value)}`);
  }
  return value;
}

function string(value: unknown, path: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidConfigError(path, `expected a non-empty string, got ${describe(value)}`);
  }
  return value;
}

function retryOptions(value: unknown, path: string, base: ResolvedRetry): ResolvedRetry {
  if (value === undefined) return base;
  const o = expectObject(value, path) as RetryOptions & Record<string, unknown>;
  onlyKeys(o, path, ['attempts', 'baseDelayMs', 'maxDelayMs']);
  return {
    attempts: number(o.attempts, `${path}.attempts`, base.attempts, 1),
    baseDelayMs: number(o.baseDelayMs, `${path}.baseDelayMs`, base.baseDelayMs, 0),
    maxDelayMs: number(o.maxDelayMs, `${path}.maxDelayMs`, base.maxDelayMs, 0),
  };
}

function breakerOptions(value: unknown, path: string, base: ResolvedBreakerOptions): ResolvedBreakerOptions {
  if (value === undefined) return base;
  const o = expectObject(value, path) as BreakerOptions & Record<string, unknown>;
  onlyKeys(o, path, ['failureThreshold', 'cooldownMs']);
  return {
    failureThreshold: number(o.failureThreshold, `${path}.failureThreshold`, base.failureThreshold, 1),
    cooldownMs: number(o.cooldownMs, `${path}.cooldownMs`, base.cooldownMs, 0),
  };
}

function rules(value: unknown, path: string): FailoverRules {
  if (value === undefined) return {};
  const o = expectObject(value, path);
  for (const [k, action] of Object.entries(o)) {
    const isStatus = /^[1-5]\d\d$/.test(k);
    if (!isStatus && !KINDS.includes(k as FailureKind)) {
      throw new InvalidConfigError(`${path}${key(k)}`, `expected an HTTP status (100-599) or one of: ${KINDS.join(', ')}`);
    }
    if (!ACTIONS.includes(action as FailoverAction)) {
      throw new InvalidConfigError(`${path}${key(k)}`, `expected one of: ${ACTIONS.join(', ')}, got ${describe(action)}`);
    }
  }
  return o as FailoverRules;
}

interface ProviderExtras {
  provider: ResolvedProvider;
  retry: ResolvedRetry;
  firstByteMs: number;
  idleMs: number;
  firstTokenMs: number;
  breaker: ResolvedBreakerOptions;
  rules: FailoverRules;
}

function resolveProvider(
  name: string,
  value: unknown,
  defaults: { retry: ResolvedRetry; timeouts: Required<TimeoutOptions>; breaker: ResolvedBreakerOptions },
  env: NodeJS.ProcessEnv,
): ProviderExtras {
  const path = `providers${key(name)}`;
  const o = expectObject(value, path);
  if (o.type !== 'openai' && o.type !== 'anthropic') {
    throw new InvalidConfigError(`${path}.type`, `expected "openai" or "anthropic", got ${describe(o.type)}`);
  }
  const anthropic = o.type === 'anthropic';
  const common = ['type', 'baseURL', 'apiKey', 'apiKeyEnv', 'headers', 'maxConnections', 'retry', 'timeouts', 'breaker', 'rules'];
  onlyKeys(o, path, anthropic ? [...common, 'anthropicVersion', 'maxTokens'] : [...common, 'streamUsage']);
  if (o.streamUsage !== undefined && typeof o.streamUsage !== 'boolean') {
    throw new InvalidConfigError(`${path}.streamUsage`, `expected a boolean, got ${describe(o.streamUsage)}`);
  }
  const baseURL = anthropic && o.baseURL === undefined ? DEFAULTS.anthropic.baseURL : string(o.baseURL, `${path}.baseURL`);
  let url: URL;
  try {
    url = new URL(baseURL);
  } catch {
    throw new InvalidConfigError(`${path}.baseURL`, `expected an absolute http(s) URL, got ${JSON.stringify(baseURL)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidConfigError(`${path}.baseURL`, `expected an http: or https: URL, got ${JSON.stringify(baseURL)}`);
  }
  if (o.apiKey !== undefined && o.apiKeyEnv !== undefined) {
    throw new InvalidConfigError(`${path}.apiKeyEnv`, 'set either apiKey or apiKeyEnv, not both');
  }
  let secret: string | undefined;
  if (o.apiKey !== undefined) secret = string(o.apiKey, `${path}.apiKey`);
  if (o.apiKeyEnv !== undefined) {
    const variable = string(o.apiKeyEnv, `${path}.apiKeyEnv`);
    secret = env[variable];
    if (!secret) throw new InvalidConfigError(`${path}.apiKeyEnv`, `environment variable ${variable} is not set`);
  }
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (o.headers !== undefined) {
    for (const [h, v] of Object.entries(expectObject(o.headers, `${path}.headers`))) {
      if (typeof v !== 'string') throw new InvalidConfigError(`${path}.headers${key(h)}`, `expected a string, got ${describe(v)}`);
      headers[h.toLowerCase()] = v;
    }
  }
  if (anthropic) {
    headers['anthropic-version'] = o.anthropicVersion === undefined ? DEFAULTS.anthropic.version : string(o.anthropicVersion, `${path}.anthropicVersion`);
    if (secret !== undefined) headers['x-api-key'] = secret;
  } else if (secret !== undefined) {
    headers.authorization = `Bearer ${secret}`;
  }

  const timeouts = o.timeouts === undefined ? {} : expectObject(o.timeouts, `${path}.timeouts`);
  onlyKeys(timeouts, `${path}.timeouts`, ['connectMs', 'firstByteMs', 'idleMs', 'firstTokenMs']);
  const provider: ResolvedProvider = {
    name,
    type: o.type,
    origin: url.origin,
    basePath: url.pathname.replace(/\/+$/, ''),
    headers,
    secret,
    maxTokens: number(o.maxTokens, `${path}.maxTokens`, DEFAULTS.anthropic.maxTokens, 1),
    streamUsage: o.streamUsage !== false,
    maxConnections: number(o.maxConnections, `${path}.maxConnections`, DEFAULTS.maxConnections, 1),
    connectMs: number(timeouts.connectMs, `${path}.timeouts.connectMs`, defaults.timeouts.connectMs, 1),
  };
  return {
    provider,
    retry: retryOptions(o.retry, `${path}.retry`, defaults.retry),
    firstByteMs: number(timeouts.firstByteMs, `${path}.timeouts.firstByteMs`, defaults.timeouts.firstByteMs, 1),
    idleMs: number(timeouts.idleMs, `${path}.timeouts.idleMs`, defaults.timeouts.idleMs, 1),
    firstTokenMs: number(timeouts.firstTokenMs, `${path}.timeouts.firstTokenMs`, defaults.timeouts.firstTokenMs, 1),
    breaker: breakerOptions(o.breaker, `${path}.breaker`, defaults.breaker),
    rules: rules(o.rules, `${path}.rules`),
  };
}

/**
 * Validates `config` and fills in every default. Throws {@link InvalidConfigError}
 * naming the first bad field.
 */
export function resolveConfig(config: RelayConfig, env: NodeJS.ProcessEnv = process.env): ResolvedConfig {
  const root = expectObject(config, 'config');
  onlyKeys(root, 'config', ['providers', 'models', 'retry', 'timeouts', 'breaker', 'rules', 'limits', 'stream', 'now', 'random']);

  const timeoutsIn = root.timeouts === undefined ? {} : expectObject(root.timeouts, 'timeouts');
  onlyKeys(timeoutsIn, 'timeouts', ['connectMs', 'firstByteMs', 'idleMs', 'firstTokenMs', 'totalMs']);
  const timeouts: Required<TimeoutOptions> = {
    connectMs: number(timeoutsIn.connectMs, 'timeouts.connectMs', DEFAULTS.timeouts.connectMs, 1),
    firstByteMs: number(timeoutsIn.firstByteMs, 'timeouts.firstByteMs', DEFAULTS.timeouts.firstByteMs, 1),
    idleMs: number(timeoutsIn.idleMs, 'timeouts.idleMs', DEFAULTS.timeouts.idleMs, 1),
    firstTokenMs: number(timeoutsIn.firstTokenMs, 'timeouts.firstTokenMs', DEFAULTS.timeouts.firstTokenMs, 1),
    totalMs: number(timeoutsIn.totalMs, 'timeouts.totalMs', DEFAULTS.timeouts.totalMs, 1),
  };
  const defaults = {
    retry: retryOptions(root.retry, 'retry', { ...DEFAULTS.retry }),
    timeouts,
    breaker: breakerOptions(root.breaker, 'breaker', { ...DEFAULTS.breaker }),
  };
  const globalRules = rules(root.rules, 'rules');

  const limitsIn = root.limits === undefined ? {} : expectObject(root.limits, 'limits');
  onlyKeys(limitsIn, 'limits', ['maxBodyBytes', 'maxResponseBytes']);

  const providersIn = expectObject(root.providers, 'providers');
  const providers = new Map<string, ProviderExtras>();
  for (const [name, value] of Object.entries(providersIn)) {
    providers.set(name, resolveProvider(name, value, defaults, env));
  }
  if (providers.size === 0) throw new InvalidConfigError('providers', 'expected at least one provider');

  const modelsIn = expectObject(root.models, 'models');
  const models = new Map<string, ResolvedModel>();
  for (const [name, value] of Object.entries(modelsIn)) {
    const path = `models${key(name)}`;
    const m = expectObject(value, path);
    onlyKeys(m, path, ['targets']);
    if (!Array.isArray(m.targets) || m.targets.length === 0) {
      throw new InvalidConfigError(`${path}.targets`, `expected a non-empty array of targets, got ${describe(m.targets)}`);
    }
    const targets = m.targets.map((t: unknown, i: number): ResolvedTarget => {
      const tpath = `${path}.targets[${i}]`;
      const target = expectObject(t, tpath) as TargetConfig & Record<string, unknown>;
      onlyKeys(target, tpath, ['provider', 'model', 'retry', 'rules']);
      const providerName = string(target.provider, `${tpath}.provider`);
      const p = providers.get(providerName);
      if (!p) {
        throw new InvalidConfigError(
          `${tpath}.provider`,
          `unknown provider ${JSON.stringify(providerName)} (configured: ${[...providers.keys()].join(', ')})`,
        );
      }
      const model = string(target.model, `${tpath}.model`);
      return {
        id: `${providerName}/${model}`,
        provider: p.provider,
        model,
        retry: retryOptions(target.retry, `${tpath}.retry`, p.retry),
        firstByteMs: p.firstByteMs,
        idleMs: p.idleMs,
        firstTokenMs: p.firstTokenMs,
        breaker: p.breaker,
        rules: [rules(target.rules, `${tpath}.rules`), p.rules, globalRules],
      };
    });
    models.set(name, { name, targets });
  }
  if (models.size === 0) throw new InvalidConfigError('models', 'expected at least one public model');

  const streamIn = root.stream === undefined ? {} : expectObject(root.stream, 'stream');
  onlyKeys(streamIn, 'stream', ['resume', 'heartbeatMs']);
  if (streamIn.resume !== undefined && typeof streamIn.resume !== 'boolean') {
    throw new InvalidConfigError('stream.resume', `expected a boolean, got ${describe(streamIn.resume)}`);
  }

  if (root.now !== undefined && typeof root.now !== 'function') throw new InvalidConfigError('now', 'expected a function');
  if (root.random !== undefined && typeof root.random !== 'function') throw new InvalidConfigError('random', 'expected a function');

  return {
    providers: new Map([...providers].map(([n, p]) => [n, p.provider])),
    models,
    totalMs: timeouts.totalMs,
    maxBodyBytes: number(limitsIn.maxBodyBytes, 'limits.maxBodyBytes', DEFAULTS.limits.maxBodyBytes, 1),
    maxResponseBytes: number(limitsIn.maxResponseBytes, 'limits.maxResponseBytes', DEFAULTS.limits.maxResponseBytes, 1),
    resume: (streamIn.resume as boolean | undefined) ?? DEFAULTS.stream.resume,
    heartbeatMs: number(streamIn.heartbeatMs, 'stream.heartbeatMs', DEFAULTS.stream.heartbeatMs, 0),
    now: (root.now as () => number) ?? Date.now,
    random: (root.random as () => number) ?? Math.random,
  };
}
