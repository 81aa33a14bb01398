/**
 * The Responses format through the official `openai` client, without the engine: a
 * node:http server on 127.0.0.1 runs the format over real chat answers (the recorded
 * provider streams, and the mock upstream) and the client must read the right text,
 * function calls and usage, with `responses.create`, `responses.stream`, a function call
 * answered with `function_call_output` under `previous_response_id`, structured output,
 * and the stored-response routes.
 */
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMockUpstream, type MockUpstream } from 'switchyard/testing';
import { InvalidRequestError, StreamInterruptedError } from '../src/errors/index.js';
import { responsesFormat } from '../src/formats/responses/index.js';
import { ResponseStateStore } from '../src/formats/responses/state.js';
import { MemoryStore } from '../src/store/memory.js';
import { serveFormat, upstream, type ChatSource, type FormatServer } from './helpers/formats.js';
import { parsedCalls, providerRecordings } from './helpers/recordings.js';

const client = (server: FormatServer) => new OpenAI({ baseURL: server.url, apiKey: 'client-key', maxRetries: 0 });

/** What a client read: text, function calls, usage. */
function summary(response: OpenAI.Responses.Response) {
  const calls = response.output.filter((i): i is OpenAI.Responses.ResponseFunctionToolCall => i.type === 'function_call');
  return {
    text: response.output_text,
    calls: parsedCalls(calls),
    usage: response.usage ? { prompt_tokens: response.usage.input_tokens, completion_tokens: response.usage.output_tokens } : null,
  };
}

describe('recorded chat answers, read by openai.responses', () => {
  const recordings = providerRecordings();
  const servers: FormatServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });
  const serve = async (source: ChatSource) => {
    const server = await serveFormat({ format: responsesFormat, source });
    servers.push(server);
    return client(server);
  };

  it('covers streams and bodies of both protocols', () => {
    expect(new Set(recordings.map((r) => r.kind))).toEqual(new Set(['openai-sse', 'openai-json', 'anthropic-sse', 'anthropic-json']));
  });

  it.each(recordings.filter((r) => r.stream).map((r) => [r.file, r] as const))('%s: responses.create({stream}) events give the recorded answer', async (_name, rec) => {
    const openai = await serve(rec.source);
    const stream = await openai.responses.create({ model: 'm', input: 'hi', stream: true });
    const types: string[] = [];
    const sequence: number[] = [];
    let text = '';
    let final: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      types.push(event.type);
      sequence.push(event.sequence_number);
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed' || event.type === 'response.incomplete') final = event.response;
    }
    expect(sequence).toEqual(sequence.map((_, i) => i));
    expect(types.slice(0, 2)).toEqual(['response.created', 'response.in_progress']);
    expect(types.at(-1)).toBe(rec.expected.finish_reason === 'length' ? 'response.incomplete' : 'response.completed');
    expect(text).toBe(rec.expected.text);
    const got = summary(final!);
    expect(got.calls).toEqual(parsedCalls(rec.expected.tool_calls));
    expect(got.usage).toEqual(rec.expected.usage);
    if (rec.expected.finish_reason === 'length') expect(final!.incomplete_details).toEqual({ reason: 'max_output_tokens' });
  });

  it.each(recordings.filter((r) => r.stream).map((r) => [r.file, r] as const))('%s: responses.stream() accumulates the recorded answer', async (_name, rec) => {
    const openai = await serve(rec.source);
    // The SDK's accumulator checks every delta against the item and part it names.
    const final = await openai.responses.stream({ model: 'm', input: 'hi' }).finalResponse();
    expect(summary(final)).toEqual({ text: rec.expected.text, calls: parsedCalls(rec.expected.tool_calls), usage: rec.expected.usage });
    // Reasoning (thinking, translated) becomes a reasoning item with its summary.
    const reasoning = final.output.filter((i) => i.type === 'reasoning');
    if (rec.expected._info?.reasoning) {
      expect(reasoning).toHaveLength(1);
      expect((reasoning[0] as OpenAI.Responses.ResponseReasoningItem).summary.map((s) => s.text).join('')).toBe(rec.expected._info.reasoning);
    } else {
      expect(reasoning).toEqual([]);
    }
  });

  it.each(recordings.filter((r) => !r.stream).map((r) => [r.file, r] as const))('%s: responses.create() gives the recorded answer', async (_name, rec) => {
    const openai = await serve(rec.source);
    const response = await openai.responses.create({ model: 'm', input: 'hi' });
    expect(response.object).toBe('response');
    expect(response.status).toBe('completed');
    expect(summary(response)).toEqual({ text: rec.expected.text, calls: parsedCalls(rec.expected.tool_calls), usage: rec.expected.usage });
  });
});

describe('a tool round trip through a chat upstream', () => {
  let mock: MockUpstream;
  let server: FormatServer;
  let openai: OpenAI;
  const tools: OpenAI.Responses.Tool[] = [
    { type: 'function', name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }, strict: true },
  ];
  beforeAll(async () => {
    // The model calls the tool, then answers from its output.
    mock = await createMockUpstream({
      reply: (req) => {
        const messages = req.body.messages as { role: string; content: unknown }[];
        const last = messages.at(-1)!;
        if (last.role === 'tool') return `It is ${String(last.content)} in Paris.`;
        if (req.body.response_format) return '{"city":"Paris","temperature":21}';
        return { toolCalls: [{ id: 'call_weather_1', name: 'get_weather', input: { city: 'Paris' } }] };
      },
    });
    server = await serveFormat({ format: responsesFormat, source: upstream(mock.url), state: new ResponseStateStore({ store: new MemoryStore() }) });
    openai = client(server);
  });
  afterEach(() => mock.reset());
  afterAll(async () => {
    await server.close();
    await mock.close();
  });

  it('function_call, then function_call_output under previous_response_id (JSON)', async () => {
    const first = await openai.responses.create({ model: 'm', instructions: 'Be brief.', input: 'Weather in Paris?', tools });
    const call = first.output.find((i) => i.type === 'function_call') as OpenAI.Responses.ResponseFunctionToolCall;
    expect(call).toMatchObject({ type: 'function_call', call_id: 'call_weather_1', name: 'get_weather', status: 'completed' });
    expect(JSON.parse(call.arguments)).toEqual({ city: 'Paris' });
    expect(first.usage!.input_tokens).toBeGreaterThan(0);

    const second = await openai.responses.create({
      model: 'm',
      previous_response_id: first.id,
      input: [{ type: 'function_call_output', call_id: call.call_id, output: 'sunny' }],
      tools,
    });
    expect(second.output_text).toBe('It is sunny in Paris.');
    expect(second.previous_response_id).toBe(first.id);
    // The chat upstream got the whole conversation; instructions are not carried over, as at OpenAI.
    expect(mock.requests[1]!.body.messages).toEqual([
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_weather_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'call_weather_1', content: 'sunny' },
    ]);
    expect(mock.requests[0]!.body.messages[0]).toEqual({ role: 'system', content: 'Be brief.' });
    expect(mock.requests[0]!.body.tools).toEqual([
      { type: 'function', function: { name: 'get_weather', description: 'Weather for a city', parameters: tools[0]!.type === 'function' ? tools[0]!.parameters : {}, strict: true } },
    ]);
  });

  it('the same round trip streamed, with responses.stream()', async () => {
    const first = await openai.responses.stream({ model: 'm', input: 'Weather in Paris?', tools }).finalResponse();
    const call = first.output.find((i) => i.type === 'function_call') as OpenAI.Responses.ResponseFunctionToolCall;
    expect(call.call_id).toBe('call_weather_1');
    const deltas: string[] = [];
    const stream = openai.responses.stream({
      model: 'm',
      previous_response_id: first.id,
      input: [{ type: 'function_call_output', call_id: call.call_id, output: 'rainy' }],
      tools,
    });
    stream.on('response.output_text.delta', (e) => deltas.push(e.delta));
    const second = await stream.finalResponse();
    expect(second.output_text).toBe('It is rainy in Paris.');
    expect(deltas.join('')).toBe('It is rainy in Paris.');
    expect(mock.requests[1]!.body.stream).toBe(true);
    expect(mock.requests[1]!.body.messages.map((m: { role: string }) => m.role)).toEqual(['user', 'assistant', 'tool']);
  });

  it('structured output: text.format json_schema becomes response_format, and the JSON comes back as output_text', async () => {
    const schema = { type: 'object', properties: { city: { type: 'string' }, temperature: { type: 'number' } }, required: ['city', 'temperature'], additionalProperties: false };
    const response = await openai.responses.parse({
      model: 'm',
      input: 'Weather in Paris as JSON',
      text: { format: { type: 'json_schema', name: 'weather', schema, strict: true } },
    });
    expect(response.output_parsed).toEqual({ city: 'Paris', temperature: 21 });
    expect(response.text?.format).toMatchObject({ type: 'json_schema', name: 'weather' });
    expect(mock.requests[0]!.body.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'weather', schema, strict: true } });
  });

  it('retrieves and deletes a stored response; an unknown id is a 404 in OpenAI\'s envelope', async () => {
    const created = await openai.responses.create({ model: 'm', input: 'Weather in Paris?', tools });
    const got = await openai.responses.retrieve(created.id);
    expect(got.id).toBe(created.id);
    expect(got.output).toEqual(created.output);
    await openai.responses.delete(created.id);
    const missing = await openai.responses.retrieve(created.id).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    expect((missing as InstanceType<typeof OpenAI.NotFoundError>).error).toEqual({
      message: `Response with id '${created.id}' not found.`,
      type: 'invalid_request_error',
      code: 'not_found',
      param: null,
    });
    // A continuation of a deleted response cannot be served by a chat target.
    const orphan = await openai.responses.create({ model: 'm', previous_response_id: created.id, input: 'and tomorrow?' }).catch((e: unknown) => e);
    expect(orphan).toBeInstanceOf(OpenAI.NotFoundError);
    expect((orphan as InstanceType<typeof OpenAI.NotFoundError>).error).toMatchObject({ param: 'previous_response_id' });
  });

  it('store: false keeps nothing', async () => {
    const created = await openai.responses.create({ model: 'm', input: 'Weather in Paris?', tools, store: false });
    await expect(openai.responses.retrieve(created.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });
});

describe('errors, as the openai client sees them', () => {
  const servers: FormatServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  it('an invalid request is a 400 naming the field, and no chat request is made', async () => {
    const server = await serveFormat({ format: responsesFormat, source: () => Promise.reject(new Error('must not be called')) });
    servers.push(server);
    const err = await client(server)
      .responses.create({ model: 'm', input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 5 as unknown as string }] }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).error).toMatchObject({ type: 'invalid_request_error', param: 'input[0].content[0].text' });
    expect(server.seen).toEqual([]);
  });

  it('a hosted tool is an unsupported feature for a chat target, named by its field', async () => {
    const server = await serveFormat({ format: responsesFormat, source: () => Promise.reject(new Error('must not be called')) });
    servers.push(server);
    const err = await client(server)
      .responses.create({ model: 'm', input: 'news?', tools: [{ type: 'web_search' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).error).toMatchObject({ param: 'tools[0]' });
  });

  it('a stream that breaks after content ends with error and response.failed; the client throws', async () => {
    async function* breaking(): AsyncGenerator<string> {
      yield JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', model: 'up', choices: [{ index: 0, delta: { content: 'Hel' } }] });
      throw new StreamInterruptedError('upstream reset', []);
    }
    const server = await serveFormat({ format: responsesFormat, source: async () => ({ payloads: breaking() }) });
    servers.push(server);
    const res = await fetch(`${server.url}/responses`, { method: 'POST', body: JSON.stringify({ model: 'm', input: 'hi', stream: true }) });
    const frames = (await res.text()).split('\n\n').filter(Boolean);
    const events = frames.map((f) => f.split('\n')[0]!.slice('event: '.length));
    expect(events).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'error',
      'response.failed',
    ]);
    // The failed Response holds what was sent, marked incomplete.
    const failed = JSON.parse(frames.at(-1)!.split('\n')[1]!.slice('data: '.length)).response;
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'stream_interrupted', message: 'The upstream stream was interrupted: upstream reset' } });
    expect(failed.output).toMatchObject([{ type: 'message', status: 'incomplete', content: [{ type: 'output_text', text: 'Hel' }] }]);
    const stream = await client(server).responses.create({ model: 'm', input: 'hi', stream: true });
    let text = '';
    const err = await (async () => {
      for await (const event of stream) if (event.type === 'response.output_text.delta') text += event.delta;
    })().catch((e: unknown) => e);
    expect(text).toBe('Hel');
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe('stream_interrupted');
  });

  it('keeps InvalidRequestError as the base of UnsupportedFeature', () => {
    expect(() => responsesFormat.toChat(responsesFormat.validate({ model: 'm', input: 'x', tools: [{ type: 'file_search' }] }))).toThrow(InvalidRequestError);
  });
});
