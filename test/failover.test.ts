/**
 * The failover table, rule by rule, against real mock upstreams on 127.0.0.1.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { closeServer, listen, postChat, startHarness, type Harness } from './helpers/harness.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const servedBy = (r: { headers: Headers }) => r.headers.get('x-switchyard-provider');

describe('failover table', () => {
  it('serves from the primary when it is healthy, with the served-by headers', async () => {
    h = await startHarness(['primary', 'backup']);
    const r = await postChat(h.url, {});
    expect(r.status).toBe(200);
    expect(r.json.choices[0].message.content).toContain('Hello from primary');
    expect(servedBy(r)).toBe('primary');
    expect(r.headers.get('x-switchyard-model')).toBe('primary-model');
    expect(r.headers.get('x-switchyard-attempts')).toBe('1');
    expect(r.headers.get('x-switchyard-request-id')).toMatch(/^[\w-]{8,}$/);
    // The relay rewrites only `model`.
    expect(h.mocks.primary!.requests[0]!.body.model).toBe('primary-model');
    expect(h.mocks.backup!.count).toBe(0);
  });

  it.each([500, 502, 503, 504])('retries the same target on %i, then falls back', async (status) => {
    h = await startHarness(['primary', 'backup']);
    h.mocks.primary!.setFault({ status });
    const r = await postChat(h.url, {});
    expect(r.status).toBe(200);
    expect(servedBy(r)).toBe('backup');
    expect(h.mocks.primary!.count).toBe(2); // retry.attempts = 2
    expect(h.mocks.backup!.count).toBe(1);
    expect(r.headers.get('x-switchyard-attempts')).toBe('3');
  });

  it('falls back at once on 408: a target that timed out is not asked again', async () => {
    h = await startHarness(['primary', 'backup'], {}, {}, { debug: true });
    h.mocks.primary!.setFault({ status: 408 });
    const r = await postChat(h.url, {}, { 'x-switchyard-debug': '1' });
    expect(servedBy(r)).toBe('backup');
    expect(h.mocks.primary!.count).toBe(1);
    expect(JSON.parse(r.headers.get('x-switchyard-attempt-details')!)[0]).toMatchObject({ provider: 'primary', outcome: 'timeout', status: 408 });
  });

  it('a retry that succeeds stays on the same target', async () => {
    h = await startHarness(['primary', 'backup']);
    h.mocks.primary!.queueFaults({ status: 503 });
    const r = await postChat(h.url, {});
    expect(servedBy(r)).toBe('primary');
    expect(h.mocks.primary!.count).toBe(2);
    expect(h.mocks.backup!.count).toBe(0);
  });

  it('retries a connection reset before headers, then falls back', async () => {
    h = await startHarness(['primary', 'backup']);
    h.mocks.primary!.setFault({ reset: true });
    const r = await postChat(h.url, {});
    expect(servedBy(r)).toBe('backup');
    expect(h.mocks.primary!.count).toBe(2);
  });

  it('falls back when the primary refuses connections', async () => {
    h = await startHarness(['primary', 'backup']);
    // Take a port that nothing listens on.
    const { server, origin } = await listen(() => {});
    await closeServer(server);
    const { createRelay } = await import('switchyard');
    const relay = createRelay({
      providers: {
        dead: { type: 'openai', baseURL: `${origin}/v1`, apiKey: 'sk-dead' },
        backup: { type: 'openai', baseURL: h.mocks.backup!.url, apiKey: 'sk-b' },
      },
      models: { chat: { targets: [{ provider: 'dead', model: 'm' }, { provider: 'backup', model: 'b' }] } },
      retry: { attempts: 2, baseDelayMs: 1 },
    });
    const events: string[] = [];
    relay.on('attempt', (e) => events.push(`${e.provider}:${e.outcome}`));
    try {
      const out = await relay.chat({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] });
      expect(out.choices).toHaveLength(1);
      expect(events).toEqual(['dead:connect', 'dead:connect', 'backup:ok']);
    } finally {
      await relay.close();
    }
  });

  it('times out a hung upstream (firstByteMs) and falls back at once, without waiting on it again', async () => {
    h = await startHarness(['primary', 'backup'], { timeouts: { firstByteMs: 100 } });
    h.mocks.primary!.setFault({ hang: true });
    const r = await postChat(h.url, { });
    expect(servedBy(r)).toBe('backup');
    expect(h.mocks.primary!.count).toBe(1);
    // The relay abandoned the hung attempt instead of leaving it open.
    await expect.poll(() => h.mocks.primary!.abandoned).toBe(1);
  });

  it('still retries a silent target when the rules say so (timeout: retry)', async () => {
    h = await startHarness(['primary', 'backup'], { timeouts: { firstByteMs: 100 }, rules: { timeout: 'retry' } });
    h.mocks.primary!.setFault({ hang: true });
    expect(servedBy(await postChat(h.url, {}))).toBe('backup');
    expect(h.mocks.primary!.count).toBe(2);
  });

  it('moves on at once on 429, without retrying the rate-limited target', async () => {
    h = await startHarness(['primary', 'backup']);
    h.mocks.primary!.setFault({ status: 429, retryAfter: 1 });
    const r = await postChat(h.url, {});
    expect(servedBy(r)).toBe('backup');
    expect(h.mocks.primary!.count).toBe(1);
  });

  it('honours Retry-After when the last target answers 429, then succeeds', async () => {
    h = await startHarness(['primary', 'backup'], { retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2000 } });
    h.mocks.primary!.setFault({ status: 503 });
    h.mocks.backup!.queueFaults({ status: 429, retryAfter: 1 });
    const retries: number[] = [];
    h.relay.on('retry', (e) => retries.push(e.delayMs));
    const r = await postChat(h.url, {});
    expect(r.status).toBe(200);
    expect(servedBy(r)).toBe('backup');
    expect(h.mocks.backup!.count).toBe(2);
    expect(retries.at(-1)).toBe(1000);
  });

  it('accepts Retry-After as an HTTP date', async () => {
    h = await startHarness(['only'], { retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 3000 } });
    h.mocks.only!.queueFaults({ status: 429, retryAfter: new Date(Date.now() + 1500).toUTCString() });
    const retries: number[] = [];
    h.relay.on('retry', (e) => retries.push(e.delayMs));
    const r = await postChat(h.url, {});
    expect(r.status).toBe(200);
    expect(retries[0]).toBeGreaterThan(0);
    expect(retries[0]).toBeLessThanOrEqual(1500);
  });

  it('answers 429 with Retry-After when every target is rate limited', async () => {
    h = await startHarness(['primary', 'backup']);
    h.mocks.primary!.setFault({ status: 429, retryAfter: 7 });
    h.mocks.backup!.setFault({ status: 429, retryAfter: 30 }); // above maxDelayMs: not waited for
    const r = await postChat(h.url, {});
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('7');
    expect(r.json.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' });
    expect(h.mocks.primary!.count + h.mocks.backup!.count).toBe(2);
  });

  it.each([401, 403])('moves on after %i and counts it against the target breaker', async (status) => {
    h = await startHarness(['primary', 'backup'], { breaker: { failureThreshold: 2, cooldownMs: 60_000 } });
    h.mocks.primary!.setFault({ status });
    expect(servedBy(await postChat(h.url, {}))).toBe('backup');
    expect(h.mocks.primary!.count).toBe(1); // no retry of a bad key
    expect(servedBy(await postChat(h.url, {}))).toBe('backup');
    expect(h.mocks.primary!.count).toBe(2);
    // Two auth failures opened the breaker: the primary is skipped now.
    expect(servedBy(await postChat(h.url, {}))).toBe('backup');
    expect(h.mocks.primary!.count).toBe(2);
  });

  it.each([400, 422])('returns %i to the client at once: the request itself is at fault', async (status) => {
    h = await startHarness(['primary', 'backup']);
    h.mocks.primary!.setFault({
      status,
      body: { error: { message: `bad field temperature (${status})`, type: 'invalid_request_error', code: 'invalid_value', param: 'temperature' } },
    });
    const r = await postChat(h.url, {});
    expect(r.status).toBe(status);
    expect(r.json.error).toMatchObject({ message: `bad field temperature (${status})`, type: 'invalid_request_error', code: 'invalid_value', param: 'temperature' });
    expect(h.mocks.primary!.count).toBe(1);
    expect(h.mocks.backup!.count).toBe(0);
    expect(r.headers.get('x-switchyard-attempts')).toBe('1');
  });

  it('moves a context-length error to the next target', async () => {
    h = await startHarness(['small', 'large']);
    h.mocks.small!.setFault({
      status: 400,
      body: { error: { message: "This model's maximum context length is 8192 tokens.", type: 'invalid_request_error', code: 'context_length_exceeded', param: 'messages' } },
    });
    const r = await postChat(h.url, {});
    expect(servedBy(r)).toBe('large');
    expect(h.mocks.small!.count).toBe(1);
  });

  it('answers 502 with every attempt listed, and no key, when all targets fail', async () => {
    h = await startHarness(['primary', 'backup']);
    h.mocks.primary!.setFault({ status: 500 });
    h.mocks.backup!.setFault({ reset: true });
    const r = await postChat(h.url, {});
    expect(r.status).toBe(502);
    expect(r.json.error).toMatchObject({ type: 'upstream_error', code: 'all_targets_failed', param: null });
    expect(r.json.error.attempts).toHaveLength(4);
    expect(r.json.error.attempts[0]).toMatchObject({ provider: 'primary', model: 'primary-model', outcome: 'server', status: 500 });
    expect(r.json.error.attempts[3]).toMatchObject({ provider: 'backup', model: 'backup-model', outcome: 'reset' });
    for (const a of r.json.error.attempts) expect(typeof a.latencyMs).toBe('number');
    expect(r.text).not.toContain('secret');
    expect(r.headers.get('x-switchyard-attempts')).toBe('4');
  });

  it('keeps provider keys out of error messages that echo them', async () => {
    h = await startHarness(['primary']);
    h.mocks.primary!.setFault({ status: 400, body: { error: { message: 'Incorrect API key provided: sk-test-primary-secret', type: 'invalid_request_error' } } });
    const r = await postChat(h.url, {});
    expect(r.status).toBe(400);
    expect(r.text).not.toContain('sk-test-primary-secret');
    expect(r.json.error.message).toContain('[redacted]');
  });

  it('sends the provider key upstream and never the client credentials', async () => {
    h = await startHarness(['primary']);
    await postChat(h.url, {}, { authorization: 'Bearer client-token', cookie: 'session=abc' });
    const seen = h.mocks.primary!.requests[0]!.headers;
    expect(seen.authorization).toBe('Bearer sk-test-primary-secret');
    expect(seen.cookie).toBeUndefined();
  });

  it('passes fields it does not understand through untouched', async () => {
    h = await startHarness(['primary']);
    const extra = {
      tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: {} } } }],
      response_format: { type: 'json_object' },
      seed: 42,
      logprobs: true,
      user: 'u-1',
      temperature: 0.3,
    };
    await postChat(h.url, extra);
    const { model, messages, ...rest } = h.mocks.primary!.requests[0]!.body;
    expect(model).toBe('primary-model');
    expect(messages).toEqual([{ role: 'user', content: 'Say hello' }]);
    expect(rest).toEqual(extra);
  });

  it('answers 504 when the overall deadline passes, without running past it', async () => {
    h = await startHarness(['primary', 'backup'], { timeouts: { totalMs: 150, firstByteMs: 10_000 } });
    h.mocks.primary!.setFault({ hang: true });
    h.mocks.backup!.setFault({ hang: true });
    const r = await postChat(h.url, {});
    expect(r.status).toBe(504);
    expect(r.json.error).toMatchObject({ type: 'timeout_error', code: 'deadline_exceeded' });
    expect(h.mocks.backup!.count).toBe(0); // the deadline ended the chain on the first hung target
    await expect.poll(() => h.mocks.primary!.abandoned).toBe(1);
  });

  it('lists every attempt in a header when the client asks for debug details', async () => {
    h = await startHarness(['primary', 'backup'], { retry: { attempts: 1 } }, {}, { debug: true });
    h.mocks.primary!.setFault({ status: 503 });
    const r = await postChat(h.url, {}, { 'x-switchyard-debug': '1' });
    const details = JSON.parse(r.headers.get('x-switchyard-attempt-details')!);
    expect(details.map((d: { provider: string; outcome: string }) => `${d.provider}:${d.outcome}`)).toEqual(['primary:server', 'backup:ok']);
    const plain = await postChat(h.url, {});
    expect(plain.headers.get('x-switchyard-attempt-details')).toBeNull();
  });

  it('treats a 200 with an in-band error object as a failure', async () => {
    h = await startHarness(['primary', 'backup']);
    h.mocks.primary!.setFault({ raw: JSON.stringify({ error: { message: 'upstream overloaded', type: 'server_error' } }) });
    const r = await postChat(h.url, {});
    expect(servedBy(r)).toBe('backup');
  });

  it('retries malformed JSON from the upstream, then falls back', async () => {
    h = await startHarness(['primary', 'backup']);
    h.mocks.primary!.setFault({ malformed: true });
    const r = await postChat(h.url, {});
    expect(servedBy(r)).toBe('backup');
    expect(h.mocks.primary!.count).toBe(2);
  });
});

describe('rule overrides', () => {
  it('a global status rule turns 404 back into an answer for the client', async () => {
    h = await startHarness(['primary', 'backup'], { rules: { 404: 'return' } });
    h.mocks.primary!.setFault({ status: 404 });
    const r = await postChat(h.url, {});
    expect(r.status).toBe(404);
    expect(h.mocks.backup!.count).toBe(0);
  });

  it('a global kind rule stops retrying server errors', async () => {
    h = await startHarness(['primary', 'backup'], { rules: { server: 'fallback' } });
    h.mocks.primary!.setFault({ status: 500 });
    await postChat(h.url, {});
    expect(h.mocks.primary!.count).toBe(1);
  });

  it('a per-target rule wins over the global rule, and a status rule over a kind rule', async () => {
    const { startMocks, chainConfig } = await import('./helpers/harness.js');
    const { createRelay } = await import('switchyard');
    const mocks = await startMocks(['primary', 'backup']);
    const config = chainConfig(mocks, { rules: { server: 'fallback' } });
    config.models.chat!.targets[0]!.rules = { 503: 'return', server: 'retry' };
    const relay = createRelay(config);
    try {
      mocks.primary!.queueFaults({ status: 500 }, { status: 503 });
      // 500: the target's kind rule (retry) wins over the global one; 503: the target's status rule (return).
      await expect(relay.chat({ model: 'chat', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({ status: 503, code: 'ERR_SWITCHYARD_UPSTREAM_REJECTED' });
      expect(mocks.primary!.count).toBe(2);
      expect(mocks.backup!.count).toBe(0);
    } finally {
      await relay.close();
      await Promise.all(Object.values(mocks).map((m) => m.close()));
    }
  });

  it('a provider-level rule applies to all of its targets', async () => {
    const { startMocks, chainConfig } = await import('./helpers/harness.js');
    const { createRelay } = await import('switchyard');
    const mocks = await startMocks(['primary', 'backup']);
    const config = chainConfig(mocks);
    config.providers.primary!.rules = { bad_request: 'fallback' };
    const relay = createRelay(config);
    try {
      mocks.primary!.setFault({ status: 400 });
      const out = await relay.chat({ model: 'chat', messages: [{ role: 'user', content: 'x' }] });
      expect(out.model).toBe('backup-model');
    } finally {
      await relay.close();
      await Promise.all(Object.values(mocks).map((m) => m.close()));
    }
  });
});
