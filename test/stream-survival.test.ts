/**
 * Streams that survive: first-token timeout, heartbeats while waiting, usage accounting
 * without changing what the client asked for, stream resume across targets, and
 * OpenAI-only fields passing through untouched.
 */
import OpenAI from 'openai';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { MockRequest } from 'switchyard/testing';
import { MESSAGES, sseData, startHarness, streamedText, type Harness } from './helpers/harness.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

async function stream(url: string, body: Record<string, unknown> = {}) {
  const res = await fetch(`${url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'chat', stream: true, messages: MESSAGES, ...body }),
  });
  return { res, text: await res.text() };
}

/** A stream read with undici, which hands over HTTP trailers (fetch drops them). */
async function streamWithTrailers(url: string, body: Record<string, unknown> = {}) {
  const res = await request(`${url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'chat', stream: true, messages: MESSAGES, ...body }),
  });
  const text = await res.body.text();
  return { text, trailers: res.trailers };
}

const FULL = 'The quick brown fox jumps over the lazy dog, then rests under the old oak tree until sunset.';

/** A mock reply that continues FULL from whatever the relay says was already delivered. */
function continuing(req: MockRequest): string {
  const messages = req.body.messages as { role: string; content: string }[];
  const prefill = messages.findLast((m) => m.role === 'assistant')?.content;
  return prefill !== undefined && FULL.startsWith(prefill) ? FULL.slice(prefill.length) : FULL;
}

describe('first-token timeout', () => {
  it('abandons a stream that sends headers and preamble but no content, and fails over', async () => {
    h = await startHarness(['primary', 'backup'], { retry: { attempts: 1 }, timeouts: { firstTokenMs: 150 } });
    // Headers and the role chunk come at once, the first token would come 10 s later.
    h.mocks.primary!.setFault({ dripMs: 10_000 });
    const { res, text } = await stream(h.url);
    expect(res.headers.get('x-switchyard-provider')).toBe('backup');
    expect(streamedText(text)).toContain('Hello from backup');
    await expect.poll(() => h.mocks.primary!.abandoned).toBe(1);
  });
});

describe('heartbeats', () => {
  it('sends keep-alive comments while the first token is slow, then the answer', async () => {
    h = await startHarness(['primary'], { stream: { heartbeatMs: 50 } });
    h.mocks.primary!.setFault({ firstByteDelayMs: 300 });
    const { res, text } = await stream(h.url);
    expect(res.status).toBe(200);
    expect(text.startsWith(': keep-alive\n\n')).toBe(true);
    expect(text).toContain(': x-switchyard-request-id=');
    expect(text).toContain('x-switchyard-provider=primary');
    expect(streamedText(text)).toContain('Hello from primary');
    expect(sseData(text).at(-1)).toBe('[DONE]');
  });

  it('still fails over after heartbeats; a total failure then ends with an error event', async () => {
    h = await startHarness(['primary', 'backup'], { retry: { attempts: 1 }, stream: { heartbeatMs: 50 } });
    h.mocks.primary!.setFault({ firstByteDelayMs: 200, status: 503 });
    h.mocks.backup!.setFault({ firstByteDelayMs: 200, status: 500 });
    const { res, text } = await stream(h.url);
    expect(res.status).toBe(200);
    expect(text).toContain(': keep-alive');
    const last = JSON.parse(sseData(text).at(-1)!);
    expect(last.error.code).toBe('all_targets_failed');
  });

  it('sends none for a fast first token, so errors keep their status', async () => {
    h = await startHarness(['primary'], { retry: { attempts: 1 }, stream: { heartbeatMs: 5_000 } });
    h.mocks.primary!.setFault({ status: 500 });
    const { res } = await stream(h.url);
    expect(res.status).toBe(502);
  });
});

describe('usage in streams', () => {
  it('asks the upstream for usage and strips the usage chunk for a client that did not ask', async () => {
    h = await startHarness(['primary']);
    const { text } = await stream(h.url);
    expect(h.mocks.primary!.requests[0]!.body.stream_options).toEqual({ include_usage: true });
    const chunks = sseData(text).filter((d) => d !== '[DONE]').map((d) => JSON.parse(d));
    expect(chunks.every((c) => c.choices.length > 0)).toBe(true);
  });

  it('keeps the usage chunk for a client that asked, with its other stream options', async () => {
    h = await startHarness(['primary']);
    const { text } = await stream(h.url, { stream_options: { include_usage: true } });
    const chunks = sseData(text).filter((d) => d !== '[DONE]').map((d) => JSON.parse(d));
    expect(chunks.at(-1).usage.total_tokens).toBeGreaterThan(0);
  });

  it('leaves stream_options alone when streamUsage is off for a provider', async () => {
    const { startMocks, chainConfig, listen, closeServer } = await import('./helpers/harness.js');
    const { createRelay } = await import('switchyard');
    const mocks = await startMocks(['old']);
    const config = chainConfig(mocks);
    (config.providers.old as { streamUsage?: boolean }).streamUsage = false;
    const relay = createRelay(config);
    const { server, origin } = await listen(relay.nodeHandler({ prefix: '/v1' }));
    try {
      await stream(`${origin}/v1`);
      expect(mocks.old!.requests[0]!.body.stream_options).toBeUndefined();
    } finally {
      await closeServer(server);
      await relay.close();
      await mocks.old!.close();
    }
  });
});

describe('stream resume', () => {
  it('is off by default: a stream cut mid-answer ends with an error event', async () => {
    h = await startHarness(['primary', 'backup']);
    h.mocks.primary!.setFault({ dieAfterChunks: 5 });
    const { text } = await stream(h.url);
    expect(JSON.parse(sseData(text).at(-1)!).error.code).toBe('stream_interrupted');
    expect(h.mocks.backup!.count).toBe(0);
  });

  it('splices the next target into the same stream, and the openai client reads one whole answer', async () => {
    h = await startHarness(['primary', 'backup'], { stream: { resume: true } }, { reply: continuing });
    h.mocks.primary!.setFault({ dieAfterChunks: 6 });
    const client = new OpenAI({ baseURL: h.url, apiKey: 'client', maxRetries: 0 });
    const s = await client.chat.completions.create({ model: 'chat', stream: true, messages: [{ role: 'user', content: 'tell me' }] });
    let text = '';
    const ids = new Set<string>();
    let roles = 0;
    for await (const chunk of s) {
      ids.add(chunk.id);
      if (chunk.choices[0]?.delta?.role) roles++;
      // The common loop: every chunk has a first choice (no relay-made chunk without one).
      text += chunk.choices[0]!.delta.content ?? '';
    }
    expect(text).toBe(FULL);
    expect(ids.size).toBe(1);
    expect(roles).toBe(1);
    // The backup was asked to continue from exactly what the client had received.
    const continuation = h.mocks.backup!.requests[0]!.body.messages as { role: string; content: string }[];
    const delivered = continuation.at(-2)!;
    expect(delivered.role).toBe('assistant');
    expect(FULL.startsWith(delivered.content)).toBe(true);
    expect(delivered.content.length).toBeGreaterThan(0);
    expect(continuation.at(-1)!.role).toBe('user');
    expect(continuation.slice(0, -2)).toEqual([{ role: 'user', content: 'tell me' }]);
  });

  it('fails over inside the resume too, and ends with an error when nothing can continue', async () => {
    h = await startHarness(['primary', 'backup'], { stream: { resume: true }, retry: { attempts: 1 } }, { reply: continuing });
    h.mocks.primary!.setFault({ dieAfterChunks: 6 });
    h.mocks.backup!.setFault({ status: 503 });
    const { text } = await stream(h.url);
    const last = JSON.parse(sseData(text).at(-1)!);
    expect(last.error.code).toBe('stream_interrupted');
    expect(h.mocks.backup!.count).toBe(1);
  });

  it('resumes again on a third target when the second also breaks, and never goes back to one that failed', async () => {
    h = await startHarness(['a', 'b', 'c'], { stream: { resume: true }, retry: { attempts: 1 } }, { reply: continuing });
    h.mocks.a!.setFault({ dieAfterChunks: 4 });
    h.mocks.b!.setFault({ dieAfterChunks: 4 });
    const { text, trailers } = await streamWithTrailers(h.url);
    expect(streamedText(text)).toBe(FULL);
    expect(trailers['x-switchyard-resumed-from']).toBe('a/a-model, b/b-model, c/c-model');
    expect([h.mocks.a!.count, h.mocks.b!.count, h.mocks.c!.count]).toEqual([1, 1, 1]);
  });

  it('ends with an error, without looping, when every target breaks mid-answer', async () => {
    h = await startHarness(['a', 'b'], { stream: { resume: true }, retry: { attempts: 1 } }, { reply: continuing });
    h.mocks.a!.setFault({ dieAfterChunks: 4 });
    h.mocks.b!.setFault({ dieAfterChunks: 4 });
    const { text } = await stream(h.url);
    expect(JSON.parse(sseData(text).at(-1)!).error.code).toBe('stream_interrupted');
    expect([h.mocks.a!.count, h.mocks.b!.count]).toEqual([1, 1]);
  });

  it('does not resume a stream that was producing tool calls', async () => {
    h = await startHarness(['primary', 'backup'], { stream: { resume: true } });
    const chunk = (delta: object) => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`;
    h.mocks.primary!.setFault({
      raw: chunk({ role: 'assistant', content: 'Let me look. ' }) + chunk({ tool_calls: [{ index: 0, id: 't1', type: 'function', function: { name: 'f', arguments: '{"a' } }] }),
      dieAfterChunks: 2,
    });
    const { text } = await stream(h.url);
    expect(JSON.parse(sseData(text).at(-1)!).error.code).toBe('stream_interrupted');
    expect(h.mocks.backup!.count).toBe(0);
  });
});

describe('OpenAI fields pass through untouched', () => {
  it('tool-call deltas, several choices and logprobs reach the client as the upstream sent them', async () => {
    h = await startHarness(['primary']);
    const events = [
      { id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { role: 'assistant', content: null, tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '' } }] }, logprobs: null, finish_reason: null }, { index: 1, delta: { role: 'assistant', content: 'Hi' }, logprobs: { content: [{ token: 'Hi', logprob: -0.1, bytes: [72, 105], top_logprobs: [] }] }, finish_reason: null }] },
      { id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"city":"Oslo"}' } }] }, logprobs: null, finish_reason: 'tool_calls' }, { index: 1, delta: {}, logprobs: null, finish_reason: 'stop' }] },
    ];
    const raw = events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join('') + 'data: [DONE]\n\n';
    h.mocks.primary!.setFault({ raw });
    const { text } = await stream(h.url, { n: 2, logprobs: true, tools: [{ type: 'function', function: { name: 'get_weather', parameters: {} } }] });
    expect(text).toBe(raw);
    expect(h.mocks.primary!.requests[0]!.body).toMatchObject({ n: 2, logprobs: true });
  });
});
