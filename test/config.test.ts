/**
 * Configuration is validated once, at createRelay, with errors that name the bad field.
 */
import { describe, expect, it } from 'vitest';
import { createRelay, InvalidConfigError, isSwitchyardError, type OpenAIProviderConfig, type RelayConfig } from 'switchyard';
import { startMocks } from './helpers/harness.js';

const valid = (): RelayConfig => ({
  providers: {
    primary: { type: 'openai', baseURL: 'https://api.example.com/v1', apiKey: 'k1' },
    backup: { type: 'openai', baseURL: 'http://127.0.0.1:8000/v1', apiKey: 'local' },
  },
  models: {
    'gpt-4.1': { targets: [{ provider: 'primary', model: 'gpt-4.1' }, { provider: 'backup', model: 'deepseek-v3.2' }] },
  },
});

function errorOf(mutate: (c: any) => void): string {
  const config = valid();
  mutate(config);
  try {
    createRelay(config).close();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidConfigError);
    expect(isSwitchyardError(err) && err.code).toBe('ERR_SWITCHYARD_INVALID_CONFIG');
    return (err as Error).message;
  }
  throw new Error('expected the config to be rejected');
}

describe('config validation', () => {
  it('accepts the documented example', async () => {
    const relay = createRelay(valid());
    expect(relay.models().data.map((m) => m.id)).toEqual(['gpt-4.1']);
    await relay.close();
  });

  it.each([
    ['an unknown provider in a target', (c: any) => (c.models['gpt-4.1'].targets[1].provider = 'bakup'), 'models["gpt-4.1"].targets[1].provider: unknown provider "bakup" (configured: primary, backup)'],
    ['a bad provider type', (c: any) => (c.providers.primary.type = 'azure'), 'providers.primary.type: expected one of: openai, anthropic, azure-openai, bedrock, gemini, vertex, got the string "azure"'],
    ['a relative baseURL', (c: any) => (c.providers.backup.baseURL = 'localhost/v1'), 'providers.backup.baseURL: expected an absolute http(s) URL'],
    ['a non-http baseURL', (c: any) => (c.providers.backup.baseURL = 'ftp://x/v1'), 'providers.backup.baseURL: expected an http: or https: URL'],
    ['a missing environment variable', (c: any) => { delete c.providers.primary.apiKey; c.providers.primary.apiKeyEnv = 'SWITCHYARD_TEST_UNSET_KEY'; }, 'providers.primary.apiKeyEnv: environment variable SWITCHYARD_TEST_UNSET_KEY is not set'],
    ['both apiKey and apiKeyEnv', (c: any) => (c.providers.primary.apiKeyEnv = 'X'), 'providers.primary.apiKeyEnv: set either apiKey or apiKeyEnv, not both'],
    ['an empty target list', (c: any) => (c.models['gpt-4.1'].targets = []), 'models["gpt-4.1"].targets: expected a non-empty array'],
    ['a target without a model', (c: any) => delete c.models['gpt-4.1'].targets[0].model, 'models["gpt-4.1"].targets[0].model: expected a non-empty string, got undefined'],
    ['a negative retry count', (c: any) => (c.retry = { attempts: 0 }), 'retry.attempts: expected an integer >= 1, got number 0'],
    ['a fractional timeout', (c: any) => (c.timeouts = { totalMs: 1.5 }), 'timeouts.totalMs: expected an integer >= 1'],
    ['a typo in an option', (c: any) => (c.retires = { attempts: 2 }), 'config.retires: unknown option'],
    ['a typo in a nested option', (c: any) => (c.breaker = { threshold: 3 }), 'breaker.threshold: unknown option (expected one of: failureThreshold, cooldownMs)'],
    ['a bad rule key', (c: any) => (c.rules = { timout: 'retry' }), 'rules.timout: expected an HTTP status (100-599) or one of:'],
    ['a bad rule action', (c: any) => (c.rules = { 503: 'skip' }), 'rules["503"]: expected one of: retry, fallback, return, got the string "skip"'],
    ['a bad per-target rule', (c: any) => (c.models['gpt-4.1'].targets[0].rules = { 429: 'again' }), 'models["gpt-4.1"].targets[0].rules["429"]'],
    ['a per-provider retry error', (c: any) => (c.providers.primary.retry = { baseDelayMs: -1 }), 'providers.primary.retry.baseDelayMs: expected an integer >= 0'],
    ['a header that is not a string', (c: any) => (c.providers.primary.headers = { 'x-org': 1 }), 'providers.primary.headers["x-org"]: expected a string'],
    ['no providers at all', (c: any) => (c.providers = {}), 'providers: expected at least one provider'],
    ['models that are not an object', (c: any) => (c.models = []), 'models: expected an object, got an array'],
  ])('names the field for %s', (_name, mutate, message) => {
    expect(errorOf(mutate)).toContain(message);
  });

  it('reads apiKeyEnv once at creation and sends it upstream as a bearer token', async () => {
    process.env.SWITCHYARD_TEST_KEY = 'sk-from-env';
    try {
      const config = valid();
      const primary = config.providers.primary as OpenAIProviderConfig;
      delete primary.apiKey;
      primary.apiKeyEnv = 'SWITCHYARD_TEST_KEY';
      const mocks = await startMocks(['primary']);
      primary.baseURL = mocks.primary!.url;
      const relay = createRelay(config);
      // Read once: a later change of the variable does not reach the upstream.
      process.env.SWITCHYARD_TEST_KEY = 'sk-changed-later';
      try {
        await relay.chat({ model: Object.keys(config.models)[0]!, messages: [{ role: 'user', content: 'x' }] });
        expect(mocks.primary!.requests[0]!.headers.authorization).toBe('Bearer sk-from-env');
      } finally {
        await relay.close();
        await mocks.primary!.close();
      }
    } finally {
      delete process.env.SWITCHYARD_TEST_KEY;
    }
  });
});

describe('config errors never print a key', () => {
  it('rejects a key pasted into apiKeyEnv without repeating it', () => {
    try {
      createRelay({
        providers: { p: { type: 'openai', baseURL: 'https://api.example.com/v1', apiKeyEnv: 'sk-live-0123456789abcdef' } },
        models: { m: { targets: [{ provider: 'p', model: 'x' }] } },
      });
      throw new Error('expected a config error');
    } catch (err) {
      expect((err as Error).message).toContain('providers.p.apiKeyEnv: expected the name of an environment variable');
      expect((err as Error).message).not.toContain('sk-live');
    }
  });
});
