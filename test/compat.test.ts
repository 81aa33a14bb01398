/**
 * Parameter compatibility: a chain that falls back to one of OpenAI's reasoning models
 * keeps answering although the client sent parameters those models refuse. The mock
 * answers as they do (`reasoningModels`), with OpenAI's own error bodies.
 */
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { createRelay, type RelayConfig, type RelayEventMap } from 'switchyard';
import { createMockUpstream, type MockUpstream } from 'switchyard/testing';
import { serveRelay, type Harness } from './helpers/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** `gpt-4.1` on one OpenAI mock, then `o3` on another that answers as reasoning models do. */
async function gptThenO3(extra: Partial<RelayConfig> = {}, o3Target: Record<string, unknown> = {}): Promise<Harness & { primary: MockUpstream; o3: MockUpstream }> {
  const primary = await createMockUpstream({ name: 'gpt', reasoningModels: true });
  const o3 = await createMockUpstream({ name: 'o3', reasoningModels: true, reply: 'Thought it through.' });
  const relay = createRelay({
    providers: { openai: { type: 'openai', baseURL: primary.url, apiKey: 'sk-one' }, backup: { type: 'openai', baseURL: o3.url, apiKey: 'sk-two' } },
    models: { smart: { targets: [{ provider: 'openai', model: 'gpt-4.1' }, { provider: 'backup', model: 'o3', ...o3Target }] } },
    retry: { attempts: 1 },
    ...extra,
  });
  h = await serveRelay(relay, { primary, o3 });
  return { ...h, primary, o3 };
}

const client = (url: string) => new OpenAI({ baseURL: url, apiKey: 'client-key', maxRetries: 0 });
const ask = { model: 'smart', messages: [{ role: 'user' as const, content: 'Think.' }], max_tokens: 200, temperature: 0.7, presence_penalty: 0.5 };

describe('the mock as a reasoning model', () => {
  it('refuses max_tokens and a temperature other than 1 with OpenAI error bodies', async () => {
    const o3 = await createMockUpstream({ reasoningModels: true });
    try {
      const res = await fetch(`${o3.url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'o3', messages: [{ role: 'user', content: 'x' }], max_tokens: 5 }) });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: { message: "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.", type: 'invalid_request_error', code: 'unsupported_parameter', param: 'max_tokens' } });
      const hot = await fetch(`${o3.url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'o4-mini', messages: [{ role: 'user', content: 'x' }], temperature: 0.2 }) });
      expect(((await hot.json()) as { error: unknown }).error).toMatchObject({ code: 'unsupported_value', param: 'temperature' });
      const fine = await fetch(`${o3.url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'x' }], temperature: 0.2, max_tokens: 5 }) });
      expect(fine.status).toBe(200);
    } finally {
      await o3.close();
    }
  });
});

describe('gpt-4.1 → o3 failover', () => {
  it('succeeds with the fallback’s parameters adapted, and says what changed', async () => {
    const s = await gptThenO3();
    const attempts: RelayEventMap['attempt'][] = [];
    s.relay.on('attempt', (e) => attempts.push(e));
    s.primary.setFault({ status: 503 });
    const res = await client(s.url).chat.completions.create(ask);
    expect(res.choices[0]!.message.content).toBe('Thought it through.');
    const sent = s.o3.requests.at(-1)!.body as Record<string, unknown>;
    expect(sent.max_completion_tokens).toBe(200);
    expect(sent).not.toHaveProperty('max_tokens');
    expect(sent).not.toHaveProperty('temperature');
    expect(sent).not.toHaveProperty('presence_penalty');
    // The primary got what the client sent.
    expect(s.primary.requests.at(-1)!.body).toMatchObject({ max_tokens: 200, temperature: 0.7 });
    expect(attempts.map((a) => a.adapted)).toEqual([undefined, ['max_tokens→max_completion_tokens', '-temperature', '-presence_penalty']]);
  });

  it('streams from o3 too', async () => {
    const s = await gptThenO3();
    s.primary.setFault({ status: 503 });
    const stream = await client(s.url).chat.completions.create({ ...ask, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('Thought it through.');
  });

  it('fails as a new user saw it before, with compat turned off', async () => {
    const s = await gptThenO3({ compat: { dropUnsupported: false } });
    s.primary.setFault({ status: 503 });
    const err = await client(s.url).chat.completions.create(ask).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(400);
    expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe('unsupported_parameter');
  });

  it('takes a target’s own params over the table: rename, drop and set', async () => {
    const s = await gptThenO3({ compat: { dropUnsupported: false } }, { params: { rename: { max_tokens: 'max_completion_tokens' }, drop: ['temperature', 'presence_penalty'], set: { reasoning_effort: 'low' } } });
    s.primary.setFault({ status: 503 });
    const res = await client(s.url).chat.completions.create(ask);
    expect(res.choices[0]!.message.content).toBe('Thought it through.');
    expect(s.o3.requests.at(-1)!.body).toMatchObject({ max_completion_tokens: 200, reasoning_effort: 'low' });
    expect(s.o3.requests.at(-1)!.body).not.toHaveProperty('temperature');
  });
});

describe('Claude 4.1 and later', () => {
  it('gets temperature or top_p, not both, in a fallback from GPT', async () => {
    const gpt = await createMockUpstream({ name: 'gpt' });
    const claude = await createMockUpstream({ name: 'claude', protocol: 'anthropic' });
    const relay = createRelay({
      providers: { openai: { type: 'openai', baseURL: gpt.url, apiKey: 'sk-one' }, anthropic: { type: 'anthropic', baseURL: claude.url, apiKey: 'sk-ant-two' } },
      models: { smart: { targets: [{ provider: 'openai', model: 'gpt-4.1' }, { provider: 'anthropic', model: 'claude-sonnet-4-5' }] } },
      retry: { attempts: 1 },
    });
    h = await serveRelay(relay, { gpt, claude });
    gpt.setFault({ status: 503 });
    await client(h.url).chat.completions.create({ model: 'smart', messages: [{ role: 'user', content: 'x' }], temperature: 0.3, top_p: 0.9 });
    expect(claude.requests.at(-1)!.body).toMatchObject({ temperature: 0.3 });
    expect(claude.requests.at(-1)!.body).not.toHaveProperty('top_p');
    expect(gpt.requests.at(-1)!.body).toMatchObject({ temperature: 0.3, top_p: 0.9 });
  });
});
