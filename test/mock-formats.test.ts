/**
 * The mock upstream as a native target of the new formats: its `POST /responses` read by
 * the official `openai` client (JSON and typed stream, the programmable faults, what it
 * recorded), and its Anthropic mode read by `@anthropic-ai/sdk` (messages, streams with
 * tools, count_tokens, the version headers a passthrough forwards). The mock's native
 * Responses stream and the relay's translation of the same reply read the same.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMockUpstream, type MockUpstream } from 'switchyard/testing';
import { responsesFormat } from '../src/formats/responses/index.js';
import { serveFormat, upstream } from './helpers/formats.js';
import { eventsOf } from './helpers/responses-recordings.js';

const REPLY = 'Hello from the Responses mock, token by token.';
const TOOL = { name: 'get_weather', input: { city: 'Paris', units: 'metric' } };

describe('POST /responses (OpenAI mode)', () => {
  let mock: MockUpstream;
  let openai: OpenAI;
  beforeAll(async () => {
    mock = await createMockUpstream({ reply: (req) => (req.body.tools ? { text: 'Checking.', toolCalls: [TOOL] } : REPLY) });
    openai = new OpenAI({ baseURL: mock.url, apiKey: 'sk-mock', maxRetries: 0 });
  });
  afterEach(() => mock.reset());
  afterAll(async () => {
    await mock.close();
  });

  it('answers a Response object and records the request', async () => {
    const response = await openai.responses.create({ model: 'gpt-x', instructions: 'Be nice.', input: 'Hi there!', metadata: { a: 'b' } });
    expect(response).toMatchObject({ id: 'resp_mock_1', object: 'response', status: 'completed', model: 'gpt-x', instructions: 'Be nice.', metadata: { a: 'b' } });
    expect(response.output_text).toBe(REPLY);
    // (8 + 9 characters) / 4, and the reply's word tokens.
    expect(response.usage).toMatchObject({ input_tokens: 5, output_tokens: 8, total_tokens: 13 });
    expect(mock.count).toBe(1);
    expect(mock.requests[0]).toMatchObject({ method: 'POST', path: '/v1/responses', body: { model: 'gpt-x', input: 'Hi there!' } });
    expect(mock.requests[0]!.headers.authorization).toBe('Bearer sk-mock');
  });

  it('streams the typed events with contiguous sequence numbers, and function calls', async () => {
    const stream = openai.responses.stream({ model: 'gpt-x', input: 'Weather?', tools: [{ type: 'function', name: 'get_weather', parameters: {}, strict: false }] });
    const types: string[] = [];
    stream.on('event', (e) => types.push(e.type));
    const final = await stream.finalResponse();
    expect(final.output_text).toBe('Checking.');
    const call = final.output.find((i) => i.type === 'function_call') as OpenAI.Responses.ResponseFunctionToolCall;
    expect(call).toMatchObject({ call_id: 'call_mock_1_0', name: 'get_weather' });
    expect(JSON.parse(call.arguments)).toEqual(TOOL.input);
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
    expect(types).toContain('response.function_call_arguments.done');
  });

  it('honours max_output_tokens with an incomplete response', async () => {
    const response = await openai.responses.create({ model: 'gpt-x', input: 'Hi', max_output_tokens: 3 });
    expect(response.status).toBe('incomplete');
    expect(response.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(response.output_text).toBe('Hello from the');
  });

  it('applies the faults: a status, a mid-stream error (error + response.failed), a cut', async () => {
    mock.queueFaults({ status: 503 }, { errorAfterChunks: 4 }, { dieAfterChunks: 3 });
    const status = await openai.responses.create({ model: 'gpt-x', input: 'Hi' }).catch((e: unknown) => e);
    expect(status).toBeInstanceOf(OpenAI.InternalServerError);
    expect((status as InstanceType<typeof OpenAI.APIError>).status).toBe(503);

    const res = await fetch(`${mock.url}/responses`, { method: 'POST', body: JSON.stringify({ model: 'gpt-x', input: 'Hi', stream: true }) });
    const events = await eventsOf(Buffer.from(await res.arrayBuffer()));
    expect(events.map((e) => e.event)).toEqual(['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added', 'error', 'response.failed']);
    expect(events.map((e) => JSON.parse(e.data).sequence_number)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(responsesFormat.nativeError(events[4]!.event, events[4]!.data)).toEqual({ code: 'server_error', message: 'mock in-stream error' });

    const cut = await (async () => {
      for await (const _ of await openai.responses.create({ model: 'gpt-x', input: 'Hi', stream: true }));
    })().catch((e: unknown) => e);
    expect(cut).toBeInstanceOf(Error);
    expect(mock.count).toBe(3);
  });

  it('its stream commits at the first text delta', async () => {
    const res = await fetch(`${mock.url}/responses`, { method: 'POST', body: JSON.stringify({ model: 'gpt-x', input: 'Hi', stream: true }) });
    const events = await eventsOf(Buffer.from(await res.arrayBuffer()));
    const at = events.findIndex((e) => responsesFormat.isContent(e.event, e.data));
    expect(events[at]!.event).toBe('response.output_text.delta');
    expect(events.slice(0, at).map((e) => e.event)).toEqual(['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added']);
  });

  it('the relay\'s translation of the chat route reads as the native route does', async () => {
    const server = await serveFormat({ format: responsesFormat, source: upstream(mock.url) });
    try {
      const translated = new OpenAI({ baseURL: server.url, apiKey: 'k', maxRetries: 0 });
      const ask = { model: 'gpt-x', input: 'Weather?', tools: [{ type: 'function' as const, name: 'get_weather', parameters: {}, strict: false }] };
      const native = await openai.responses.stream(ask).finalResponse();
      const viaChat = await translated.responses.stream(ask).finalResponse();
      const shape = (r: OpenAI.Responses.Response) => ({
        status: r.status,
        text: r.output_text,
        types: r.output.map((i) => i.type),
        calls: r.output.filter((i) => i.type === 'function_call').map((c) => ({ name: c.name, arguments: JSON.parse(c.arguments) })),
        usage: { input: r.usage!.input_tokens > 0, output: r.usage!.output_tokens },
      });
      expect(shape(viaChat)).toEqual(shape(native));
    } finally {
      await server.close();
    }
  });
});

describe('POST /messages (Anthropic mode), as a native target', () => {
  let mock: MockUpstream;
  let client: Anthropic;
  beforeAll(async () => {
    mock = await createMockUpstream({ protocol: 'anthropic', reply: (req) => (req.body.tools ? { text: 'Checking.', toolCalls: [TOOL] } : REPLY) });
    client = new Anthropic({ baseURL: mock.url.replace(/\/v1$/, ''), apiKey: 'sk-ant-mock', maxRetries: 0, defaultHeaders: { 'anthropic-beta': 'tools-2024-05-16' } });
  });
  afterEach(() => mock.reset());
  afterAll(async () => {
    await mock.close();
  });

  it('answers messages.create and records the headers a passthrough forwards', async () => {
    const message = await client.messages.create({ model: 'claude-x', max_tokens: 100, system: [{ type: 'text', text: 'Be nice.' }], messages: [{ role: 'user', content: 'Hi there!' }] });
    expect(message.content).toEqual([{ type: 'text', text: REPLY }]);
    expect(message.usage.output_tokens).toBe(8);
    const req = mock.requests[0]!;
    expect(req.path).toBe('/v1/messages');
    // @anthropic-ai/sdk 1.x sends the key as a bearer token and its own API version.
    expect(req.headers.authorization).toBe('Bearer sk-ant-mock');
    expect(req.headers['anthropic-version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(req.headers['anthropic-beta']).toBe('tools-2024-05-16');
  });

  it('streams tools to messages.stream()', async () => {
    const final = await client.messages
      .stream({ model: 'claude-x', max_tokens: 100, tools: [{ name: 'get_weather', input_schema: { type: 'object' } }], messages: [{ role: 'user', content: 'Weather?' }] })
      .finalMessage();
    expect(final.stop_reason).toBe('tool_use');
    expect(final.content).toEqual([
      { type: 'text', text: 'Checking.' },
      { type: 'tool_use', id: 'toolu_mock_1_0', name: 'get_weather', input: TOOL.input },
    ]);
  });

  it('counts tokens, and its 529 is the SDK\'s overloaded error', async () => {
    expect(await client.messages.countTokens({ model: 'claude-x', messages: [{ role: 'user', content: '12345678' }] })).toEqual({ input_tokens: 2 });
    expect(mock.count).toBe(0);
    mock.setFault({ status: 529 });
    const err = await client.messages.create({ model: 'claude-x', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect((err as InstanceType<typeof Anthropic.APIError>).status).toBe(529);
    expect((err as InstanceType<typeof Anthropic.APIError>).error).toEqual({ type: 'error', error: { type: 'overloaded_error', message: 'mock error 529' } });
  });
});
