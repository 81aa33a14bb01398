/**
 * Configuration of the cloud provider types: the contract's names are accepted, every
 * bad field is named, and no error message quotes a credential.
 */
import { describe, expect, it } from 'vitest';
import { createRelay, isSwitchyardError, type RelayConfig } from 'switchyard';

const SECRET = 'AKIA-CANARY-not-for-messages-0123456789';

function config(provider: Record<string, unknown>): RelayConfig {
  return { providers: { p: provider as never }, models: { chat: { targets: [{ provider: 'p', model: 'm' }] } } };
}

function errorOf(provider: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): string {
  try {
    const saved = { ...process.env };
    for (const k of ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_BEARER_TOKEN_BEDROCK']) delete process.env[k];
    Object.assign(process.env, env);
    try {
      void createRelay(config(provider)).close();
    } finally {
      process.env = saved;
    }
  } catch (err) {
    if (isSwitchyardError(err)) return err.message;
    throw err;
  }
  return '';
}

describe('cloud provider configs', () => {
  it.each([
    ['azure-openai with a key', { type: 'azure-openai', baseURL: 'https://r.openai.azure.com', apiKey: 'k', apiVersion: '2024-10-21' }],
    ['azure-openai with a token function', { type: 'azure-openai', baseURL: 'https://r.openai.azure.com/openai/v1/', token: async (): Promise<string> => 't' }],
    ['azure-openai with a credential object', { type: 'azure-openai', baseURL: 'https://r.openai.azure.com', token: { getToken: async () => ({ token: 't', expiresOnTimestamp: 0 }) } }],
    ['bedrock with static credentials', { type: 'bedrock', region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b', sessionToken: 'c' } }],
    ['bedrock with a credential function', { type: 'bedrock', region: 'eu-central-1', credentials: async () => ({ accessKeyId: 'a', secretAccessKey: 'b' }) }],
    ['bedrock with an API key', { type: 'bedrock', region: 'us-west-2', apiKey: 'k', baseURL: 'http://127.0.0.1:1' }],
    ['gemini', { type: 'gemini', apiKey: 'k' }],
    ['vertex', { type: 'vertex', project: 'my-project', location: 'global', token: async (): Promise<string> => 't' }],
  ])('accepts %s', (_name, provider) => {
    expect(errorOf(provider)).toBe('');
  });

  it.each([
    ['a bedrock region missing', { type: 'bedrock' }, 'providers.p.region: expected an AWS region like "us-east-1", got none (and AWS_REGION is not set)'],
    ['a bad bedrock region', { type: 'bedrock', region: 'mars' }, 'providers.p.region: expected an AWS region like "us-east-1", got "mars"'],
    ['a credentials object without its secret', { type: 'bedrock', region: 'us-east-1', credentials: { accessKeyId: 'a' } }, 'providers.p.credentials.secretAccessKey: expected a non-empty string, got undefined'],
    ['an unknown credentials field', { type: 'bedrock', region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b', expiry: 1 } }, 'providers.p.credentials.expiry: unknown option'],
    ['both credentials and an API key', { type: 'bedrock', region: 'us-east-1', apiKey: 'k', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }, 'providers.p.credentials: set either credentials or an API key, not both'],
    ['a bad claude mode', { type: 'bedrock', region: 'us-east-1', claude: 'messages' }, 'providers.p.claude: expected "invoke" or "converse"'],
    ['azure without baseURL', { type: 'azure-openai', apiKey: 'k' }, 'providers.p.baseURL: expected a non-empty string, got undefined'],
    ['a bad azure apiVersion', { type: 'azure-openai', baseURL: 'https://r.openai.azure.com', apiKey: 'k', apiVersion: 'latest' }, 'providers.p.apiVersion: expected "v1" or a dated version like "2024-10-21", got "latest"'],
    ['an azure key and token', { type: 'azure-openai', baseURL: 'https://r.openai.azure.com', apiKey: 'k', token: async (): Promise<string> => 't' }, 'providers.p.token: set either an API key or token, not both'],
    ['an azure token that is a string', { type: 'azure-openai', baseURL: 'https://r.openai.azure.com', token: 'abc' }, 'providers.p.token: expected a function returning a token, or an @azure/identity credential'],
    ['gemini without a key', { type: 'gemini' }, 'providers.p.apiKey: expected a Gemini API key (set apiKey or apiKeyEnv)'],
    ['vertex without a project', { type: 'vertex', location: 'us-central1' }, 'providers.p.project: expected a non-empty string, got undefined'],
    ['a bad vertex location', { type: 'vertex', project: 'p', location: 'US Central' }, 'providers.p.location: expected a region like "us-central1" or "global", got "US Central"'],
    ['an apiKey on vertex', { type: 'vertex', project: 'p', location: 'us-central1', apiKey: 'k' }, 'providers.p.apiKey: unknown option'],
  ])('names the field for %s', (_name, provider, message) => {
    expect(errorOf(provider)).toContain(message);
  });

  it('takes the region and keys from the environment, as the AWS SDK does', () => {
    expect(errorOf({ type: 'bedrock' }, { AWS_REGION: 'ap-southeast-2', AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b' })).toBe('');
  });

  it.each([
    ['a credential field of the wrong type', { type: 'bedrock', region: 'us-east-1', credentials: { accessKeyId: SECRET, secretAccessKey: 7 } }],
    ['an unknown credentials field', { type: 'bedrock', region: 'us-east-1', credentials: { accessKeyId: SECRET, secretAccessKey: SECRET, [SECRET.slice(0, 4)]: SECRET } }],
    ['a bad region next to keys', { type: 'bedrock', region: 'nowhere', credentials: { accessKeyId: SECRET, secretAccessKey: SECRET } }],
    ['an azure token string', { type: 'azure-openai', baseURL: 'https://r.openai.azure.com', token: SECRET }],
  ])('never quotes a credential: %s', (_name, provider) => {
    const message = errorOf(provider);
    expect(message).not.toBe('');
    expect(message).not.toContain(SECRET);
  });
});
