/**
 * One suite, every mount: the same requests against Express, Koa and Nest hosts (see
 * `helpers/mounts.ts`), with mock upstreams behind each. A framework is supported when
 * its row passes this table.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RelayConfig } from 'switchyard';
import type { MockUpstream } from 'switchyard/testing';
import { MESSAGES, chainConfig, readAnswer, sseData, startMocks, streamedText } from './helpers/harness.js';
import { HOST_KEY, MOUNTS, type Mounted } from './helpers/mounts.js';

const REPLY = (name: string) => `Hello from ${name}! This is a streamed reply from a mock upstream.`;
const MAX_BODY = 4096;

describe.each(MOUNTS)('$name', (mount) => {
  let mocks: Record<string, MockUpstream> = {};
  let host: Mounted | undefined;

  async function start(extra: Partial<RelayConfig> = {}): Promise<{ primary: MockUpstream; backup: MockUpstream }> {
    mocks = await startMocks(['primary', 'backup']);
    host = await mount.start(chainConfig(mocks, { limits: { maxBodyBytes: MAX_BODY }, ...extra }));
    return { primary: mocks.primary!, backup: mocks.backup! };
  }

  afterEach(async () => {
    await host?.close();
    host = undefined;
    await Promise.all(Object.values(mocks).map((m) => m.close()));
    mocks = {};
  });

  /** A request to the host, with the host's API key unless `headers` says otherwise. */
  function send(path: string, init: RequestInit & { headers?: Record<string, string> } = {}): Promise<globalThis.Response> {
    return fetch(`${host!.url}${path}`, { ...init, headers: { authorization: `Bearer ${HOST_KEY}`, ...init.headers } });
  }

  async function chat(body: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
    const res = await send('/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ model: 'chat', messages: MESSAGES, ...body }),
    });
    return readAnswer(res);
  }

  const servedBy = (r: { headers: Headers }) => r.headers.get('x-switchyard-provider');

  it('relays a plain completion', async () => {
    const { primary, backup } = await start();
    const r = await chat();
    expect(r.status).toBe(200);
    expect(r.json.choices[0].message.content).toBe(REPLY('primary'));
    expect(primary.requests[0]!.body.model).toBe('primary-model');
    expect(backup.count).toBe(0);
  });

  it('streams SSE: the deltas join to the reply and [DONE] comes last', async () => {
    await start();
    const r = await chat({ stream: true });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(streamedText(r.text)).toBe(REPLY('primary'));
    expect(sseData(r.text).at(-1)).toBe('[DONE]');
  });

  it('streams from the backup when the primary fails before the first byte', async () => {
    const { primary } = await start();
    primary.setFault({ status: 503 });
    const r = await chat({ stream: true });
    expect(r.status).toBe(200);
    expect(servedBy(r)).toBe('backup');
    expect(streamedText(r.text)).toBe(REPLY('backup'));
  });

  it('fails over on 5xx after retrying', async () => {
    const { primary, backup } = await start();
    primary.setFault({ status: 502 });
    const r = await chat();
    expect(r.status).toBe(200);
    expect(servedBy(r)).toBe('backup');
    expect(r.headers.get('x-switchyard-attempts')).toBe('3');
    expect(primary.count).toBe(2);
    expect(backup.count).toBe(1);
  });

  it('fails over on a connection reset', async () => {
    const { primary } = await start();
    primary.setFault({ reset: true });
    const r = await chat();
    expect(r.status).toBe(200);
    expect(servedBy(r)).toBe('backup');
    expect(primary.count).toBe(2);
  });

  it('moves on at once from a rate-limited target', async () => {
    const { primary, backup } = await start();
    primary.setFault({ status: 429 });
    const r = await chat();
    expect(servedBy(r)).toBe('backup');
    expect(primary.count).toBe(1);
    expect(backup.count).toBe(1);
  });

  it('answers 429 with Retry-After when every target is rate limited', async () => {
    const { primary, backup } = await start();
    primary.setFault({ status: 429, retryAfter: 7 });
    backup.setFault({ status: 429, retryAfter: 30 });
    const r = await chat();
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('7');
    expect(r.json.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' });
  });

  it('relays embeddings with the same failover', async () => {
    const { primary } = await start();
    primary.setFault({ status: 503 });
    const res = await send('/embeddings', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'chat', input: ['a', 'b'] }) });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-switchyard-provider')).toBe('backup');
    expect(((await res.json()) as { data: unknown[] }).data).toHaveLength(2);
  });

  it('opens the breaker, skips the target, then lets a half-open probe close it', async () => {
    const { primary } = await start({ breaker: { failureThreshold: 1, cooldownMs: 100 }, retry: { attempts: 1 } });
    primary.setFault({ status: 503 });
    expect(servedBy(await chat())).toBe('backup');
    expect(servedBy(await chat())).toBe('backup');
    expect(primary.count).toBe(1); // open: the second request skipped it
    primary.setFault(null);
    // Once the cooldown is over, the probe reaches the healed primary and closes the breaker.
    await expect.poll(async () => servedBy(await chat()), { timeout: 5_000, interval: 25 }).toBe('primary');
    expect(servedBy(await chat())).toBe('primary');
  });

  it('answers 404 model_not_found for an unknown model', async () => {
    const { primary } = await start();
    const r = await chat({ model: 'nope' });
    expect(r.status).toBe(404);
    expect(r.json.error).toMatchObject({ code: 'model_not_found', param: 'model' });
    expect(primary.count).toBe(0);
  });

  it('answers 400 for a body that is not JSON', async () => {
    const { primary } = await start();
    const res = await send('/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model": "chat",' });
    expect(res.status).toBe(400);
    const body = await res.text();
    const inEnvelope = (() => {
      try {
        return JSON.parse(body).error?.code === 'invalid_request';
      } catch {
        return false;
      }
    })();
    expect(inEnvelope).toBe(mount.parseErrorsInEnvelope);
    if (mount.parseErrorsInEnvelope) expect(JSON.parse(body)).toEqual({ error: { message: expect.any(String), type: 'invalid_request_error', code: 'invalid_request', param: null } });
    expect(primary.count).toBe(0);
  });

  it('answers 400 naming the param for a body without messages', async () => {
    const { primary } = await start();
    const r = await chat({ messages: undefined });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_request', param: 'messages' });
    expect(primary.count).toBe(0);
  });

  it('answers 413 for a body over limits.maxBodyBytes', async () => {
    const { primary } = await start();
    const r = await chat({ messages: [{ role: 'user', content: 'x'.repeat(MAX_BODY * 2) }] });
    expect(r.status).toBe(413);
    expect(r.json.error).toMatchObject({ code: 'request_too_large' });
    expect(primary.count).toBe(0);
  });

  it('aborts the upstream when the client leaves before an answer', async () => {
    const { primary } = await start();
    primary.setFault({ hang: true });
    const client = new AbortController();
    const res = send('/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat', messages: MESSAGES }),
      signal: client.signal,
    }).catch(() => undefined);
    await expect.poll(() => primary.count).toBe(1);
    client.abort();
    await res;
    const abandoned = await primary.nextAbandoned();
    expect(abandoned.abandoned).toBe(true);
  });

  it('aborts the upstream when the client leaves mid-stream', async () => {
    const { primary } = await start();
    primary.setFault({ dripMs: 50 });
    const client = new AbortController();
    const res = await send('/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat', messages: MESSAGES, stream: true }),
      signal: client.signal,
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    await reader.read(); // the answer has started
    client.abort();
    await reader.closed.catch(() => undefined);
    const abandoned = await primary.nextAbandoned();
    expect(abandoned.body.stream).toBe(true);
  });

  it('sends the served-by headers, next to the host’s own', async () => {
    await start();
    const r = await chat({}, { 'x-request-id': 'conformance-1' });
    expect(r.headers.get('x-switchyard-provider')).toBe('primary');
    expect(r.headers.get('x-switchyard-model')).toBe('primary-model');
    expect(r.headers.get('x-switchyard-attempts')).toBe('1');
    expect(r.headers.get('x-switchyard-request-id')).toBe('conformance-1');
    expect(r.headers.get('x-host')).toBe(mount.name);
    const streamed = await chat({ stream: true });
    expect(streamed.headers.get('x-switchyard-provider')).toBe('primary');
    expect(streamed.headers.get('x-host')).toBe(mount.name);
  });

  it('lists the public models on GET /models', async () => {
    await start();
    const res = await send('/models');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ object: 'list', data: [{ id: 'chat', object: 'model' }] });
  });

  it('lets the host’s auth reject a request before the relay sees it', async () => {
    const { primary, backup } = await start();
    const r = await chat({}, { authorization: 'Bearer wrong' });
    expect(r.status).toBe(401);
    const none = await fetch(`${host!.url}/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'chat', messages: MESSAGES }) });
    expect(none.status).toBe(401);
    expect(primary.count + backup.count).toBe(0);
  });

  async function post(path: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
    return readAnswer(await send(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }));
  }

  it('serves a Responses client (JSON and stream) and keeps the Response for GET and DELETE', async () => {
    const { primary } = await start();
    const r = await post('/responses', { model: 'chat', input: 'Say hello' });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ object: 'response', status: 'completed' });
    expect(r.json.output[0].content[0].text).toBe(REPLY('primary'));
    expect(primary.requests[0]!.path).toBe('/v1/chat/completions');
    const stored = await send(`/responses/${r.json.id}`);
    expect(stored.status).toBe(200);
    expect(((await stored.json()) as { id: string }).id).toBe(r.json.id);
    expect((await send(`/responses/${r.json.id}`, { method: 'DELETE' })).status).toBe(200);
    expect((await send(`/responses/${r.json.id}`)).status).toBe(404);
    const streamed = await post('/responses', { model: 'chat', input: 'Say hello', stream: true });
    expect(streamed.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = streamed.text.split('\n\n').filter(Boolean).map((f) => f.split('\n')[0]);
    expect(events[0]).toBe('event: response.created');
    expect(events.at(-1)).toBe('event: response.completed');
  });

  it('serves a Messages client (JSON and stream), count_tokens, and errors in Anthropic\'s envelope', async () => {
    await start();
    const r = await post('/messages', { model: 'chat', max_tokens: 50, messages: MESSAGES });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ type: 'message', role: 'assistant', content: [{ type: 'text', text: REPLY('primary') }] });
    const streamed = await post('/messages', { model: 'chat', max_tokens: 50, messages: MESSAGES, stream: true });
    const events = streamed.text.split('\n\n').filter(Boolean).map((f) => f.split('\n')[0]);
    expect(events[0]).toBe('event: message_start');
    expect(events.at(-1)).toBe('event: message_stop');
    const count = await post('/messages/count_tokens', { model: 'chat', messages: MESSAGES });
    expect(count.json.input_tokens).toBeGreaterThan(0);
    const bad = await post('/messages', { model: 'chat', messages: MESSAGES });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
  });

  it('leaves the host’s other routes working', async () => {
    await start();
    const res = await send('/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });
});
