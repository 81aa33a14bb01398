/**
 * @module
 * Resolves the connection of the cloud provider types (`azure-openai`, `bedrock`,
 * `gemini`, `vertex`): endpoint, static headers, and per-request credentials. Errors name
 * the bad field and never quote a credential.
 */
import { awsCredentialSource, sigv4Auth } from '../auth/aws.js';
import { AZURE_COGNITIVE_SCOPE, azureDefaultToken } from '../auth/azure.js';
import { bearerAuth, tokenSource } from '../auth/bearer.js';
import type { AwsCredentialsInput, TokenCredentialLike, TokenFunction } from '../options/cloud.js';
import { googleDefaultToken, GOOGLE_CLOUD_SCOPE } from '../auth/google.js';
import { LiveSecrets } from '../auth/secrets.js';
import { InvalidConfigError } from '../errors/index.js';
import type { CloudSettings } from './resolved.js';
import { DEFAULTS } from '../options.js';
import { expectObject, isObject, onlyKeys, string } from './checks.js';
import { apiKey, baseUrl, COMMON_KEYS, staticHeaders, type Connection } from './connection.js';

/** Every provider type, for error messages. */
export const PROVIDER_TYPES = ['openai', 'anthropic', 'azure-openai', 'bedrock', 'gemini', 'vertex'] as const;

export type CloudType = 'azure-openai' | 'bedrock' | 'gemini' | 'vertex';

export function isCloudType(type: unknown): type is CloudType {
  return type === 'azure-openai' || type === 'bedrock' || type === 'gemini' || type === 'vertex';
}


/** Refresh settings shared by every expiring credential of one provider. */
function refresh(what: string, now: () => number, secrets: LiveSecrets) {
  const { refreshMarginMs, tokenTtlMs, timeoutMs } = DEFAULTS.credentials;
  return { what, now, marginMs: refreshMarginMs, ttlMs: tokenTtlMs, timeoutMs, onValue: (token: string) => secrets.add(token) };
}

/** A credential field: a non-empty string; the message never shows the value. */
function credentialString(value: unknown, path: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidConfigError(path, `expected a non-empty string, got ${value === '' ? 'an empty string' : typeof value}`);
  }
  return value;
}

function tokenOption(value: unknown, path: string, credentialObject: boolean): TokenFunction | TokenCredentialLike | undefined {
  if (value === undefined || typeof value === 'function') return value as TokenFunction | undefined;
  if (credentialObject && isObject(value) && typeof value.getToken === 'function') return value as unknown as TokenCredentialLike;
  throw new InvalidConfigError(path, credentialObject ? 'expected a function returning a token, or an @azure/identity credential' : 'expected a function returning a token');
}

function azure(o: Record<string, unknown>, path: string, env: NodeJS.ProcessEnv, now: () => number): Connection {
  onlyKeys(o, path, [...COMMON_KEYS, 'apiKey', 'apiKeyEnv', 'token', 'apiVersion', 'streamUsage']);
  const url = baseUrl(string(o.baseURL, `${path}.baseURL`), `${path}.baseURL`);
  // The portal and the v1 docs show `.../openai/v1/`; the adapter adds that part itself.
  url.pathname = url.pathname.replace(/\/openai(\/v1)?\/*$/, '');
  const apiVersion = o.apiVersion === undefined ? DEFAULTS.azure.apiVersion : string(o.apiVersion, `${path}.apiVersion`);
  if (!/^(v1|preview|\d{4}-\d{2}-\d{2}(-preview)?)$/.test(apiVersion)) {
    throw new InvalidConfigError(`${path}.apiVersion`, `expected "v1" or a dated version like "2024-10-21", got ${JSON.stringify(apiVersion)}`);
  }
  const key = apiKey(o, path, env);
  const token = tokenOption(o.token, `${path}.token`, true);
  if (key !== undefined && token !== undefined) throw new InvalidConfigError(`${path}.token`, 'set either an API key or token, not both');
  const headers = staticHeaders(o, path);
  const cloud = { type: 'azure-openai' as const, apiVersion };
  if (key !== undefined) {
    headers['api-key'] = key;
    return { url, headers, secret: key, cloud };
  }
  const secrets = new LiveSecrets();
  const source = tokenSource(token ?? azureDefaultToken(), AZURE_COGNITIVE_SCOPE, refresh('the Azure OpenAI token', now, secrets));
  return { url, headers, secret: secrets, auth: bearerAuth(source), cloud };
}

function awsCredentials(value: unknown, path: string): AwsCredentialsInput | undefined {
  if (value === undefined || typeof value === 'function') return value as AwsCredentialsInput | undefined;
  const c = expectObject(value, path);
  onlyKeys(c, path, ['accessKeyId', 'secretAccessKey', 'sessionToken']);
  const out: AwsCredentialsInput = {
    accessKeyId: credentialString(c.accessKeyId, `${path}.accessKeyId`),
    secretAccessKey: credentialString(c.secretAccessKey, `${path}.secretAccessKey`),
  };
  if (c.sessionToken !== undefined) out.sessionToken = credentialString(c.sessionToken, `${path}.sessionToken`);
  return out;
}

function bedrock(o: Record<string, unknown>, path: string, env: NodeJS.ProcessEnv, now: () => number): Connection {
  onlyKeys(o, path, [...COMMON_KEYS, 'region', 'credentials', 'apiKey', 'apiKeyEnv', 'claude', 'maxTokens']);
  const region = o.region === undefined ? (env.AWS_REGION ?? env.AWS_DEFAULT_REGION) : string(o.region, `${path}.region`);
  if (region === undefined || !/^[a-z]{2}(-[a-z0-9]+)+-\d+$/.test(region)) {
    const got = region === undefined ? 'none (and AWS_REGION is not set)' : JSON.stringify(region);
    throw new InvalidConfigError(`${path}.region`, `expected an AWS region like "us-east-1", got ${got}`);
  }
  const claude: unknown = o.claude ?? DEFAULTS.bedrock.claude;
  if (claude !== 'invoke' && claude !== 'converse') throw new InvalidConfigError(`${path}.claude`, 'expected "invoke" or "converse"');
  const url = baseUrl(o.baseURL === undefined ? `https://bedrock-runtime.${region}.amazonaws.com` : string(o.baseURL, `${path}.baseURL`), `${path}.baseURL`);
  const cloud = { type: 'bedrock' as const, region, claude: claude as 'invoke' | 'converse' };
  const headers = staticHeaders(o, path);
  let credentials = awsCredentials(o.credentials, `${path}.credentials`);
  let key = apiKey(o, path, env);
  if (key !== undefined && credentials !== undefined) throw new InvalidConfigError(`${path}.credentials`, 'set either credentials or an API key, not both');
  if (key === undefined && credentials === undefined) {
    // As the AWS SDK does: a Bedrock API key in the environment first, then keys.
    if (env.AWS_BEARER_TOKEN_BEDROCK) key = env.AWS_BEARER_TOKEN_BEDROCK;
    else if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
      credentials = { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN || undefined };
    }
  }
  if (key !== undefined) {
    headers.authorization = `Bearer ${key}`;
    return { url, headers, secret: key, cloud };
  }
  const secrets = new LiveSecrets();
  if (credentials !== undefined && typeof credentials !== 'function') secrets.add(credentials.accessKeyId, credentials.secretAccessKey, credentials.sessionToken);
  const { refreshMarginMs, timeoutMs } = DEFAULTS.credentials;
  const source = awsCredentialSource(credentials, {
    what: 'AWS credentials',
    now,
    marginMs: refreshMarginMs,
    timeoutMs,
    onValue: (c) => secrets.add(c.accessKeyId, c.secretAccessKey, c.sessionToken),
  });
  // Signatures of requests still in flight: more of them than of credentials.
  const signatures = new LiveSecrets(64, false);
  const auth = sigv4Auth(source, { region, service: 'bedrock' }, now, (signature) => signatures.add(signature));
  return { url, headers, secret: [secrets, signatures], auth, cloud };
}

function gemini(o: Record<string, unknown>, path: string, env: NodeJS.ProcessEnv): Connection {
  onlyKeys(o, path, [...COMMON_KEYS, 'apiKey', 'apiKeyEnv']);
  const url = baseUrl(o.baseURL === undefined ? DEFAULTS.gemini.baseURL : string(o.baseURL, `${path}.baseURL`), `${path}.baseURL`);
  const key = apiKey(o, path, env);
  if (key === undefined) throw new InvalidConfigError(`${path}.apiKey`, 'expected a Gemini API key (set apiKey or apiKeyEnv)');
  const headers = staticHeaders(o, path);
  headers['x-goog-api-key'] = key;
  return { url, headers, secret: key, cloud: { type: 'gemini' } };
}

function vertex(o: Record<string, unknown>, path: string, now: () => number): Connection {
  onlyKeys(o, path, [...COMMON_KEYS, 'project', 'location', 'token', 'maxTokens']);
  const project = string(o.project, `${path}.project`);
  if (/[/?#\s]/.test(project)) throw new InvalidConfigError(`${path}.project`, `expected a Google Cloud project id, got ${JSON.stringify(project)}`);
  const location = string(o.location, `${path}.location`);
  if (!/^[a-z]+(-[a-z0-9]+)*$/.test(location)) {
    throw new InvalidConfigError(`${path}.location`, `expected a region like "us-central1" or "global", got ${JSON.stringify(location)}`);
  }
  const host = location === 'global' ? 'aiplatform.googleapis.com' : `${location}-aiplatform.googleapis.com`;
  const url = baseUrl(o.baseURL === undefined ? `https://${host}` : string(o.baseURL, `${path}.baseURL`), `${path}.baseURL`);
  const token = tokenOption(o.token, `${path}.token`, false) as TokenFunction | undefined;
  const secrets = new LiveSecrets();
  const source = tokenSource(token ?? googleDefaultToken(), GOOGLE_CLOUD_SCOPE, refresh('the Vertex AI token', now, secrets));
  return { url, headers: staticHeaders(o, path), secret: secrets, auth: bearerAuth(source), cloud: { type: 'vertex', project, location } };
}

/** The connection of a cloud provider entry `o` at `path`. */
export function cloudConnection(type: CloudType, o: Record<string, unknown>, path: string, env: NodeJS.ProcessEnv, now: () => number): Connection {
  switch (type) {
    case 'azure-openai':
      return azure(o, path, env, now);
    case 'bedrock':
      return bedrock(o, path, env, now);
    case 'gemini':
      return gemini(o, path, env);
    case 'vertex':
      return vertex(o, path, now);
  }
}
