/**
 * Recorded provider responses (test/fixtures/provider-streams, from the Vercel AI SDK,
 * Apache-2.0) replayed byte for byte by the mock upstream behind the relay. OpenAI-format
 * ones must pass through unchanged; Anthropic ones are translated. Either way the
 * official `openai` client must end up with the recorded result.
 */
import { readFileSync } from 'node:fs';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, startMixedHarness } from './helpers/anthropic.js';
import { sseData, startHarness, type Harness } from './helpers/harness.js';

const dir = new URL('./fixtures/provider-streams/', import.meta.url);
interface Entry { file: string; kind: string; expected: string }
const manifest: Entry[] = JSON.parse(readFileSync(new URL('manifest.json', dir), 'utf8'));
const openaiStreams = manifest.filter((e) => e.kind === 'openai-sse');
const openaiBodies = manifest.filter((e) => e.kind === 'openai-json');
const anthropicStreams = manifest.filter((e) => e.kind === 'anthropic-sse');
const anthropicBodies = manifest.filter((e) => e.kind === 'anthropic-json');

interface Expected {
  text: string;
  tool_calls: { id: string; name: string; arguments: string }[];
  finish_reason: string;
  usage: { prompt_tokens: number; completion_tokens: number } | null;
  _info?: { reasoning?: string; upstream_usage?: Record<string, number> };
}
const expectedOf = (e: Entry): Expected => JSON.parse(readFileSync(new URL(e.expected, dir), 'utf8'));
const bytesOf = (e: Entry) => readFileSync(new URL(e.file, dir));

let h: Harness;
let client: OpenAI;
beforeAll(async () => {
  h = await startHarness(['recorded']);
  client = new OpenAI({ baseURL: h.url, apiKey: 'client-key', maxRetries: 0 });
});
afterAll(async () => {
  await h.close();
});

describe('recorded OpenAI-format streams', () => {
  it('the manifest lists the fixtures this suite replays', () => {
    expect(openaiStreams.length).toBeGreaterThanOrEqual(4);
    expect(openaiBodies.length).toBeGreaterThanOrEqual(2);
  });

  it.each(openaiStreams.map((e) => [e.file, e] as const))('%s reaches the client byte for byte', async (_name, entry) => {
    const raw = bytesOf(entry);
    h.mocks.recorded!.setFault({ raw });
    const res = await fetch(`${h.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      // The recordings were made with include_usage; a client that asks for it gets every byte.
      body: JSON.stringify({ model: 'chat', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(raw)).toBe(true);
  });

  it.each(openaiStreams.map((e) => [e.file, e] as const))('%s: the openai client ends with the recorded result', async (_name, entry) => {
    h.mocks.recorded!.setFault({ raw: bytesOf(entry) });
    const expected = expectedOf(entry);
    const stream = await client.chat.completions.create({
      model: 'chat',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'x' }],
    });
    let text = '';
    let finish: string | null = null;
    let usage: { prompt_tokens: number; completion_tokens: number } | null = null;
    const calls = new Map<number, { id: string; name: string; arguments: string }>();
    for await (const chunk of stream) {
      if (chunk.usage) usage = { prompt_tokens: chunk.usage.prompt_tokens, completion_tokens: chunk.usage.completion_tokens };
      const choice = chunk.choices[0];
      if (!choice) continue;
      text += choice.delta?.content ?? '';
      if (choice.finish_reason) finish = choice.finish_reason;
      for (const tc of choice.delta?.tool_calls ?? []) {
        const call = calls.get(tc.index) ?? { id: '', name: '', arguments: '' };
        if (!call.id && tc.id) call.id = tc.id;
        if (!call.name && tc.function?.name) call.name = tc.function.name;
        call.arguments += tc.function?.arguments ?? '';
        calls.set(tc.index, call);
      }
    }
    expect(text).toBe(expected.text);
    expect(finish).toBe(expected.finish_reason);
    expect(usage).toEqual(expected.usage);
    const got = [...calls.values()];
    expect(got.map((c) => ({ id: c.id, name: c.name }))).toEqual(expected.tool_calls.map((c) => ({ id: c.id, name: c.name })));
    got.forEach((c, i) => expect(JSON.parse(c.arguments)).toEqual(JSON.parse(expected.tool_calls[i]!.arguments)));
  });
});

describe('recorded OpenAI-format bodies', () => {
  it.each(openaiBodies.map((e) => [e.file, e] as const))('%s passes through and parses in the openai client', async (_name, entry) => {
    const raw = bytesOf(entry);
    h.mocks.recorded!.setFault({ raw });
    const res = await fetch(`${h.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(Buffer.from(await res.arrayBuffer()).equals(raw)).toBe(true);

    const expected = expectedOf(entry);
    const completion = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'x' }] });
    const message = completion.choices[0]!.message;
    expect(message.content ?? '').toBe(expected.text);
    expect(completion.choices[0]!.finish_reason).toBe(expected.finish_reason);
    expect(completion.usage ? { prompt_tokens: completion.usage.prompt_tokens, completion_tokens: completion.usage.completion_tokens } : null).toEqual(expected.usage);
    const calls = (message.tool_calls ?? []).map((c) => (c.type === 'function' ? c : null)).filter((c) => c !== null);
    expect(calls.map((c) => ({ id: c.id, name: c.function.name }))).toEqual(expected.tool_calls.map((c) => ({ id: c.id, name: c.name })));
    calls.forEach((c, i) => expect(JSON.parse(c.function.arguments)).toEqual(JSON.parse(expected.tool_calls[i]!.arguments)));
  });
});

describe('recorded Anthropic streams and bodies, translated', () => {
  let a: Harness;
  let claude: OpenAI;
  const ask = { model: 'chat', messages: [{ role: 'user' as const, content: 'x' }] };
  beforeAll(async () => {
    a = await startMixedHarness({ claude: 'anthropic' });
    claude = new OpenAI({ baseURL: a.url, apiKey: 'client-key', maxRetries: 0 });
  });
  afterAll(async () => {
    await a.close();
  });

  it('the manifest lists the fixtures this suite replays', () => {
    expect(anthropicStreams.length).toBeGreaterThanOrEqual(7);
    expect(anthropicBodies.length).toBeGreaterThanOrEqual(3);
  });

  it.each(anthropicStreams.map((e) => [e.file, e] as const))('%s: the openai client ends with the recorded result', async (_name, entry) => {
    a.mocks.claude!.setFault({ raw: bytesOf(entry) });
    const expected = expectedOf(entry);
    const stream = await claude.chat.completions.create({ ...ask, stream: true, stream_options: { include_usage: true } });
    const got = await collect(stream);
    expect(a.mocks.claude!.requests.at(-1)!.path).toBe('/v1/messages');
    expect(got.text).toBe(expected.text);
    expect(got.finish).toBe(expected.finish_reason);
    expect(got.usage && { prompt_tokens: got.usage.prompt_tokens, completion_tokens: got.usage.completion_tokens }).toEqual(expected.usage);
    expect(got.usage?.total_tokens).toBe(expected.usage!.prompt_tokens + expected.usage!.completion_tokens);
    expect(got.toolCalls.map((c) => ({ id: c.id, name: c.name }))).toEqual(expected.tool_calls.map((c) => ({ id: c.id, name: c.name })));
    got.toolCalls.forEach((c, i) => expect(JSON.parse(c.arguments)).toEqual(JSON.parse(expected.tool_calls[i]!.arguments)));
    expect(got.reasoning).toBe(expected._info?.reasoning ?? '');
    // One id, model and created for the whole answer.
    expect(got.ids.size).toBe(1);
  });

  it.each(anthropicStreams.map((e) => [e.file, e] as const))('%s: the translated stream is well-formed', async (_name, entry) => {
    a.mocks.claude!.setFault({ raw: bytesOf(entry) });
    const res = await fetch(`${a.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...ask, stream: true, stream_options: { include_usage: true } }),
    });
    expect(res.status).toBe(200);
    const data = sseData(await res.text());
    expect(data.at(-1)).toBe('[DONE]');
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    for (const chunk of chunks) expect(chunk.object).toBe('chat.completion.chunk');
    // The finish chunk, then the usage chunk with no choices, then [DONE].
    expect(chunks.at(-2).choices[0].finish_reason).toBe(expectedOf(entry).finish_reason);
    expect(chunks.at(-1).choices).toEqual([]);
    expect(chunks.at(-1).usage.prompt_tokens_details.cached_tokens).toBe(expectedOf(entry)._info?.upstream_usage?.cache_read_input_tokens ?? 0);
    // OpenAI numbers tool calls from 0, whatever Anthropic's block index.
    const indexes = chunks.flatMap((c) => (c.choices[0]?.delta?.tool_calls ?? []).map((t: { index: number }) => t.index));
    expect([...new Set(indexes)]).toEqual(expectedOf(entry).tool_calls.map((_c, i) => i));
  });

  it.each(anthropicBodies.map((e) => [e.file, e] as const))('%s: the openai client ends with the recorded result', async (_name, entry) => {
    a.mocks.claude!.setFault({ raw: bytesOf(entry) });
    const expected = expectedOf(entry);
    const completion = await claude.chat.completions.create(ask);
    expect(completion.object).toBe('chat.completion');
    const message = completion.choices[0]!.message;
    expect(message.role).toBe('assistant');
    expect(message.content ?? '').toBe(expected.text);
    if (expected.text === '') expect(message.content).toBeNull();
    expect(completion.choices[0]!.finish_reason).toBe(expected.finish_reason);
    expect({ prompt_tokens: completion.usage!.prompt_tokens, completion_tokens: completion.usage!.completion_tokens }).toEqual(expected.usage);
    const calls = (message.tool_calls ?? []).map((c) => (c.type === 'function' ? c : null)).filter((c) => c !== null);
    expect(calls.map((c) => ({ id: c.id, name: c.function.name }))).toEqual(expected.tool_calls.map((c) => ({ id: c.id, name: c.name })));
    // From a body, arguments are JSON.stringify(input): byte-equal, not only JSON-equal.
    calls.forEach((c, i) => expect(c.function.arguments).toBe(expected.tool_calls[i]!.arguments));
  });
});
