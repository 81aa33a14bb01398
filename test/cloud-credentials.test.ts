/**
 * Credentials that expire: cached and shared, refreshed ahead of expiry in the
 * background (a rotation during traffic loses no request and makes none wait), fetched
 * once for all requests waiting at the same time, fetched anew after the upstream
 * refused them, and, when they cannot be had, an `auth` attempt the chain moves past.
 */
import OpenAI from 'openai';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AwsCredentials } from 'switchyard';
import { Refreshing } from '../src/auth/refreshing.js';
import { CredentialsError } from '../src/auth/credentials-error.js';
import { startCloudChain, TEST_AWS } from './helpers/cloud.js';
import type { MockAwsCredentials } from 'switchyard/testing';

const ask = { model: 'chat', messages: [{ role: 'user' as const, content: 'hi' }] };
const MINUTE = 60_000;

/** A promise and its resolver. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('a Bedrock credential rotation during traffic', () => {
  it('loses no request: a due refresh runs once in the background, an expired one is awaited once by all', async () => {
    let clock = 0;
    // The mock accepts every key issued so far (a live list), so only the signatures decide.
    const accepted: MockAwsCredentials[] = [];
    let issued = 0;
    let gate: ReturnType<typeof deferred<void>> | undefined;
    const credentials = vi.fn(async (): Promise<AwsCredentials> => {
      const n = ++issued;
      const c = { accessKeyId: `AKIDROTATING0000000${n}`, secretAccessKey: `rotating-secret-${n}-0123456789`, sessionToken: `rotating-token-${n}-0123456789` };
      accepted.push(c);
      await gate?.promise;
      return { ...c, expiration: new Date(clock + 10 * MINUTE) };
    });
    const h = await startCloudChain(
      { aws: { protocol: 'bedrock', model: 'amazon.nova-pro-v1:0', provider: { credentials }, mock: { sigv4: { credentials: accepted } } } },
      { now: () => clock },
    );
    try {
      const client = new OpenAI({ baseURL: h.url, apiKey: 'x', maxRetries: 0 });
      const burst = () => Promise.all(Array.from({ length: 20 }, () => client.chat.completions.create(ask)));
      const keys = () => h.mocks.aws!.requests.map((r) => /Credential=(\w+)\//.exec(String(r.headers.authorization))![1]);

      // First use: twenty requests, one fetch.
      await burst();
      expect(credentials).toHaveBeenCalledTimes(1);

      // 6 min in, inside the 5 min margin before expiry: requests go on with key 1 while
      // one slow refresh runs; none waits for it.
      clock = 6 * MINUTE;
      gate = deferred<void>();
      await burst();
      expect(credentials).toHaveBeenCalledTimes(2);
      expect(new Set(keys())).toEqual(new Set(['AKIDROTATING00000001']));
      gate.resolve();
      await credentials.mock.results[1]!.value;
      await new Promise((resolve) => setImmediate(resolve));
      await burst(); // the refresh has landed: key 2 from now on
      expect(keys().slice(-20)).toEqual(Array(20).fill('AKIDROTATING00000002'));

      // Past key 2's expiry (16 min): every request waits for the same single fetch.
      clock = 30 * MINUTE;
      gate = deferred<void>();
      const waiting = burst();
      await vi.waitFor(() => expect(credentials).toHaveBeenCalledTimes(3));
      expect(h.mocks.aws!.requests).toHaveLength(60); // all twenty are waiting, none was sent with key 2
      gate.resolve();
      const answers = await waiting;
      expect(answers).toHaveLength(20);
      expect(keys().slice(-20)).toEqual(Array(20).fill('AKIDROTATING00000003'));
      expect(credentials).toHaveBeenCalledTimes(3);
      expect(h.mocks.aws!.requests).toHaveLength(80);
    } finally {
      await h.close();
    }
  });
});

describe('credentials that cannot be had', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('a throwing credential function is an auth attempt with an event, and the chain moves on', async () => {
    const h = await startCloudChain({
      aws: { protocol: 'bedrock', model: 'amazon.nova-pro-v1:0', provider: { credentials: async () => { throw new Error('the profile holds SECRET-IN-MESSAGE'); } } },
      backup: { protocol: 'openai', model: 'backup-model' },
    });
    try {
      const events: { provider: string; outcome: string; detail?: string }[] = [];
      h.relay.on('attempt', (e) => events.push({ provider: e.provider, outcome: e.outcome, detail: e.detail }));
      const client = new OpenAI({ baseURL: h.url, apiKey: 'x', maxRetries: 0 });
      const answer = await client.chat.completions.create(ask);
      expect(answer.choices[0]!.message.content).toContain('Hello from backup');
      expect(events[0]).toEqual({ provider: 'aws', outcome: 'auth', detail: 'credentials unavailable: AWS credentials could not be obtained (Error)' });
      // Nothing reached Bedrock; the function's message (it might quote a key) went nowhere.
      expect(h.mocks.aws!.requests).toHaveLength(0);
      expect(JSON.stringify(events)).not.toContain('SECRET-IN-MESSAGE');
    } finally {
      await h.close();
    }
  });

  it.each([
    ['bedrock', 'amazon.nova-pro-v1:0', { credentials: undefined }, '@aws-sdk/credential-providers'],
    ['vertex', 'gemini-2.5-pro', { token: undefined }, 'google-auth-library'],
    ['azure-openai', 'my-deployment', { apiKey: undefined }, '@azure/identity'],
  ] as const)('%s without credentials and without its optional peer: auth, naming the package to install', async (protocol, model, provider, peer) => {
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_BEARER_TOKEN_BEDROCK']) vi.stubEnv(name, '');
    const h = await startCloudChain({ cloud: { protocol, model, provider }, backup: { protocol: 'openai', model: 'backup-model' } });
    try {
      const details: string[] = [];
      h.relay.on('attempt', (e) => details.push(`${e.outcome}: ${e.detail}`));
      const client = new OpenAI({ baseURL: h.url, apiKey: 'x', maxRetries: 0 });
      await client.chat.completions.create(ask);
      expect(details[0]).toContain('auth: credentials unavailable');
      expect(details[0]).toContain(peer);
      expect(h.mocks.cloud!.requests).toHaveLength(0);
    } finally {
      await h.close();
    }
  });

  it('a token refused with 401 is fetched anew for the next request', async () => {
    let n = 0;
    const token = vi.fn(async () => `ya29.token-${++n}-abcdefgh`);
    const h = await startCloudChain({ gcp: { protocol: 'vertex', model: 'gemini-2.5-pro', provider: { token } } });
    try {
      const client = new OpenAI({ baseURL: h.url, apiKey: 'x', maxRetries: 0 });
      await client.chat.completions.create(ask);
      h.mocks.gcp!.queueFaults({ status: 401 });
      await expect(client.chat.completions.create(ask)).rejects.toThrow();
      await client.chat.completions.create(ask);
      expect(token).toHaveBeenCalledTimes(2);
      expect(h.mocks.gcp!.requests.map((r) => r.headers.authorization)).toEqual(['Bearer ya29.token-1-abcdefgh', 'Bearer ya29.token-1-abcdefgh', 'Bearer ya29.token-2-abcdefgh']);
    } finally {
      await h.close();
    }
  });
});

describe('Refreshing', () => {
  afterEach(() => vi.useRealTimers());
  const options = (now: () => number) => ({ what: 'the test token', now, marginMs: 5 * MINUTE, ttlMs: MINUTE, timeoutMs: 10_000 });

  it('a fetch slower than timeoutMs fails every waiter, and the next call starts a new fetch', async () => {
    vi.useFakeTimers();
    let calls = 0;
    const source = new Refreshing<string>(() => (++calls === 1 ? new Promise(() => {}) : Promise.resolve({ value: 'second' })), options(() => 0));
    const signal = new AbortController().signal;
    const waiting = Promise.all([source.get(signal), source.get(signal)]);
    const failed = expect(waiting).rejects.toThrow(new CredentialsError('the test token not obtained within 10000 ms'));
    await vi.advanceTimersByTimeAsync(10_000);
    await failed;
    await expect(source.get(signal)).resolves.toBe('second');
    expect(calls).toBe(2);
  });

  it('a value without expiry is kept for ttlMs; invalidate() forgets it at once', async () => {
    let clock = 0;
    let calls = 0;
    const source = new Refreshing<string>(async () => ({ value: `v${++calls}` }), options(() => clock));
    const signal = new AbortController().signal;
    expect(await source.get(signal)).toBe('v1');
    clock = MINUTE - 1;
    expect(await source.get(signal)).toBe('v1');
    clock = MINUTE;
    expect(await source.get(signal)).toBe('v2');
    source.invalidate();
    expect(await source.get(signal)).toBe('v3');
  });

  it('a waiter whose request is aborted stops waiting; the fetch goes on for the others', async () => {
    const gate = deferred<void>();
    const source = new Refreshing<string>(async () => (await gate.promise, { value: 'late' }), options(() => 0));
    const aborted = new AbortController();
    const first = source.get(aborted.signal);
    const second = source.get(new AbortController().signal);
    aborted.abort(new Error('client left'));
    await expect(first).rejects.toThrow('client left');
    gate.resolve();
    await expect(second).resolves.toBe('late');
  });
});
