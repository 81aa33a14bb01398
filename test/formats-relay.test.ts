/**
 * Every client's API through one failover engine: OpenAI Responses and Anthropic
 * Messages clients (the official SDKs and the Vercel AI SDK) served by targets of their
 * own format natively and by targets of the other format translated, failing over
 * between them, streaming and not, with tools; and each route's bad input answered in
 * its own envelope with nothing sent upstream.
 */
import Anthropic from '@anthropic-ai/sdk';
import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, stepCountIs, streamText, tool } from 'ai';
import { readFileSync } from 'node:fs';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createRelay, type RelayConfig } from 'switchyard';
import { createMockUpstream, type MockReply, type MockUpstream, type MockUpstreamOptions } from 'switchyard/testing';
import { serveRelay, type Harness } from './helpers/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

interface Side {
  protocol: 'openai' | 'anthropic';
  /** An OpenAI target that also serves the Responses API natively. */
  responses?: boolean;
  reply?: MockUpstreamOptions['reply'];
}

/** A relay whose public model `m` is [primary, backup]. */
async function chain(primary: Side, backup: Side, extra: Partial<RelayConfig> = {}): Promise<Harness & { primary: MockUpstream; backup: MockUpstream }> {
  const mocks = {
    primary: await createMockUpstream({ name: 'primary', protocol: primary.protocol, reply: primary.reply }),
    backup: await createMockUpstream({ name: 'backup', protocol: backup.protocol, reply: backup.reply }),
  };
  const provider = (side: Side, mock: MockUpstream) =>
    side.protocol === 'anthropic' ? { type: 'anthropic' as const, baseURL: mock.url, apiKey: 'sk-ant-provider' } : { type: 'openai' as const, baseURL: mock.url, apiKey: 'sk-provider', responses: side.responses };
  const model = (side: Side, name: string) => (side.protocol === 'anthropic' ? `claude-sonnet-4-5` : `${name}-model`);
  const relay = createRelay({
    providers: { primary: provider(primary, mocks.primary), backup: provider(backup, mocks.backup) },
    models: { m: { targets: [{ provider: 'primary', model: model(primary, 'primary') }, { provider: 'backup', model: model(backup, 'backup') }] } },
    retry: { attempts: 1 },
    ...extra,
  });
  h = await serveRelay(relay, mocks, { debug: true });
  return { ...h, primary: mocks.primary, backup: mocks.backup };
}

const openai = (url: string) => new OpenAI({ baseURL: url, apiKey: 'client-key', maxRetries: 0 });
const anthropic = (url: string) => new Anthropic({ baseURL: url.replace(/\/v1$/, ''), apiKey: 'client-key', maxRetries: 0 });
const weather: MockReply = { toolCalls: [{ name: 'get_weather', input: { city: 'Paris' } }] };
const weatherTool = { type: 'function' as const, name: 'get_weather', description: 'Weather of a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }, strict: false };

describe('the request log and events', () => {
  it('name the API each client spoke', async () => {
    const s = await chain({ protocol: 'openai' }, { protocol: 'anthropic' });
    const formats: string[] = [];
    const started: string[] = [];
    s.relay.on('requestEnd', (r) => formats.push(r.format));
    s.relay.on('request', (e) => started.push(`${e.format}/${e.endpoint}`));
    await openai(s.url).chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
    await openai(s.url).responses.create({ model: 'm', input: 'hi' });
    await anthropic(s.url).messages.create({ model: 'm', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] });
    await s.relay.settled();
    expect(formats).toEqual(['chat', 'responses', 'messages']);
    expect(started).toEqual(['chat/chat', 'responses/chat', 'messages/chat']);
  });
});

describe('a Responses client', () => {
  it('is served by an Anthropic backup when the OpenAI primary fails (JSON and stream)', async () => {
    const s = await chain({ protocol: 'openai' }, { protocol: 'anthropic', reply: 'Bonjour from Claude.' });
    s.primary.setFault({ status: 503 });
    const json = await openai(s.url).responses.create({ model: 'm', input: 'Say hi' });
    expect(json.output_text).toBe('Bonjour from Claude.');
    expect(json.usage?.output_tokens).toBeGreaterThan(0);
    const stream = openai(s.url).responses.stream({ model: 'm', input: 'Say hi' });
    let text = '';
    stream.on('response.output_text.delta', (e) => (text += e.delta));
    const final = await stream.finalResponse();
    expect(text).toBe('Bonjour from Claude.');
    expect(final.output_text).toBe('Bonjour from Claude.');
    // The Anthropic backup got a Messages request, translated.
    expect(s.backup.requests.at(-1)!.path).toBe('/v1/messages');
    expect(s.backup.requests.at(-1)!.body.messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'Say hi' }] }]);
  });

  it('completes a tool round trip under previous_response_id across providers', async () => {
    let turn = 0;
    const s = await chain({ protocol: 'openai' }, { protocol: 'anthropic', reply: () => (turn++ === 0 ? weather : 'It is sunny in Paris.') });
    s.primary.setFault({ status: 503 });
    const client = openai(s.url);
    const first = await client.responses.create({ model: 'm', input: 'Weather in Paris?', tools: [weatherTool] });
    const call = first.output.find((o) => o.type === 'function_call');
    expect(call).toMatchObject({ type: 'function_call', name: 'get_weather', arguments: JSON.stringify({ city: 'Paris' }) });
    const second = await client.responses.create({
      model: 'm',
      previous_response_id: first.id,
      input: [{ type: 'function_call_output', call_id: (call as { call_id: string }).call_id, output: '{"sky":"clear"}' }],
      tools: [weatherTool],
    });
    expect(second.output_text).toBe('It is sunny in Paris.');
    // The backup was given the whole conversation: the question, its own tool call, the result.
    const messages = s.backup.requests.at(-1)!.body.messages as { role: string; content: { type: string }[] }[];
    expect(messages.map((m) => [m.role, m.content.map((c) => c.type).join('+')])).toEqual([
      ['user', 'text'],
      ['assistant', 'tool_use'],
      ['user', 'tool_result'],
    ]);
    expect((await client.responses.retrieve(second.id)).id).toBe(second.id);
  });

  it('goes natively to an OpenAI target with the Responses API: the body passes with only model changed', async () => {
    const s = await chain({ protocol: 'openai', responses: true }, { protocol: 'anthropic' });
    const res = await openai(s.url).responses.create({ model: 'm', input: 'Say hi', reasoning: { effort: 'low' }, metadata: { a: '1' } });
    expect(res.output_text).toContain('Hello from primary');
    const seen = s.primary.requests[0]!;
    expect(seen.path).toBe('/v1/responses');
    expect(seen.body).toEqual({ model: 'primary-model', input: 'Say hi', reasoning: { effort: 'low' }, metadata: { a: '1' } });
    expect(s.backup.count).toBe(0);
  });

  it('fails over from a native Responses target to a translated one before the first token, invisibly', async () => {
    const s = await chain({ protocol: 'openai', responses: true }, { protocol: 'anthropic', reply: 'From the backup.' });
    s.primary.setFault({ dieAfterChunks: 2 });
    const stream = openai(s.url).responses.stream({ model: 'm', input: 'Say hi' });
    const final = await stream.finalResponse();
    expect(final.output_text).toBe('From the backup.');
    expect(s.primary.requests[0]!.path).toBe('/v1/responses');
  });

  it('skips a translated target for a hosted tool, and answers 400 naming it when no target can take it', async () => {
    const s = await chain({ protocol: 'anthropic' }, { protocol: 'openai' });
    const err = await openai(s.url)
      .responses.create({ model: 'm', input: 'news?', tools: [{ type: 'web_search' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as { param?: string }).param).toBe('tools[0]');
    expect(s.primary.count + s.backup.count).toBe(0);
  });

  it('is told what is wrong with its request in OpenAI\'s envelope, and nothing goes upstream', async () => {
    const s = await chain({ protocol: 'openai' }, { protocol: 'anthropic' });
    const res = await fetch(`${s.url}/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', input: 42 }) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { param: string; type: string } }).error).toMatchObject({ param: 'input', type: 'invalid_request_error' });
    expect(s.primary.count + s.backup.count).toBe(0);
    const unknown = await openai(s.url).responses.retrieve('resp_nope').catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);
  });
});

describe('a Messages client', () => {
  it('is served by an OpenAI-compatible backup when the Anthropic primary is overloaded (JSON and stream)', async () => {
    const s = await chain({ protocol: 'anthropic' }, { protocol: 'openai', reply: 'Hi from GPT.' });
    s.primary.setFault({ status: 529 });
    const client = anthropic(s.url);
    const json = await client.messages.create({ model: 'm', max_tokens: 100, messages: [{ role: 'user', content: 'Hi' }] });
    expect(json.content).toHaveLength(1);
    expect(json.content[0]).toMatchObject({ type: 'text', text: 'Hi from GPT.' });
    const stream = client.messages.stream({ model: 'm', max_tokens: 100, messages: [{ role: 'user', content: 'Hi' }] });
    let text = '';
    stream.on('text', (t) => (text += t));
    const final = await stream.finalMessage();
    expect(text).toBe('Hi from GPT.');
    expect(final.usage.output_tokens).toBeGreaterThan(0);
    expect(s.backup.requests.at(-1)!.path).toBe('/v1/chat/completions');
  });

  it('gets tool calls back from a translated target, streamed', async () => {
    const s = await chain({ protocol: 'anthropic' }, { protocol: 'openai', reply: weather });
    s.primary.setFault({ status: 529 });
    const stream = anthropic(s.url).messages.stream({
      model: 'm',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools: [{ name: 'get_weather', description: 'Weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
    });
    const final = await stream.finalMessage();
    expect(final.stop_reason).toBe('tool_use');
    expect(final.content.find((b) => b.type === 'tool_use')).toMatchObject({ name: 'get_weather', input: { city: 'Paris' } });
  });

  it('goes natively to an Anthropic target: its body, thinking included, and its headers pass through', async () => {
    const s = await chain({ protocol: 'anthropic' }, { protocol: 'openai' });
    const res = await fetch(`${s.url}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'anthropic-beta': 'interleaved-thinking-2025-05-14', 'x-api-key': 'client-secret' },
      body: JSON.stringify({ model: 'm', max_tokens: 2000, thinking: { type: 'enabled', budget_tokens: 1024 }, messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi', cache_control: { type: 'ephemeral' } }] }] }),
    });
    expect(res.status).toBe(200);
    const seen = s.primary.requests[0]!;
    expect(seen.path).toBe('/v1/messages');
    expect(seen.body).toEqual({ model: 'claude-sonnet-4-5', max_tokens: 2000, thinking: { type: 'enabled', budget_tokens: 1024 }, messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi', cache_control: { type: 'ephemeral' } }] }] });
    expect(seen.headers['anthropic-beta']).toBe('interleaved-thinking-2025-05-14');
    // The client's key stays with the relay; the provider's goes upstream.
    expect(seen.headers['x-api-key']).toBe('sk-ant-provider');
  });

  it('counts tokens and lists models in Anthropic\'s shapes', async () => {
    const s = await chain({ protocol: 'anthropic' }, { protocol: 'openai' });
    const client = anthropic(s.url);
    const count = await client.messages.countTokens({ model: 'm', messages: [{ role: 'user', content: 'Hello there' }] });
    expect(count.input_tokens).toBeGreaterThan(0);
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(['m']);
  });

  it('is told what is wrong in Anthropic\'s envelope, and a failure everywhere too', async () => {
    const s = await chain({ protocol: 'anthropic' }, { protocol: 'openai' });
    const bad = await fetch(`${s.url}/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', messages: [] }) });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    s.primary.setFault({ status: 529 });
    s.backup.setFault({ status: 503 });
    const err = await anthropic(s.url)
      .messages.create({ model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect((err as { error: { type: string } }).error).toMatchObject({ type: 'error' });
    expect(s.primary.count + s.backup.count).toBe(2);
  });
});

describe('the Vercel AI SDK', () => {
  it('with @ai-sdk/openai (the Responses API) runs a tool loop through a failover to Claude', async () => {
    let turn = 0;
    const s = await chain({ protocol: 'openai' }, { protocol: 'anthropic', reply: () => (turn++ === 0 ? weather : 'Sunny, 21 degrees.') });
    s.primary.setFault({ status: 503 });
    const provider = createOpenAI({ baseURL: s.url, apiKey: 'client-key' });
    const result = await generateText({
      model: provider('m'),
      prompt: 'Weather in Paris?',
      tools: { get_weather: tool({ description: 'Weather', inputSchema: z.object({ city: z.string() }), execute: async ({ city }) => ({ city, sky: 'clear' }) }) },
      stopWhen: stepCountIs(3),
      maxRetries: 0,
    });
    expect(result.text).toBe('Sunny, 21 degrees.');
    expect(result.steps[0]!.toolCalls[0]).toMatchObject({ toolName: 'get_weather', input: { city: 'Paris' } });
  });

  it('with @ai-sdk/anthropic streams through a failover to an OpenAI-compatible target', async () => {
    const s = await chain({ protocol: 'anthropic' }, { protocol: 'openai', reply: 'Streaming from GPT.' });
    s.primary.setFault({ status: 529 });
    const provider = createAnthropic({ baseURL: s.url, apiKey: 'client-key' });
    const result = streamText({ model: provider('m'), prompt: 'Hi', maxRetries: 0 });
    let text = '';
    for await (const part of result.textStream) text += part;
    expect(text).toBe('Streaming from GPT.');
  });
});

describe('recordings of live providers, served natively', () => {
  const dir = (name: string) => new URL(`./fixtures/${name}/`, import.meta.url);
  const manifest = (name: string) => JSON.parse(readFileSync(new URL('manifest.json', dir(name)), 'utf8')) as { file: string; kind: string }[];

  const responses = manifest('responses-streams').filter((e) => e.file.endsWith('.sse') && !e.file.includes('failed'));
  it.each(responses.map((e) => e.file))('%s reaches a Responses client byte for byte', async (file) => {
    const raw = readFileSync(new URL(file, dir('responses-streams')));
    const s = await chain({ protocol: 'openai', responses: true }, { protocol: 'anthropic' });
    s.primary.setFault({ raw });
    const res = await fetch(`${s.url}/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', input: 'hi', stream: true }) });
    expect(Buffer.from(await res.arrayBuffer()).equals(raw)).toBe(true);
    expect(s.backup.count).toBe(0);
  });

  const messages = manifest('provider-streams').filter((e) => e.kind === 'anthropic-sse');
  it.each(messages.map((e) => e.file))('%s reaches a Messages client byte for byte', async (file) => {
    const raw = readFileSync(new URL(file, dir('provider-streams')));
    const s = await chain({ protocol: 'anthropic' }, { protocol: 'openai' });
    s.primary.setFault({ raw });
    const res = await fetch(`${s.url}/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }], stream: true }) });
    expect(Buffer.from(await res.arrayBuffer()).equals(raw)).toBe(true);
  });

  it('a hosted tool goes to the native target only; a translated backup cannot take it', async () => {
    const raw = readFileSync(new URL('openai-stream-web-search.sse', dir('responses-streams')));
    const s = await chain({ protocol: 'openai', responses: true }, { protocol: 'anthropic' });
    s.primary.setFault({ raw });
    const res = await fetch(`${s.url}/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', input: 'news?', tools: [{ type: 'web_search' }], stream: true }) });
    expect(Buffer.from(await res.arrayBuffer()).equals(raw)).toBe(true);
    s.primary.setFault({ status: 503 });
    const down = await fetch(`${s.url}/responses`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-switchyard-debug': '1' }, body: JSON.stringify({ model: 'm', input: 'news?', tools: [{ type: 'web_search' }] }) });
    expect(down.status).toBe(502);
    expect(JSON.parse(down.headers.get('x-switchyard-attempt-details')!).map((a: { outcome: string }) => a.outcome)).toEqual(['server', 'unsupported']);
    expect(s.backup.count).toBe(0);
  });
});
