/**
 * The node:http handler: routing, body reading and every client-side error envelope.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MESSAGES, postChat, startHarness, type Harness } from './helpers/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness(['primary'], { limits: { maxBodyBytes: 4096 } });
});
afterAll(async () => {
  await h.close();
});

async function raw(path: string, init: { method?: string; body?: string | Buffer; headers?: Record<string, string> } = {}) {
  const res = await fetch(`${h.url}${path}`, { method: init.method ?? 'POST', body: init.body, headers: { 'content-type': 'application/json', ...init.headers } });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: text ? JSON.parse(text) : undefined };
}

function expectEnvelope(json: any, code: string, param: string | null = null) {
  expect(Object.keys(json)).toEqual(['error']);
  expect(json.error).toEqual({ message: expect.any(String), type: expect.any(String), code, param });
}

describe('request validation (400)', () => {
  it.each([
    ['not JSON', '{"model": "chat", '],
    ['empty', ''],
    ['a JSON array', '[1,2]'],
    ['a JSON string', '"hello"'],
  ])('rejects a body that is %s', async (_name, body) => {
    const r = await raw('/chat/completions', { body });
    expect(r.status).toBe(400);
    expectEnvelope(r.json, 'invalid_request');
    expect(h.mocks.primary!.count).toBe(0);
  });

  it.each([
    ['missing messages', { model: 'chat' }, 'messages', /Missing required parameter: `messages`/],
    ['messages not an array', { model: 'chat', messages: 'hi' }, 'messages', /expected an array, got string/],
    ['empty messages', { model: 'chat', messages: [] }, 'messages', /at least one message/],
    ['a message without role', { model: 'chat', messages: [{ content: 'x' }] }, 'messages[0].role', /messages\[0\]\.role/],
    ['a message that is a string', { model: 'chat', messages: ['x'] }, 'messages[0]', /messages\[0\]/],
    ['missing model', { messages: MESSAGES }, 'model', /Missing required parameter: `model`/],
    ['model not a string', { model: 4, messages: MESSAGES }, 'model', /expected a string, got number/],
    ['stream not a boolean', { model: 'chat', messages: MESSAGES, stream: 'yes' }, 'stream', /`stream`: expected a boolean/],
  ])('names the field for %s', async (_name, body, param, message) => {
    const r = await raw('/chat/completions', { body: JSON.stringify(body) });
    expect(r.status).toBe(400);
    expectEnvelope(r.json, 'invalid_request', param);
    expect(r.json.error.message).toMatch(message);
  });

  it('rejects bytes that are not UTF-8', async () => {
    const body = Buffer.concat([Buffer.from('{"model":"chat","messages":[{"role":"user","content":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}]}')]);
    const r = await raw('/chat/completions', { body });
    expect(r.status).toBe(400);
    expect(r.json.error.message).toMatch(/UTF-8/);
  });

  it('every error response carries a request id', async () => {
    const r = await raw('/chat/completions', { body: '{' });
    expect(r.headers.get('x-switchyard-request-id')).toBeTruthy();
    expect(r.headers.get('x-switchyard-attempts')).toBe('0');
  });
});

describe('other client errors', () => {
  it('404 model_not_found for an unknown public model', async () => {
    const r = await postChat(h.url, { model: 'gpt-9' });
    expect(r.status).toBe(404);
    expectEnvelope(r.json, 'model_not_found', 'model');
    expect(r.json.error.message).toContain('gpt-9');
  });

  it('413 for a body over the limit, by content-length', async () => {
    const r = await raw('/chat/completions', { body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'x'.repeat(5000) }] }) });
    expect(r.status).toBe(413);
    expectEnvelope(r.json, 'request_too_large');
  });

  it('413 for a chunked body that grows over the limit', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${h.url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      req.write('{"model":"chat","messages":[{"role":"user","content":"');
      for (let i = 0; i < 10; i++) req.write('y'.repeat(1000));
      req.end('"}]}');
    });
    expect(status).toBe(413);
    expect(h.mocks.primary!.count).toBe(0);
  });

  it('405 for the wrong method on a known route', async () => {
    const r = await raw('/chat/completions', { method: 'GET', body: undefined });
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe('POST');
    expectEnvelope(r.json, 'method_not_allowed');
  });

  it('404 for an unknown route when nothing comes after the handler', async () => {
    const r = await raw('/completions', { body: '{}' });
    expect(r.status).toBe(404);
    expectEnvelope(r.json, 'unknown_url');
  });
});

describe('routes', () => {
  it('GET /models lists the public models in OpenAI format', async () => {
    const r = await raw('/models', { method: 'GET' });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ object: 'list', data: [{ id: 'chat', object: 'model', created: 0, owned_by: 'switchyard' }] });
  });

  it('ignores a query string', async () => {
    const r = await raw('/models?x=1', { method: 'GET' });
    expect(r.status).toBe(200);
  });

  it('uses a sane client x-request-id and replaces an unsafe one', async () => {
    const ok = await postChat(h.url, {}, { 'x-request-id': 'req-123.abc' });
    expect(ok.headers.get('x-switchyard-request-id')).toBe('req-123.abc');
    const bad = await postChat(h.url, {}, { 'x-request-id': 'a b\tc' });
    expect(bad.headers.get('x-switchyard-request-id')).not.toBe('a b\tc');
  });
});
