/**
 * Anthropic targets: the request the Messages API receives, the answers and streams the
 * official `openai` client reads back, failover into and out of Anthropic, and the mock
 * upstream's Anthropic mode. Real servers on 127.0.0.1 throughout.
 */
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRelay } from 'switchyard';
import { createMockUpstream, type MockReply, type MockUpstream } from 'switchyard/testing';
import { collect, keyOf, startMixedHarness } from './helpers/anthropic.js';
import { postChat, serveRelay, sseData, type Harness } from './helpers/harness.js';

const REPLY = 'Bonjour! This reply comes from a mock upstream.';
const TOOL_REPLY: MockReply = { text: 'Let me check.', toolCalls: [{ name: 'get_weather', input: { city: 'Paris', units: 'metric' } }] };
/** Response JSON as `any`, so assertions can reach into it. */
const jsonOf = (res: Response): Promise<any> => res.json();
const clientFor = (h: Harness) => new OpenAI({ baseURL: h.url, apiKey: 'client-app-key', maxRetries: 0 });

describe('request translation', () => {
  let h: Harness;
  let claude: MockUpstream;
  /** Sends `body` (merged over a minimal request) and returns what the Anthropic mock received. */
  const sent = async (body: Record<string, unknown>, headers: Record<string, string> = {}) => {
    const res = await postChat(h.url, body, headers);
    expect(res.status, res.text).toBe(200);
    return claude.requests.at(-1)!;
  };
  beforeAll(async () => {
    h = await startMixedHarness({ claude: 'anthropic' }, {}, { reply: REPLY });
    claude = h.mocks.claude!;
  });
  afterAll(async () => {
    await h.close();
  });

  it('posts to /messages with the provider key and anthropic-version, never the client credentials', async () => {
    const req = await sent({}, { authorization: 'Bearer client-app-key' });
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/v1/messages');
    expect(req.headers['x-api-key']).toBe(keyOf('claude'));
    expect(req.headers['anthropic-version']).toBe('2023-06-01');
    expect(req.headers.authorization).toBeUndefined();
    expect(req.body).toEqual({
      model: 'claude-model',
      max_tokens: 4096,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Say hello' }] }],
    });
  });

  it('lifts system and developer messages into system, wherever they stand', async () => {
    const req = await sent({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
        { role: 'developer', content: [{ type: 'text', text: 'Answer in French.' }] },
        { role: 'assistant', content: 'Salut.' },
        { role: 'user', content: 'Again' },
      ],
    });
    expect(req.body.system).toEqual([
      { type: 'text', text: 'Be brief.' },
      { type: 'text', text: 'Answer in French.' },
    ]);
    expect(req.body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Hi' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'Salut.' }] },
      { role: 'user', content: [{ type: 'text', text: 'Again' }] },
    ]);
  });

  it('always sets max_tokens: max_completion_tokens, then max_tokens, then the provider default', async () => {
    expect((await sent({})).body.max_tokens).toBe(4096);
    expect((await sent({ max_tokens: 50 })).body.max_tokens).toBe(50);
    expect((await sent({ max_tokens: 50, max_completion_tokens: 70 })).body.max_tokens).toBe(70);
  });

  it('uses the provider maxTokens when the client sets none', async () => {
    const mock = await createMockUpstream({ protocol: 'anthropic' });
    const relay = createRelay({
      providers: { small: { type: 'anthropic', baseURL: mock.url, apiKey: 'k', maxTokens: 256 } },
      models: { chat: { targets: [{ provider: 'small', model: 'm' }] } },
    });
    try {
      await relay.chat({ model: 'chat', messages: [{ role: 'user', content: 'x' }] });
      expect(mock.requests[0]!.body.max_tokens).toBe(256);
    } finally {
      await relay.close();
      await mock.close();
    }
  });

  it('translates stop, temperature, top_p, stream and user', async () => {
    let req = await sent({ stop: 'END', temperature: 0.3, top_p: 0.9, user: 'user-42' });
    expect(req.body).toMatchObject({ stop_sequences: ['END'], temperature: 0.3, top_p: 0.9, metadata: { user_id: 'user-42' } });
    expect(req.body.stream).toBeUndefined();
    req = await sent({ stop: ['END', '###'], stream: true });
    expect(req.body.stop_sequences).toEqual(['END', '###']);
    expect(req.body.stream).toBe(true);
    // OpenAI's range is 0-2, Anthropic's 0-1.
    expect((await sent({ temperature: 1.7 })).body.temperature).toBe(1);
  });

  it('translates tools and every tool_choice', async () => {
    const tools = [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Weather for a city',
          parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
          strict: true,
        },
      },
      { type: 'function', function: { name: 'now' } },
    ];
    const req = await sent({ tools });
    expect(req.body.tools).toEqual([
      {
        name: 'get_weather',
        description: 'Weather for a city',
        input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      },
      { name: 'now', input_schema: { type: 'object', properties: {} } },
    ]);
    expect(req.body.tool_choice).toBeUndefined();
    const choice = async (extra: Record<string, unknown>) => (await sent({ tools, ...extra })).body.tool_choice;
    expect(await choice({ tool_choice: 'auto' })).toEqual({ type: 'auto' });
    expect(await choice({ tool_choice: 'none' })).toEqual({ type: 'none' });
    expect(await choice({ tool_choice: 'required' })).toEqual({ type: 'any' });
    expect(await choice({ tool_choice: { type: 'function', function: { name: 'now' } } })).toEqual({ type: 'tool', name: 'now' });
    expect(await choice({ parallel_tool_calls: false })).toEqual({ type: 'auto', disable_parallel_tool_use: true });
    expect(await choice({ tool_choice: 'required', parallel_tool_calls: false })).toEqual({ type: 'any', disable_parallel_tool_use: true });
  });

  it('turns assistant tool_calls into tool_use blocks and merges tool results into one user turn', async () => {
    const req = await sent({
      messages: [
        { role: 'user', content: 'Weather in Paris and Rome?' },
        {
          role: 'assistant',
          content: 'Checking both.',
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
            { id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '18°C' },
        { role: 'tool', tool_call_id: 'call_2', content: [{ type: 'text', text: '24°C' }] },
        { role: 'user', content: 'Which is warmer?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_3', type: 'function', function: { name: 'now', arguments: '' } }] },
        { role: 'tool', tool_call_id: 'call_3', content: 'noon' },
      ],
    });
    expect(req.body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Weather in Paris and Rome?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Checking both.' },
          { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'call_2', name: 'get_weather', input: { city: 'Rome' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'call_1', content: [{ type: 'text', text: '18°C' }] },
          { type: 'tool_result', tool_use_id: 'call_2', content: [{ type: 'text', text: '24°C' }] },
          { type: 'text', text: 'Which is warmer?' },
        ],
      },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'call_3', name: 'now', input: {} }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_3', content: [{ type: 'text', text: 'noon' }] }] },
    ]);
  });

  it('merges consecutive messages of one role', async () => {
    const req = await sent({ messages: [{ role: 'user', content: 'One.' }, { role: 'user', content: 'Two.' }] });
    expect(req.body.messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'One.' }, { type: 'text', text: 'Two.' }] }]);
  });

  it('sends data: images as base64 and http(s) images as URLs', async () => {
    const req = await sent({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Compare:' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'high' } },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
          ],
        },
      ],
    });
    expect(req.body.messages[0].content).toEqual([
      { type: 'text', text: 'Compare:' },
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
      { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
    ]);
  });

  it('drops fields that only tune sampling or bookkeeping, and fields it does not know', async () => {
    const req = await sent({
      seed: 7,
      presence_penalty: 0.5,
      frequency_penalty: 0.5,
      n: 1,
      logprobs: false,
      response_format: { type: 'text' },
      stream_options: { include_usage: true },
      store: true,
      metadata: { tag: 'x' },
      service_tier: 'auto',
      reasoning_effort: 'low',
      logit_bias: {},
      prediction: { type: 'content', content: 'x' },
      some_vendor_field: 1,
    });
    expect(Object.keys(req.body).sort()).toEqual(['max_tokens', 'messages', 'model']);
  });

  it.each([
    ['n', { n: 2 }],
    ['logprobs', { logprobs: true }],
    ['top_logprobs', { top_logprobs: 3 }],
    ['response_format', { response_format: { type: 'json_object' } }],
    ['response_format', { response_format: { type: 'json_schema', json_schema: { name: 'x', schema: {} } } }],
    ['logit_bias', { logit_bias: { '50256': -100 } }],
    ['functions', { functions: [{ name: 'f', parameters: {} }] }],
    ['modalities', { modalities: ['text', 'audio'] }],
    ['messages[0].content[0]', { messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'x', format: 'wav' } }] }] }],
    ['messages[0].role', { messages: [{ role: 'function', name: 'f', content: 'x' }] }],
    ['messages[1].tool_calls[0].function.arguments', {
      messages: [
        { role: 'user', content: 'x' },
        { role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{not json' } }] },
      ],
    }],
  ])('rejects %s with a 400 naming it, before any upstream request', async (param, extra) => {
    const before = claude.count;
    const client = clientFor(h);
    const err = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'x' }], ...(extra as object) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).param).toBe(param);
    expect((err as Error).message).toMatch(/Anthropic/);
    expect(claude.count).toBe(before);
  });
});

describe('answers read by the openai client', () => {
  let h: Harness;
  let client: OpenAI;
  beforeAll(async () => {
    h = await startMixedHarness({ claude: 'anthropic' }, {}, { reply: REPLY });
    client = clientFor(h);
  });
  afterEach(() => {
    h.mocks.claude!.reset();
  });
  afterAll(async () => {
    await h.close();
  });

  it('a text answer, not streamed', async () => {
    const completion = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'Say hello' }] });
    expect(completion).toMatchObject({
      id: 'msg_mock_1',
      object: 'chat.completion',
      model: 'claude-model',
      choices: [{ index: 0, message: { role: 'assistant', content: REPLY }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 3, completion_tokens: 8, total_tokens: 11, prompt_tokens_details: { cached_tokens: 0 } },
    });
    expect(completion.choices[0]!.message.tool_calls).toBeUndefined();
  });

  it('a text answer, streamed', async () => {
    const stream = await client.chat.completions.create({ model: 'chat', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'Say hello' }] });
    const got = await collect(stream);
    expect(got).toMatchObject({ text: REPLY, finish: 'stop', usage: { prompt_tokens: 3, completion_tokens: 8, total_tokens: 11 }, toolCalls: [] });
    expect(got.ids.size).toBe(1);
    expect([...got.ids][0]).toMatch(/^msg_mock_1\|claude-model\|\d+$/);
  });

  it('tool calls, not streamed and streamed', async () => {
    const mock = await createMockUpstream({ protocol: 'anthropic', reply: TOOL_REPLY });
    const relay = createRelay({ providers: { c: { type: 'anthropic', baseURL: mock.url, apiKey: 'k' } }, models: { chat: { targets: [{ provider: 'c', model: 'm' }] } } });
    try {
      const completion = (await relay.chat({ model: 'chat', messages: [{ role: 'user', content: 'Weather?' }] })) as any;
      expect(completion.choices[0].finish_reason).toBe('tool_calls');
      expect(completion.choices[0].message).toEqual({
        role: 'assistant',
        content: 'Let me check.',
        refusal: null,
        tool_calls: [{ id: 'toolu_mock_1_0', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris","units":"metric"}' } }],
      });
      const got = await collect(await relay.stream({ model: 'chat', messages: [{ role: 'user', content: 'Weather?' }] }));
      expect(got.text).toBe('Let me check.');
      expect(got.finish).toBe('tool_calls');
      expect(got.toolCalls).toEqual([{ id: 'toolu_mock_2_0', name: 'get_weather', arguments: '{"city":"Paris","units":"metric"}' }]);
    } finally {
      await relay.close();
      await mock.close();
    }
  });

  it('max_tokens cuts the answer and finishes with length', async () => {
    const completion = await client.chat.completions.create({ model: 'chat', max_tokens: 2, messages: [{ role: 'user', content: 'x' }] });
    expect(completion.choices[0]!.message.content).toBe('Bonjour! This');
    expect(completion.choices[0]!.finish_reason).toBe('length');
    const got = await collect(await client.chat.completions.create({ model: 'chat', max_tokens: 2, stream: true, messages: [{ role: 'user', content: 'x' }] }));
    expect(got.text).toBe('Bonjour! This');
    expect(got.finish).toBe('length');
  });

  it('an Anthropic 400 reaches the client as a 400 with its message and type', async () => {
    h.mocks.claude!.setFault({ status: 400, body: { type: 'error', error: { type: 'invalid_request_error', message: 'messages.0.content: bad block' } } });
    const err = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toContain('messages.0.content: bad block');
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).type).toBe('invalid_request_error');
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('invalid_request_error');
    expect(h.mocks.claude!.count).toBe(1);
  });

  it('an error body in a 200 is retried like a 5xx', async () => {
    h.mocks.claude!.queueFaults({ raw: JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }) });
    const completion = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'x' }] });
    expect(completion.choices[0]!.message.content).toBe(REPLY);
    expect(h.mocks.claude!.count).toBe(2);
  });
});

describe('failover with Anthropic targets', () => {
  let h: Harness;
  let client: OpenAI;
  const ask = { model: 'chat', messages: [{ role: 'user' as const, content: 'Say hello' }] };
  afterEach(async () => {
    await h.close();
  });

  /** A chain `primary` → `backup` with these protocols; the backup says who it is. */
  const chain = async (primary: 'openai' | 'anthropic', backup: 'openai' | 'anthropic') => {
    h = await startMixedHarness({ primary, backup }, {}, {}, { debug: true });
    client = clientFor(h);
  };
  const backupText = 'Hello from backup! This is a streamed reply from a mock upstream.';

  it.each([
    ['openai', false],
    ['openai', true],
    ['anthropic', false],
    ['anthropic', true],
  ] as const)('an Anthropic 529 fails over to an %s backup (stream: %s)', async (backup, stream) => {
    await chain('anthropic', backup);
    h.mocks.primary!.setFault({ status: 529 });
    const res = await postChat(h.url, { stream, stream_options: stream ? { include_usage: true } : undefined }, { 'x-switchyard-debug': '1' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-switchyard-provider')).toBe('backup');
    const attempts = JSON.parse(res.headers.get('x-switchyard-attempt-details')!);
    expect(attempts.map((a: { outcome: string; status?: number }) => [a.outcome, a.status])).toEqual([
      ['server', 529],
      ['server', 529],
      ['ok', 200],
    ]);
    expect(attempts[0]).toMatchObject({ detail: 'overloaded_error', message: 'mock error 529' });
  });

  it.each([1, 3])('an overloaded_error event after %i events, before content, fails over invisibly', async (events) => {
    await chain('anthropic', 'anthropic');
    h.mocks.primary!.setFault({ errorAfterChunks: events });
    const got = await collect(await client.chat.completions.create({ ...ask, stream: true }));
    expect(got.text).toBe(backupText);
    expect(got.finish).toBe('stop');
    expect(got.ids.size).toBe(1);
    expect([...got.ids][0]).toMatch(/^msg_mock_1\|backup-model\|/);
    expect(h.mocks.primary!.count).toBe(2);
  });

  it('a stream cut before content fails over; malformed events fail over', async () => {
    await chain('anthropic', 'openai');
    h.mocks.primary!.queueFaults({ dieAfterChunks: 3 }, { malformed: true });
    const got = await collect(await client.chat.completions.create({ ...ask, stream: true }));
    expect(got.text).toBe(backupText);
    expect(h.mocks.primary!.count).toBe(2);
  });

  it('an overloaded_error event after content reaches the client as stream_interrupted', async () => {
    await chain('anthropic', 'openai');
    h.mocks.primary!.setFault({ errorAfterChunks: 5 });
    const res = await postChat(h.url, { stream: true });
    expect(res.status).toBe(200);
    const data = sseData(res.text);
    expect(JSON.parse(data[1]!).choices[0].delta.content).toBe('Hello');
    expect(data.at(-1)).toContain('stream_interrupted');
    expect(h.mocks.backup!.count).toBe(0);
  });

  it('an Anthropic "exceed context limit" 400 fails over to a target with a larger window', async () => {
    await chain('anthropic', 'openai');
    const message = 'input length and `max_tokens` exceed context limit: 197626 + 8192 > 200000, decrease input length or `max_tokens` and try again';
    h.mocks.primary!.setFault({ status: 400, body: { type: 'error', error: { type: 'invalid_request_error', message } } });
    const completion = await client.chat.completions.create(ask);
    expect(completion.choices[0]!.message.content).toBe(backupText);
    expect(h.mocks.primary!.count).toBe(1);
  });

  it.each([{ n: 2 }, { logprobs: true }])('an outage stays an outage when the Anthropic backup cannot take %o', async (extra) => {
    await chain('openai', 'anthropic');
    // The OpenAI primary serves it ...
    const ok = await postChat(h.url, extra);
    expect(ok.status).toBe(200);
    // ... and when it fails, the Anthropic backup cannot: the client hears of the outage, not of a 400.
    h.mocks.primary!.setFault({ status: 503 });
    const res = await postChat(h.url, extra, { 'x-switchyard-debug': '1' });
    expect(res.status).toBe(502);
    expect(res.json.error).toMatchObject({ type: 'upstream_error', code: 'all_targets_failed' });
    expect(h.mocks.backup!.count).toBe(0);
    const attempts = JSON.parse(res.headers.get('x-switchyard-attempt-details')!);
    expect(attempts.map((a: { provider: string; outcome: string }) => [a.provider, a.outcome])).toEqual([
      ['primary', 'server'],
      ['primary', 'server'],
      ['backup', 'unsupported'],
    ]);
  });

  it('a target that cannot take the request is skipped for the next one, which serves it', async () => {
    await chain('anthropic', 'openai');
    const res = await postChat(h.url, { logprobs: true }, { 'x-switchyard-debug': '1' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-switchyard-provider')).toBe('backup');
    expect(h.mocks.primary!.count).toBe(0);
    expect(JSON.parse(res.headers.get('x-switchyard-attempt-details')!)[0]).toMatchObject({ provider: 'primary', outcome: 'unsupported' });
  });
});

describe('the openai client cannot tell an Anthropic target from an OpenAI one', () => {
  let h: Harness;
  let client: OpenAI;
  // Both mocks say the same thing; each test sets what.
  let reply: string | MockReply = REPLY;
  beforeAll(async () => {
    // `direct` is an OpenAI target; `mixed` is an OpenAI primary that always fails, then Anthropic.
    const mocks = {
      openai: await createMockUpstream({ reply: () => reply }),
      failing: await createMockUpstream({ fault: { status: 503 } }),
      claude: await createMockUpstream({ protocol: 'anthropic', reply: () => reply }),
    };
    const relay = createRelay({
      providers: {
        openai: { type: 'openai', baseURL: mocks.openai.url, apiKey: 'a' },
        failing: { type: 'openai', baseURL: mocks.failing.url, apiKey: 'b' },
        claude: { type: 'anthropic', baseURL: mocks.claude.url, apiKey: 'c' },
      },
      models: {
        direct: { targets: [{ provider: 'openai', model: 'same-model' }] },
        mixed: { targets: [{ provider: 'failing', model: 'same-model' }, { provider: 'claude', model: 'same-model' }] },
      },
      retry: { attempts: 1 },
    });
    h = await serveRelay(relay, mocks);
    client = clientFor(h);
  });
  afterAll(async () => {
    await h.close();
  });

  const ask = (model: string) => ({ model, messages: [{ role: 'user' as const, content: 'What is the weather in Paris?' }] });
  /** The completion without what differs between any two answers (ids, time). */
  const comparable = (c: any) => ({ ...c, id: typeof c.id, created: typeof c.created });

  it.each([
    ['text', REPLY],
    ['tool calls', TOOL_REPLY],
  ] as const)('%s, not streamed', async (_what, answer) => {
    reply = answer;
    const direct = await client.chat.completions.create(ask('direct'));
    const mixed: any = await client.chat.completions.create(ask('mixed'));
    expect(h.mocks.failing!.count).toBeGreaterThan(0);
    // The OpenAI mock sends no prompt_tokens_details (real OpenAI does); ours is extra, not different.
    expect(mixed.usage.prompt_tokens_details).toEqual({ cached_tokens: 0 });
    delete mixed.usage.prompt_tokens_details;
    // Tool call ids are the upstream's own (call_... vs toolu_...).
    for (const c of [direct, mixed]) for (const call of c.choices[0].message.tool_calls ?? []) call.id = typeof call.id;
    expect(comparable(mixed)).toEqual(comparable(direct));
  });

  it.each([
    ['text', REPLY],
    ['tool calls', TOOL_REPLY],
  ] as const)('%s, streamed', async (_what, answer) => {
    reply = answer;
    const options = { stream: true as const, stream_options: { include_usage: true } };
    const direct = await collect(await client.chat.completions.create({ ...ask('direct'), ...options }));
    const mixed = await collect(await client.chat.completions.create({ ...ask('mixed'), ...options }));
    expect(mixed.text).toBe(direct.text);
    expect(mixed.reasoning).toBe('');
    expect(mixed.finish).toBe(direct.finish);
    expect(mixed.usage).toEqual(direct.usage);
    expect(mixed.ids.size).toBe(1);
    const calls = (c: typeof direct) => c.toolCalls.map((t) => ({ id: t.id.length > 0, name: t.name, args: JSON.parse(t.arguments) }));
    expect(calls(mixed)).toEqual(calls(direct));
  });
});

describe('the mock upstream in Anthropic mode', () => {
  let mock: MockUpstream;
  const post = (body: Record<string, unknown>, path = '/messages') =>
    fetch(`${mock.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-x', max_tokens: 100, messages: [{ role: 'user', content: 'Hi there!' }], ...body }),
    });
  const events = (text: string) =>
    text
      .split('\n\n')
      .filter((e) => e.length > 0)
      .map((e) => {
        const [event, data] = e.split('\n');
        return { event: event!.slice('event: '.length), data: JSON.parse(data!.slice('data: '.length)) };
      });
  beforeAll(async () => {
    mock = await createMockUpstream({ name: 'claude', protocol: 'anthropic', reply: 'Hello there friend' });
  });
  afterEach(() => {
    mock.reset();
  });
  afterAll(async () => {
    await mock.close();
  });

  it('answers a message like the Messages API', async () => {
    const res = await post({});
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      id: 'msg_mock_1',
      type: 'message',
      role: 'assistant',
      model: 'claude-x',
      content: [{ type: 'text', text: 'Hello there friend' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 3, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 3 },
    });
    expect(mock.count).toBe(1);
  });

  it('streams the Messages API events', async () => {
    const res = await post({ stream: true });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const list = events(await res.text());
    expect(list.map((e) => e.event)).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      'content_block_delta',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    for (const e of list) expect(e.data.type).toBe(e.event);
    expect(list.slice(3, 6).map((e) => e.data.delta.text).join('')).toBe('Hello there friend');
    expect(list[7]!.data).toEqual({ type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 3 } });
  });

  it('honours stop_sequences and max_tokens', async () => {
    let body = await (await post({ stop_sequences: ['friend', 'there'] })).json();
    expect(body).toMatchObject({ content: [{ text: 'Hello ' }], stop_reason: 'stop_sequence', stop_sequence: 'there' });
    body = await (await post({ max_tokens: 1 })).json();
    expect(body).toMatchObject({ content: [{ text: 'Hello' }], stop_reason: 'max_tokens', usage: { output_tokens: 1 } });
  });

  it('refuses what the real API refuses, in its error shape', async () => {
    const missing = await fetch(`${mock.url}/messages`, { method: 'POST', body: JSON.stringify({ model: 'm', messages: [] }) });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: 'max_tokens: Field required' } });
    const system = await post({ messages: [{ role: 'system', content: 'x' }] });
    expect((await jsonOf(system)).error.message).toMatch(/messages\.0\.role/);
    const openaiPath = await post({}, '/chat/completions');
    expect(openaiPath.status).toBe(404);
    expect((await jsonOf(openaiPath)).error.type).toBe('not_found_error');
  });

  it('status faults use Anthropic error bodies; 529 is overloaded_error', async () => {
    mock.queueFaults({ status: 529 }, { status: 429, retryAfter: 3 });
    let res = await post({});
    expect(res.status).toBe(529);
    expect(await res.json()).toEqual({ type: 'error', error: { type: 'overloaded_error', message: 'mock error 529' } });
    res = await post({});
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('3');
    expect((await jsonOf(res)).error.type).toBe('rate_limit_error');
  });

  it('errorAfterChunks sends an overloaded_error event and no message_stop', async () => {
    mock.setFault({ errorAfterChunks: 2 });
    const list = events(await (await post({ stream: true })).text());
    expect(list.map((e) => e.event)).toEqual(['message_start', 'content_block_start', 'error']);
    expect(list[2]!.data).toEqual({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
  });

  it('malformed sends a first event whose JSON is cut', async () => {
    mock.setFault({ malformed: true });
    const text = await (await post({ stream: true })).text();
    expect(text.startsWith('event: message_start\ndata: {"type":"message_start"')).toBe(true);
    expect(() => events(text)).toThrow();
  });

  it('dieAfterChunks cuts the stream after that many events', async () => {
    mock.setFault({ dieAfterChunks: 2 });
    const res = await post({ stream: true });
    const reader = res.body!.getReader();
    let text = '';
    const failure = await (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return undefined;
        text += new TextDecoder().decode(value);
      }
    })().catch((e: unknown) => e);
    expect(failure).toBeDefined();
    expect(events(text).map((e) => e.event)).toEqual(['message_start', 'content_block_start']);
  });

  it('replies with tool calls', async () => {
    const tools = await createMockUpstream({ protocol: 'anthropic', reply: { toolCalls: [{ name: 'f', input: { a: 1 } }] } });
    try {
      const res = await fetch(`${tools.url}/messages`, {
        method: 'POST',
        body: JSON.stringify({ model: 'm', max_tokens: 100, messages: [{ role: 'user', content: 'x' }], stream: true }),
      });
      const list = events(await res.text());
      expect(list[1]!.data.content_block).toEqual({ type: 'tool_use', id: 'toolu_mock_1_0', name: 'f', input: {} });
      const json = list.filter((e) => e.data.delta?.type === 'input_json_delta').map((e) => e.data.delta.partial_json);
      expect(json[0]).toBe('');
      expect(JSON.parse(json.join(''))).toEqual({ a: 1 });
      expect(list.at(-2)!.data.delta.stop_reason).toBe('tool_use');
    } finally {
      await tools.close();
    }
  });

  it('lists models in Anthropic shape', async () => {
    const res = await fetch(`${mock.url}/models`);
    expect(await res.json()).toMatchObject({ data: [{ type: 'model', id: 'mock-model' }], has_more: false });
  });
});
