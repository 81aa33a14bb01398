/**
 * Recorded Bedrock and Gemini answers (test/fixtures/cloud-streams, from the Vercel AI
 * SDK, Apache-2.0) replayed byte for byte by the mock in each cloud's mode, behind the
 * relay: the official `openai` client must end up with what derive-expected.mjs derived
 * from the wire bytes. Azure's recorded chat stream passes through unchanged.
 */
import { readFileSync } from 'node:fs';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect } from './helpers/anthropic.js';
import { startCloudChain } from './helpers/cloud.js';
import type { Harness } from './helpers/harness.js';

const dir = new URL('./fixtures/cloud-streams/', import.meta.url);
interface Entry { file: string; kind: string; expected?: string }
const manifest: Entry[] = JSON.parse(readFileSync(new URL('manifest.json', dir), 'utf8'));
const of = (kind: string) => manifest.filter((e) => e.kind === kind).map((e) => [e.file, e] as const);
const bytesOf = (e: Entry) => readFileSync(new URL(e.file, dir));
interface Expected {
  text: string;
  tool_calls: { id: string; name: string; arguments: string }[];
  finish_reason: string;
  usage: { prompt_tokens: number; completion_tokens: number } | null;
  _info: { reasoning: string };
}
const expectedOf = (e: Entry): Expected => JSON.parse(readFileSync(new URL(e.expected!, dir), 'utf8'));
const ask = { model: 'chat', messages: [{ role: 'user' as const, content: 'x' }] };

/** The relay's answer, checked against the expected result. */
function matchStream(got: Awaited<ReturnType<typeof collect>>, expected: Expected) {
  expect(got.text).toBe(expected.text);
  expect(got.reasoning).toBe(expected._info.reasoning);
  expect(got.finish).toBe(expected.finish_reason);
  expect(got.usage && { prompt_tokens: got.usage.prompt_tokens, completion_tokens: got.usage.completion_tokens }).toEqual(expected.usage);
  expect(got.toolCalls.map((c) => ({ id: c.id, name: c.name }))).toEqual(expected.tool_calls.map((c) => ({ id: c.id, name: c.name })));
  got.toolCalls.forEach((c, i) => expect(JSON.parse(c.arguments)).toEqual(JSON.parse(expected.tool_calls[i]!.arguments)));
  // One id, model and created for the whole answer.
  expect(got.ids.size).toBe(1);
}

function matchBody(completion: OpenAI.ChatCompletion, expected: Expected) {
  const message = completion.choices[0]!.message as OpenAI.ChatCompletionMessage & { reasoning_content?: string };
  expect(message.content ?? '').toBe(expected.text);
  expect(message.reasoning_content ?? '').toBe(expected._info.reasoning);
  expect(completion.choices[0]!.finish_reason).toBe(expected.finish_reason);
  expect({ prompt_tokens: completion.usage!.prompt_tokens, completion_tokens: completion.usage!.completion_tokens }).toEqual(expected.usage);
  const calls = (message.tool_calls ?? []).map((c) => (c.type === 'function' ? c : null)).filter((c) => c !== null);
  expect(calls.map((c) => ({ id: c.id, name: c.function.name, arguments: c.function.arguments }))).toEqual(expected.tool_calls);
}

let h: Harness;
let client: OpenAI;
beforeAll(async () => {
  h = await startCloudChain({
    bedrock: { protocol: 'bedrock', model: 'amazon.nova-pro-v1:0' },
    gemini: { protocol: 'gemini', model: 'gemini-3-pro-preview' },
    vertex: { protocol: 'vertex', model: 'gemini-3-pro-preview' },
    backup: { protocol: 'openai', model: 'backup-model' },
    // Replays put the other steps down on purpose: their breakers must not open.
  }, { breaker: { failureThreshold: 10_000 } });
  client = new OpenAI({ baseURL: h.url, apiKey: 'client-key', maxRetries: 0 });
});
afterAll(async () => {
  await h.close();
});

/** Only `name` answers; the others are down, so the chain reaches it without retries. */
function only(name: string, fault: object) {
  for (const [other, mock] of Object.entries(h.mocks)) mock.setFault(other === name ? fault : { status: 503 });
}

describe('the manifest', () => {
  it('lists the recordings this suite replays', () => {
    expect(of('converse-stream').length).toBeGreaterThanOrEqual(6);
    expect(of('converse-json').length).toBeGreaterThanOrEqual(4);
    expect(of('gemini-sse').length).toBeGreaterThanOrEqual(4);
    expect(of('gemini-json').length).toBeGreaterThanOrEqual(4);
  });
});

describe('Bedrock ConverseStream recordings', () => {
  it.each(of('converse-stream'))('%s: the openai client ends with the derived result', async (_file, entry) => {
    only('bedrock', { raw: bytesOf(entry) });
    const got = await collect(await client.chat.completions.create({ ...ask, stream: true, stream_options: { include_usage: true } }));
    matchStream(got, expectedOf(entry));
    expect(h.mocks.bedrock!.requests.at(-1)!.path).toBe('/model/amazon.nova-pro-v1%3A0/converse-stream');
  });

  it.each(of('converse-stream'))('%s: the translated stream is well-formed', async (_file, entry) => {
    only('bedrock', { raw: bytesOf(entry) });
    const res = await fetch(`${h.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...ask, stream: true, stream_options: { include_usage: true } }),
    });
    const data = (await res.text()).split('\n\n').filter((e) => e.startsWith('data: ')).map((e) => e.slice(6));
    expect(data.at(-1)).toBe('[DONE]');
    // The usage chunk the client asked for comes last, with the relay's cost on it.
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    expect(chunks.at(-2).choices[0].finish_reason).toBe(expectedOf(entry).finish_reason);
    expect(chunks.at(-1).choices).toEqual([]);
    for (const c of chunks) expect(c.object).toBe('chat.completion.chunk');
  });
});

describe('Bedrock Converse bodies', () => {
  it.each(of('converse-json'))('%s: the openai client ends with the derived result', async (_file, entry) => {
    only('bedrock', { raw: bytesOf(entry) });
    matchBody(await client.chat.completions.create(ask), expectedOf(entry));
  });
});

describe.each(['gemini', 'vertex'])('Gemini recordings through %s', (name) => {
  it.each(of('gemini-sse'))('%s: the openai client ends with the derived result', async (_file, entry) => {
    only(name, { raw: bytesOf(entry) });
    const got = await collect(await client.chat.completions.create({ ...ask, stream: true, stream_options: { include_usage: true } }));
    matchStream(got, expectedOf(entry));
    expect(h.mocks[name]!.requests.at(-1)!.query).toBe('alt=sse');
  });

  it.each(of('gemini-json'))('%s: the openai client ends with the derived result', async (_file, entry) => {
    only(name, { raw: bytesOf(entry) });
    matchBody(await client.chat.completions.create(ask), expectedOf(entry));
  });
});

describe('recorded errors', () => {
  it('a stream exception from Bedrock before any content fails over (server)', async () => {
    const [[, entry]] = of('converse-stream-error') as [readonly [string, Entry]];
    for (const mock of Object.values(h.mocks)) mock.setFault(null);
    h.mocks.bedrock!.setFault({ raw: bytesOf(entry) });
    h.mocks.gemini!.setFault({ status: 503 });
    h.mocks.vertex!.setFault({ status: 503 });
    const attempts: { provider: string; outcome: string; detail?: string }[] = [];
    const off = h.relay.on('attempt', (e) => attempts.push({ provider: e.provider, outcome: e.outcome, detail: e.detail }));
    const got = await collect(await client.chat.completions.create({ ...ask, stream: true }));
    off();
    expect(got.text).toContain('Hello from backup');
    expect(attempts[0]).toEqual({ provider: 'bedrock', outcome: 'server', detail: 'ModelStreamErrorException' });
  });

  it('a recorded ValidationException reaches the client as a 400 with its message', async () => {
    const [[, entry]] = of('bedrock-error') as [readonly [string, Entry]];
    const capture = JSON.parse(bytesOf(entry).toString('utf8'));
    only('bedrock', { status: capture.status, headers: { 'x-amzn-errortype': capture.headers['x-amzn-errortype'] }, body: capture.body });
    const err = await client.chat.completions.create(ask).then(() => undefined, (e: unknown) => e as InstanceType<typeof OpenAI.APIError>);
    expect(err?.status).toBe(400);
    expect(err?.message).toContain(capture.body.message);
  });

  it('a recorded RESOURCE_EXHAUSTED from Gemini is a rate limit: the chain moves on', async () => {
    const entry = manifest.find((e) => e.file === 'google-error-429-retry-info.json')!;
    for (const mock of Object.values(h.mocks)) mock.setFault(null);
    h.mocks.bedrock!.setFault({ status: 503 });
    h.mocks.gemini!.setFault({ status: 429, body: bytesOf(entry) });
    const attempts: { provider: string; outcome: string; detail?: string }[] = [];
    const off = h.relay.on('attempt', (e) => attempts.push({ provider: e.provider, outcome: e.outcome, detail: e.detail }));
    const completion = await client.chat.completions.create(ask);
    off();
    expect(completion.choices[0]!.message.content).toContain('Hello from vertex');
    expect(attempts[1]).toEqual({ provider: 'gemini', outcome: 'rate_limit', detail: 'RESOURCE_EXHAUSTED' });
  });

  it('a recorded INVALID_ARGUMENT from Gemini is the request\'s fault: returned as a 400', async () => {
    const entry = manifest.find((e) => e.file === 'google-error-400-penalty.json')!;
    only('gemini', { status: 400, body: bytesOf(entry) });
    const err = await client.chat.completions.create(ask).then(() => undefined, (e: unknown) => e as InstanceType<typeof OpenAI.APIError>);
    expect(err?.status).toBe(400);
    expect(err?.message).toContain('Penalty is not enabled for models/gemini-2.5-flash');
  });
});

describe('a recorded Vertex embeddings answer', () => {
  it('becomes an OpenAI list with the token counts as usage', async () => {
    const entry = manifest.find((e) => e.kind === 'vertex-embeddings')!;
    const recorded = JSON.parse(bytesOf(entry).toString('utf8'));
    const vertex = await startCloudChain({ vertex: { protocol: 'vertex', model: 'text-embedding-005' } });
    try {
      vertex.mocks.vertex!.setFault({ raw: bytesOf(entry) });
      const embeddings = new OpenAI({ baseURL: vertex.url, apiKey: 'client-key', maxRetries: 0 });
      const result = await embeddings.embeddings.create({ model: 'chat', input: ['sunny day at the beach', 'rainy day in the city'], encoding_format: 'float' });
      expect(result.data.map((d) => d.embedding)).toEqual(recorded.predictions.map((p: { embeddings: { values: number[] } }) => p.embeddings.values));
      expect(result.usage.prompt_tokens).toBe(5 + 6);
      const sent = vertex.mocks.vertex!.requests[0]!;
      expect(sent.path).toBe('/v1/projects/test-project/locations/us-east5/publishers/google/models/text-embedding-005:predict');
      expect(sent.body).toEqual({ instances: [{ content: 'sunny day at the beach' }, { content: 'rainy day in the city' }] });
    } finally {
      await vertex.close();
    }
  });
});

describe('Azure OpenAI: a recorded chat stream', () => {
  it('passes through byte for byte (prompt_filter_results and content_filter_results included)', async () => {
    const raw = readFileSync(new URL('../provider-streams/openai-stream-azure-prompt-filter.sse', dir));
    const azure = await startCloudChain({ azure: { protocol: 'azure-openai', model: 'my-deployment' } });
    try {
      azure.mocks.azure!.setFault({ raw });
      const res = await fetch(`${azure.url}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...ask, stream: true, stream_options: { include_usage: true } }),
      });
      expect(Buffer.from(await res.arrayBuffer()).equals(raw)).toBe(true);
      expect(azure.mocks.azure!.requests[0]!.path).toBe('/openai/deployments/my-deployment/chat/completions');
      expect(azure.mocks.azure!.requests[0]!.query).toBe('api-version=2024-10-21');
    } finally {
      await azure.close();
    }
  });
});
