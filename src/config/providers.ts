/**
 * @module
 * Resolves one entry of `providers`: its URL, key, headers and the per-provider
 * defaults its targets inherit.
 */
import { InvalidConfigError } from '../errors/index.js';
import { DEFAULTS, type FailoverRules, type TimeoutOptions } from '../options.js';
import type { ResolvedBreakerOptions, ResolvedProvider, ResolvedRetry } from './resolved.js';
import { boolean, breakerOptions, describe, expectObject, key, number, onlyKeys, retryOptions, rules, section, string } from './checks.js';

function healthCheck(value: unknown, path: string): ResolvedProvider['healthCheck'] {
  if (value === undefined) return undefined;
  const o = section(value, path, ['intervalMs', 'path', 'timeoutMs']);
  if (o.intervalMs === undefined) throw new InvalidConfigError(`${path}.intervalMs`, 'expected an integer >= 100, got undefined');
  const probe = o.path === undefined ? DEFAULTS.healthCheck.path : string(o.path, `${path}.path`);
  if (!probe.startsWith('/')) throw new InvalidConfigError(`${path}.path`, `expected a path starting with "/", got ${JSON.stringify(probe)}`);
  return {
    intervalMs: number(o.intervalMs, `${path}.intervalMs`, 0, 100),
    path: probe,
    timeoutMs: number(o.timeoutMs, `${path}.timeoutMs`, DEFAULTS.healthCheck.timeoutMs, 1),
  };
}

export interface ProviderExtras {
  provider: ResolvedProvider;
  retry: ResolvedRetry;
  firstByteMs: number;
  idleMs: number;
  firstTokenMs: number;
  breaker: ResolvedBreakerOptions;
  rules: FailoverRules;
}

export function resolveProvider(
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
  const common = ['type', 'baseURL', 'apiKey', 'apiKeyEnv', 'headers', 'maxConnections', 'retry', 'timeouts', 'breaker', 'rules', 'healthCheck'];
  onlyKeys(o, path, anthropic ? [...common, 'anthropicVersion', 'maxTokens'] : [...common, 'streamUsage']);
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
    // A key pasted here by mistake must not end up in an error message or a log.
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(variable)) {
      throw new InvalidConfigError(`${path}.apiKeyEnv`, 'expected the name of an environment variable (letters, digits, _), not a key');
    }
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

  const timeouts = section(o.timeouts, `${path}.timeouts`, ['connectMs', 'firstByteMs', 'idleMs', 'firstTokenMs']);
  const provider: ResolvedProvider = {
    name,
    type: o.type,
    origin: url.origin,
    basePath: url.pathname.replace(/\/+$/, ''),
    headers,
    secret,
    maxTokens: number(o.maxTokens, `${path}.maxTokens`, DEFAULTS.anthropic.maxTokens, 1),
    streamUsage: boolean(o.streamUsage, `${path}.streamUsage`, true),
    healthCheck: healthCheck(o.healthCheck, `${path}.healthCheck`),
    maxConnections: number(o.maxConnections, `${path}.maxConnections`, DEFAULTS.maxConnections, 1),
    connectMs: number(timeouts.connectMs, `${path}.timeouts.connectMs`, defaults.timeouts.connectMs, 1),
    poolKey: '',
  };
  provider.poolKey = `${name}\0${provider.origin}\0${provider.maxConnections}\0${provider.connectMs}`;
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

