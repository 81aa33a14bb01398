/**
 * @module
 * What every provider type resolves the same way: its base URL, a static key, its fixed
 * headers, and the shape of the result (where it is and how it authenticates).
 */
import { InvalidConfigError } from '../errors/index.js';
import { describe, expectObject, key, string } from './checks.js';
import type { ResolvedProvider } from './resolved.js';
import type { SecretSource } from '../secrets/redactor.js';

/** Where a provider is and how it authenticates: what differs between provider types. */
export interface Connection {
  url: URL;
  headers: Record<string, string>;
  /** The key, or the live list of credentials a source fetched lately (redacted wherever they could leak). */
  secret: SecretSource | readonly SecretSource[];
  auth?: ResolvedProvider['auth'];
  cloud?: ResolvedProvider['cloud'];
}

/** Options every provider type accepts. */
export const COMMON_KEYS = ['type', 'baseURL', 'headers', 'secretHeaders', 'maxConnections', 'retry', 'timeouts', 'breaker', 'rules', 'healthCheck'];

/** An absolute http(s) URL, or an error naming `path`. */
export function baseUrl(value: string, path: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidConfigError(path, `expected an absolute http(s) URL, got ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidConfigError(path, `expected an http: or https: URL, got ${JSON.stringify(value)}`);
  }
  return url;
}

/** The key of `apiKey` or `apiKeyEnv` (at most one of them), or undefined. */
export function apiKey(o: Record<string, unknown>, path: string, env: NodeJS.ProcessEnv): string | undefined {
  if (o.apiKey !== undefined && o.apiKeyEnv !== undefined) {
    throw new InvalidConfigError(`${path}.apiKeyEnv`, 'set either apiKey or apiKeyEnv, not both');
  }
  if (o.apiKey !== undefined) return string(o.apiKey, `${path}.apiKey`);
  if (o.apiKeyEnv === undefined) return undefined;
  const variable = string(o.apiKeyEnv, `${path}.apiKeyEnv`);
  // A key pasted here by mistake must not end up in an error message or a log.
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(variable)) {
    throw new InvalidConfigError(`${path}.apiKeyEnv`, 'expected the name of an environment variable (letters, digits, _), not a key');
  }
  const secret = env[variable];
  if (!secret) throw new InvalidConfigError(`${path}.apiKeyEnv`, `environment variable ${variable} is not set`);
  return secret;
}

/** `content-type: application/json` and the configured extra headers, names lower-cased. */
export function staticHeaders(o: Record<string, unknown>, path: string): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (o.headers !== undefined) {
    for (const [h, v] of Object.entries(expectObject(o.headers, `${path}.headers`))) {
      if (typeof v !== 'string') throw new InvalidConfigError(`${path}.headers${key(h)}`, `expected a string, got ${describe(v)}`);
      headers[h.toLowerCase()] = v;
    }
  }
  return headers;
}


/**
 * `secretHeaders`: names of configured `headers` whose values are secrets though their
 * names do not say so (names with auth, key, token, secret, cookie, ... are secrets anyway).
 */
export function secretHeaders(o: Record<string, unknown>, path: string): string[] {
  if (o.secretHeaders === undefined) return [];
  const where = `${path}.secretHeaders`;
  if (!Array.isArray(o.secretHeaders)) throw new InvalidConfigError(where, `expected an array of header names, got ${describe(o.secretHeaders)}`);
  const configured = o.headers === undefined ? {} : expectObject(o.headers, `${path}.headers`);
  const names = new Set(Object.keys(configured).map((h) => h.toLowerCase()));
  return o.secretHeaders.map((name: unknown, i) => {
    if (typeof name !== 'string' || name === '') throw new InvalidConfigError(`${where}[${i}]`, `expected a header name, got ${describe(name)}`);
    // A name that matches no header is a typo that would leave the real one unredacted.
    // Not quoted: a value pasted here by mistake would be a secret.
    if (!names.has(name.toLowerCase())) throw new InvalidConfigError(`${where}[${i}]`, `names no header of ${path}.headers`);
    return name.toLowerCase();
  });
}
