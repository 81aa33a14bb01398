/**
 * POST /embeddings: the same failover, retries and breakers as chat completions.
 */
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './helpers/harness.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

async function embed(url: string, body: unknown) {
  const res = await fetch(`${url}/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, headers: res.headers, json: (await res.json()) as any };
}

describe('embeddings', () => {
  it('relays an embeddings request, rewriting only the model', async () => {
    h = await startHarness(['primary', 'backup']);
    const r = await embed(h.url, { model: 'chat', input: ['a', 'b'], dimensions: 8 });
    expect(r.status).toBe(200);
    expect(r.json.data).toHaveLength(2);
    expect(r.headers.get('x-switchyard-provider')).toBe('primary');
    expect(h.mocks.primary!.requests[0]).toMatchObject({ path: '/v1/embeddings', body: { model: 'primary-model', input: ['a', 'b'], dimensions: 8 } });
  });

  it('fails over on 5xx and resets like chat does', async () => {
    h = await startHarness(['primary', 'backup']);
    h.mocks.primary!.queueFaults({ status: 503 }, { reset: true });
    const r = await embed(h.url, { model: 'chat', input: 'hello' });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-switchyard-provider')).toBe('backup');
    expect(r.headers.get('x-switchyard-attempts')).toBe('3');
  });

  it('answers 502 with attempts when every target fails', async () => {
    h = await startHarness(['primary', 'backup'], { retry: { attempts: 1 } });
    h.mocks.primary!.setFault({ status: 500 });
    h.mocks.backup!.setFault({ malformed: true });
    const r = await embed(h.url, { model: 'chat', input: 'hello' });
    expect(r.status).toBe(502);
    expect(r.json.error.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(['server', 'bad_response']);
  });

  it.each([
    ['missing input', { model: 'chat' }, 'input'],
    ['empty input', { model: 'chat', input: '' }, 'input'],
    ['input of objects', { model: 'chat', input: [{ a: 1 }] }, 'input'],
    ['missing model', { input: 'x' }, 'model'],
  ])('400 for %s', async (_name, body, param) => {
    h = await startHarness(['primary']);
    const r = await embed(h.url, body);
    expect(r.status).toBe(400);
    expect(r.json.error.param).toBe(param);
  });

  it('works with the official openai client and programmatically', async () => {
    h = await startHarness(['primary']);
    const client = new OpenAI({ baseURL: h.url, apiKey: 'client', maxRetries: 0 });
    const out = await client.embeddings.create({ model: 'chat', input: 'hello', encoding_format: 'float' });
    expect(out.data[0]!.embedding.length).toBeGreaterThan(0);
    const direct = await h.relay.embeddings({ model: 'chat', input: ['x'] });
    expect(direct.data).toHaveLength(1);
  });
});
