/**
 * The Messages format through the official `@anthropic-ai/sdk`, without the engine: a
 * node:http server on 127.0.0.1 runs the format over real chat answers (the recorded
 * provider streams, and the mock upstream), and the SDK must read the right text, tool
 * calls, thinking and usage with `messages.create` and `messages.stream`; errors come in
 * Anthropic's envelope with Anthropic's statuses.
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMockUpstream, type MockUpstream } from 'switchyard/testing';
import {
  AllTargetsFailedError,
  BodyTooLargeError,
  BudgetExceededError,
  DeadlineExceededError,
  InvalidRequestError,
  ModelNotFoundError,
  NoTargetAvailableError,
  RateLimitedError,
  StreamInterruptedError,
} from '../src/errors/index.js';
import { countTokens, messagesFormat } from '../src/formats/messages/index.js';
import { serveFormat, upstream, type ChatSource, type FormatServer } from './helpers/formats.js';
import { parsedCalls, providerRecordings, type Recording } from './helpers/recordings.js';

const sdk = (server: FormatServer) => new Anthropic({ baseURL: server.url.replace(/\/v1$/, ''), apiKey: 'client-key', maxRetries: 0 });

/** What a client read: text, tool calls, usage (input counts cache reads, as chat's prompt tokens do). */
function summary(message: Anthropic.Message) {
  const text = message.content.filter((b): b is Anthropic.TextBlock => b.type === 'text').map((b) => b.text).join('');
  const calls = message.content.filter((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use').map((b) => ({ name: b.name, arguments: b.input }));
  const u = message.usage;
  return { text, calls, usage: { prompt_tokens: u.input_tokens + (u.cache_read_input_tokens ?? 0), completion_tokens: u.output_tokens } };
}

const STOP: Record<string, string> = { stop: 'end_turn', length: 'max_tokens', tool_calls: 'tool_use', content_filter: 'refusal' };

function expectedOf(rec: Recording) {
  return { text: rec.expected.text, calls: parsedCalls(rec.expected.tool_calls), usage: rec.expected.usage ?? { prompt_tokens: 0, completion_tokens: 0 } };
}

describe('recorded chat answers, read by @anthropic-ai/sdk', () => {
  const recordings = providerRecordings();
  const servers: FormatServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });
  const serve = async (source: ChatSource) => {
    const server = await serveFormat({ format: messagesFormat, source });
    servers.push(server);
    return sdk(server);
  };
  const ask = { model: 'm', max_tokens: 1024, messages: [{ role: 'user' as const, content: 'hi' }] };

  it.each(recordings.filter((r) => r.stream).map((r) => [r.file, r] as const))('%s: messages.stream() accumulates the recorded answer', async (_name, rec) => {
    const client = await serve(rec.source);
    const stream = client.messages.stream(ask);
    const events: string[] = [];
    stream.on('streamEvent', (e) => events.push(e.type));
    const message = await stream.finalMessage();
    expect(summary(message)).toEqual(expectedOf(rec));
    expect(message.stop_reason).toBe(STOP[rec.expected.finish_reason]);
    // (The SDK skips `ping`; the raw frames are checked below.)
    expect(events[0]).toBe('message_start');
    expect(events.slice(-2)).toEqual(['message_delta', 'message_stop']);
    // No thinking was asked for: reasoning does not show.
    expect(message.content.some((b) => b.type === 'thinking')).toBe(false);
  });

  it.each(recordings.filter((r) => !r.stream).map((r) => [r.file, r] as const))('%s: messages.create() gives the recorded answer', async (_name, rec) => {
    const client = await serve(rec.source);
    const message = await client.messages.create(ask);
    expect(message).toMatchObject({ type: 'message', role: 'assistant', stop_reason: STOP[rec.expected.finish_reason] });
    expect(summary(message)).toEqual(expectedOf(rec));
  });

  it('thinking, when asked for, comes as a thinking block before the text (streamed and not)', async () => {
    const rec = recordings.find((r) => r.file === 'anthropic-stream-thinking-text.sse')!;
    const client = await serve(rec.source);
    const thinkingDeltas: string[] = [];
    const stream = client.messages.stream({ ...ask, thinking: { type: 'enabled', budget_tokens: 2048 } });
    stream.on('thinking', (delta) => thinkingDeltas.push(delta));
    const message = await stream.finalMessage();
    expect(message.content.map((b) => b.type)).toEqual(['thinking', 'text']);
    expect((message.content[0] as Anthropic.ThinkingBlock).thinking).toBe(rec.expected._info!.reasoning);
    expect(thinkingDeltas.join('')).toBe(rec.expected._info!.reasoning);
    expect((message.content[1] as Anthropic.TextBlock).text).toBe(rec.expected.text);
  });

  it('thinking in a JSON answer, only when asked for', async () => {
    const completion = {
      id: 'c',
      object: 'chat.completion',
      model: 'deepseek-reasoner',
      choices: [{ index: 0, message: { role: 'assistant', content: '185', reasoning_content: '925 / 5' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 12, completion_tokens: 7 },
    };
    const client = await serve(async () => ({ json: completion }));
    const thinking = await client.messages.create({ ...ask, thinking: { type: 'enabled', budget_tokens: 1024 } });
    expect(thinking.content).toEqual([
      { type: 'thinking', thinking: '925 / 5', signature: '' },
      { type: 'text', text: '185' },
    ]);
    expect(thinking.model).toBe('deepseek-reasoner');
    expect((await client.messages.create(ask)).content).toEqual([{ type: 'text', text: '185' }]);
  });
});

describe('a tool round trip through a chat upstream', () => {
  let mock: MockUpstream;
  let server: FormatServer;
  let client: Anthropic;
  const tools: Anthropic.Tool[] = [
    { name: 'get_weather', description: 'Weather for a city', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
  ];
  beforeAll(async () => {
    mock = await createMockUpstream({
      reply: (req) => {
        const tool = (req.body.messages as { role: string; content: unknown }[]).findLast((m) => m.role === 'tool');
        const text = (c: unknown) => (typeof c === 'string' ? c : (c as { text: string }[]).map((p) => p.text).join(''));
        if (tool) return `It is ${text(tool.content)} in Paris.`;
        return { text: 'Let me check.', toolCalls: [{ id: 'toolu_weather_1', name: 'get_weather', input: { city: 'Paris' } }] };
      },
    });
    server = await serveFormat({ format: messagesFormat, source: upstream(mock.url), models: ['claude-public', 'gpt-public'] });
    client = sdk(server);
  });
  afterEach(() => mock.reset());
  afterAll(async () => {
    await server.close();
    await mock.close();
  });

  it('tool_use, then tool_result, streamed with messages.stream()', async () => {
    const first = await client.messages.stream({ model: 'm', max_tokens: 512, system: 'Be brief.', tools, messages: [{ role: 'user', content: 'Weather in Paris?' }] }).finalMessage();
    expect(first.stop_reason).toBe('tool_use');
    expect(first.content).toEqual([
      { type: 'text', text: 'Let me check.' },
      { type: 'tool_use', id: 'toolu_weather_1', name: 'get_weather', input: { city: 'Paris' } },
    ]);
    const second = await client.messages.stream({
      model: 'm',
      max_tokens: 512,
      tools,
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_weather_1', content: 'sunny' }] },
      ],
    }).finalMessage();
    expect(second.content).toEqual([{ type: 'text', text: 'It is sunny in Paris.' }]);
    expect(second.stop_reason).toBe('end_turn');
    expect(second.usage.input_tokens).toBeGreaterThan(0);
    expect(mock.requests[0]!.body).toMatchObject({
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Weather in Paris?' }],
      tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather for a city', parameters: tools[0]!.input_schema } }],
      max_tokens: 512,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(mock.requests[1]!.body.messages).toEqual([
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: 'Let me check.', tool_calls: [{ id: 'toolu_weather_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'toolu_weather_1', content: 'sunny' },
    ]);
  });

  it('the same with messages.create()', async () => {
    const first = await client.messages.create({ model: 'm', max_tokens: 512, tools, tool_choice: { type: 'any' }, messages: [{ role: 'user', content: 'Weather?' }] });
    expect(first.content.at(-1)).toEqual({ type: 'tool_use', id: 'toolu_weather_1', name: 'get_weather', input: { city: 'Paris' } });
    expect(mock.requests[0]!.body.tool_choice).toBe('required');
    const second = await client.messages.create({
      model: 'm',
      max_tokens: 512,
      tools,
      messages: [
        { role: 'user', content: 'Weather?' },
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_weather_1', content: [{ type: 'text', text: 'windy' }] }, { type: 'text', text: 'Thanks.' }] },
      ],
    });
    expect(second.content).toEqual([{ type: 'text', text: 'It is windy in Paris.' }]);
    // Tool results first, right after the calls; the rest of the user turn after them.
    expect(mock.requests[1]!.body.messages.slice(2)).toEqual([
      { role: 'tool', tool_call_id: 'toolu_weather_1', content: [{ type: 'text', text: 'windy' }] },
      { role: 'user', content: 'Thanks.' },
    ]);
  });

  it('counts tokens with the relay\'s estimate, and lists models in Anthropic\'s shape', async () => {
    const params = { model: 'm', system: 'Be brief.', messages: [{ role: 'user' as const, content: 'How many tokens is this sentence, roughly?' }] };
    const counted = await client.messages.countTokens(params);
    expect(counted.input_tokens).toBe((await countTokens(params)).input_tokens);
    expect(counted.input_tokens).toBeGreaterThan(10);
    const models: string[] = [];
    for await (const model of client.models.list()) models.push(model.id);
    expect(models).toEqual(['claude-public', 'gpt-public']);
  });
});

describe('errors in Anthropic\'s envelope', () => {
  it.each([
    [new InvalidRequestError('Bad `messages[0].role`.', 'messages[0].role'), 400, 'invalid_request_error'],
    [new ModelNotFoundError('x'), 404, 'not_found_error'],
    [new BodyTooLargeError(10), 413, 'request_too_large'],
    [new RateLimitedError('x', [], 3), 429, 'rate_limit_error'],
    [new BudgetExceededError('caller "a" (day)', 1, 1), 402, 'billing_error'],
    [new NoTargetAvailableError('x', [], 5), 529, 'overloaded_error'],
    [new AllTargetsFailedError('x', []), 500, 'api_error'],
    [new DeadlineExceededError(1000), 504, 'timeout_error'],
    [new Error('secret internals'), 500, 'api_error'],
  ])('%s → %i %s', (err, status, type) => {
    const answer = messagesFormat.errorResponse(err);
    expect(answer.status).toBe(status);
    expect(answer.body).toEqual({ type: 'error', error: { type, message: err instanceof Error && err.message === 'secret internals' ? 'Internal relay error.' : err.message } });
  });

  it('keeps Retry-After for 429 and 529', () => {
    expect(messagesFormat.errorResponse(new RateLimitedError('x', [], 3)).headers['retry-after']).toBe('3');
    expect(messagesFormat.errorResponse(new NoTargetAvailableError('x', [], 5)).headers['retry-after']).toBe('5');
  });

  it('the SDK reads a validation error as a 400 naming the field; nothing is sent upstream', async () => {
    const server = await serveFormat({ format: messagesFormat, source: () => Promise.reject(new Error('must not be called')) });
    try {
      const err = await sdk(server)
        .messages.create({ model: 'm', max_tokens: 10, messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }, { type: 'tool_result' } as never] }] })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Anthropic.BadRequestError);
      expect((err as InstanceType<typeof Anthropic.BadRequestError>).error).toEqual({
        type: 'error',
        error: { type: 'invalid_request_error', message: 'Missing required parameter: `messages[0].content[1].tool_use_id`.' },
      });
      expect(server.seen).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('a stream that breaks after content ends with event: error, which the SDK throws', async () => {
    async function* breaking(): AsyncGenerator<string> {
      yield JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', model: 'up', choices: [{ index: 0, delta: { content: 'Hel' } }] });
      throw new StreamInterruptedError('upstream reset', []);
    }
    const server = await serveFormat({ format: messagesFormat, source: async () => ({ payloads: breaking() }) });
    try {
      const res = await fetch(`${server.url}/messages`, { method: 'POST', body: JSON.stringify({ model: 'm', max_tokens: 5, stream: true, messages: [{ role: 'user', content: 'x' }] }) });
      const frames = (await res.text()).split('\n\n').filter(Boolean);
      expect(frames.map((f) => f.split('\n')[0])).toEqual(['event: message_start', 'event: ping', 'event: content_block_start', 'event: content_block_delta', 'event: error']);
      expect(JSON.parse(frames.at(-1)!.split('\n')[1]!.slice(6))).toEqual({ type: 'error', error: { type: 'api_error', message: 'The upstream stream was interrupted: upstream reset' } });
      let text = '';
      const stream = sdk(server).messages.stream({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] });
      stream.on('text', (t) => (text += t));
      const err = await stream.finalMessage().catch((e: unknown) => e);
      expect(text).toBe('Hel');
      expect(err).toBeInstanceOf(Anthropic.APIError);
      expect(String((err as Error).message)).toContain('api_error');
    } finally {
      await server.close();
    }
  });
});
