/**
 * @module
 * Resolves one entry of `providers`: its URL, key, headers and the per-provider
 * defaults its targets inherit.
 */
import { InvalidConfigError } from '../errors/index.js';
import { DEFAULTS, type FailoverRules, type TimeoutOptions } from '../options.js';
import type { ResolvedBreakerOptions, ResolvedProvider, ResolvedRetry } from './resolved.js';
import { boolean, breakerOptions, describe, expectObject, key, number, onlyKeys, retryOptions, rules, section, string } from './checks.js';
import { cloudConnection, isCloudType, PROVIDER_TYPES } from './cloud-providers.js';
import { apiKey, baseUrl, COMMON_KEYS, secretHeaders, staticHeaders, type Connection } from './connection.js';
import type { Redactor } from '../secrets/redactor.js';
import { headerSecrets } from '../secrets/slots.js';
import { sealed } from '../secrets/sealed.js';

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

/** `openai` and `anthropic` providers: a base URL and a static key. */
function keyedConnection(o: Record<string, unknown>, path: string, env: NodeJS.ProcessEnv): Connection {
  const anthropic = o.type === 'anthropic';
  const common = [...COMMON_KEYS, 'apiKey', 'apiKeyEnv'];
  onlyKeys(o, path, anthropic ? [...common, 'anthropicVersion', 'maxTokens'] : [...common, 'streamUsage', 'responses']);
  const url = baseUrl(anthropic && o.baseURL === undefined ? DEFAULTS.anthropic.baseURL : string(o.baseURL, `${path}.baseURL`), `${path}.baseURL`);
  const secret = apiKey(o, path, env);
  const headers = staticHeaders(o, path);
  if (anthropic) {
    headers['anthropic-version'] = o.anthropicVersion === undefined ? DEFAULTS.anthropic.version : string(o.anthropicVersion, `${path}.anthropicVersion`);
    if (secret !== undefined) headers['x-api-key'] = secret;
  } else if (secret !== undefined) {
    headers.authorization = `Bearer ${secret}`;
  }
  return { url, headers, secret };
}

export function resolveProvider(
  name: string,
  value: unknown,
  defaults: { retry: ResolvedRetry; timeouts: Required<TimeoutOptions>; breaker: ResolvedBreakerOptions },
  env: NodeJS.ProcessEnv,
  now: () => number,
  /** [secrets] The configuration's redactor: this provider's secrets are added to it. */
  redactor: Redactor,
): ProviderExtras {
  const path = `providers${key(name)}`;
  const o = expectObject(value, path);
  const type = o.type;
  let connection: Connection;
  if (type === 'openai' || type === 'anthropic') connection = keyedConnection(o, path, env);
  else if (isCloudType(type)) connection = cloudConnection(type, o, path, env, now);
  else throw new InvalidConfigError(`${path}.type`, `expected one of: ${PROVIDER_TYPES.join(', ')}, got ${describe(type)}`);
  const { url, headers, secret } = connection;
  // Every secret slot of the entry: the key (or the live credentials) and the credential headers.
  redactor.add(...(Array.isArray(secret) ? secret : [secret]), headerSecrets(headers, secretHeaders(o, path)));

  const timeouts = section(o.timeouts, `${path}.timeouts`, ['connectMs', 'firstByteMs', 'idleMs', 'firstTokenMs']);
  const provider: ResolvedProvider = {
    name,
    type,
    origin: url.origin,
    basePath: url.pathname.replace(/\/+$/, ''),
    headers: sealed(headers),
    redactor,
    maxTokens: number(o.maxTokens, `${path}.maxTokens`, DEFAULTS.anthropic.maxTokens, 1),
    streamUsage: boolean(o.streamUsage, `${path}.streamUsage`, true),
    responses: boolean(o.responses, `${path}.responses`, false),
    healthCheck: healthCheck(o.healthCheck, `${path}.healthCheck`),
    maxConnections: number(o.maxConnections, `${path}.maxConnections`, DEFAULTS.maxConnections, 1),
    connectMs: number(timeouts.connectMs, `${path}.timeouts.connectMs`, defaults.timeouts.connectMs, 1),
    poolKey: '',
  };
  if (connection.auth) provider.auth = connection.auth;
  if (connection.cloud) provider.cloud = connection.cloud;
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

