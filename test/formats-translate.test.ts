/**
 * The formats' own rules, field by field: what each validation refuses and how it names
 * the field, what each request becomes for a chat target (and what is an unsupported
 * feature instead), and the exact event sequences the stream converters write for the
 * shapes recordings do not cover (reasoning then text then interleaved tool calls, a
 * cut by length, a refusal).
 */
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../src/errors/index.js';
import { chatFormat } from '../src/formats/chat/index.js';
import { messagesFormat, withoutUnsignedThinking } from '../src/formats/messages/index.js';
import { responsesFormat } from '../src/formats/responses/index.js';
import { isUnsupportedFeature, UnsupportedFeature } from '../src/formats/unsupported.js';

const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
  JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'up-model', choices: [{ index: 0, delta, finish_reason: finish }] });
const usageChunk = (prompt: number, completion: number, cached = 0) =>
  JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', model: 'up-model', choices: [], usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion, prompt_tokens_details: { cached_tokens: cached } } });

/** The frames' event names and data. */
function events(frames: string[]): { event: string; data: any }[] {
  return frames.map((f) => {
    const [event, data] = f.split('\n');
    return { event: event!.slice('event: '.length), data: JSON.parse(data!.slice('data: '.length)) };
  });
}

function refusal(fn: () => unknown): { param: string | null; unsupported: boolean; message: string } {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof InvalidRequestError)) throw err;
    return { param: err.param, unsupported: isUnsupportedFeature(err), message: err.message };
  }
  throw new Error('expected a refusal');
}

describe('Responses: validation names the field', () => {
  it.each([
    [[], ''],
    [{ input: 'x' }, 'model'],
    [{ model: 'm' }, 'input'],
    [{ model: 'm', input: 5 }, 'input'],
    [{ model: 'm', input: [{ role: 'robot', content: 'x' }] }, 'input[0].role'],
    [{ model: 'm', input: [{ type: 'message', role: 'user' }] }, 'input[0].content'],
    [{ model: 'm', input: [{ role: 'user', content: [{ type: 'input_image' }] }] }, 'input[0].content[0]'],
    [{ model: 'm', input: [{ type: 'function_call', call_id: 'c', name: 'f' }] }, 'input[0].arguments'],
    [{ model: 'm', input: [{ type: 'function_call_output', output: 'x' }] }, 'input[0].call_id'],
    [{ model: 'm', input: [{ type: 'item_reference' }] }, 'input[0].id'],
    [{ model: 'm', input: 'x', tools: [{ type: 'function' }] }, 'tools[0].name'],
    [{ model: 'm', input: 'x', tool_choice: 'sometimes' }, 'tool_choice'],
    [{ model: 'm', input: 'x', text: { format: { type: 'json_schema', name: 's' } } }, 'text.format.schema'],
    [{ model: 'm', input: 'x', text: { format: { type: 'yaml' } } }, 'text.format.type'],
    [{ model: 'm', input: 'x', temperature: 3 }, 'temperature'],
    [{ model: 'm', input: 'x', max_output_tokens: 1.5 }, 'max_output_tokens'],
    [{ model: 'm', input: 'x', metadata: { a: 1 } }, 'metadata.a'],
    [{ model: 'm', input: 'x', stream: 'yes' }, 'stream'],
    [{ model: 'm', input: 'x', previous_response_id: '' }, 'previous_response_id'],
  ])('%j → %s', (body, param) => {
    const r = refusal(() => responsesFormat.validate(body));
    expect(r.param ?? '').toBe(param);
    expect(r.unsupported).toBe(false);
    // OpenAI's envelope, status 400.
    expect(responsesFormat.errorResponse(new InvalidRequestError(r.message, r.param))).toMatchObject({ status: 400, body: { error: { param: r.param, type: 'invalid_request_error' } } });
  });

  it('accepts item and tool types only a native target knows', () => {
    expect(() => responsesFormat.validate({ model: 'm', input: [{ type: 'computer_call_output', call_id: 'c', output: {} }], tools: [{ type: 'web_search' }] })).not.toThrow();
  });
});

describe('Responses: what a chat target gets', () => {
  it('translates every field it can carry', () => {
    const request = responsesFormat.validate({
      model: 'gpt-public',
      instructions: 'Be brief.',
      input: [
        { role: 'developer', content: 'Answer in French.' },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'What is this?' }, { type: 'input_image', image_url: 'data:image/png;base64,AAA', detail: 'low' }, { type: 'input_file', file_data: 'data:application/pdf;base64,BBB', filename: 'a.pdf' }] },
        { type: 'reasoning', id: 'rs_1', summary: [], encrypted_content: 'opaque' },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'A cat.' }] },
        { type: 'function_call', call_id: 'c1', name: 'look', arguments: '{"x":1}' },
        { type: 'function_call', call_id: 'c2', name: 'look', arguments: '{"x":2}' },
        { type: 'function_call_output', call_id: 'c1', output: 'one' },
        { type: 'function_call_output', call_id: 'c2', output: [{ type: 'input_text', text: 'two' }] },
      ],
      tools: [{ type: 'function', name: 'look', description: 'Look', parameters: { type: 'object' }, strict: true }, { type: 'function', name: 'bare' }],
      tool_choice: { type: 'function', name: 'look' },
      parallel_tool_calls: false,
      text: { format: { type: 'json_object' } },
      max_output_tokens: 100,
      temperature: 0.5,
      top_p: 0.9,
      reasoning: { effort: 'low', summary: 'auto' },
      metadata: { k: 'v' },
      user: 'u-1',
      store: true,
      stream: true,
      truncation: 'auto',
      include: ['reasoning.encrypted_content'],
    });
    expect(responsesFormat.toChat(request)).toEqual({
      model: 'gpt-public',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'system', content: 'Answer in French.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AAA', detail: 'low' } },
            { type: 'file', file: { file_data: 'data:application/pdf;base64,BBB', filename: 'a.pdf' } },
          ],
        },
        {
          role: 'assistant',
          content: 'A cat.',
          tool_calls: [
            { id: 'c1', type: 'function', function: { name: 'look', arguments: '{"x":1}' } },
            { id: 'c2', type: 'function', function: { name: 'look', arguments: '{"x":2}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'c1', content: 'one' },
        { role: 'tool', tool_call_id: 'c2', content: [{ type: 'text', text: 'two' }] },
      ],
      tools: [
        { type: 'function', function: { name: 'look', description: 'Look', parameters: { type: 'object' }, strict: true } },
        { type: 'function', function: { name: 'bare', parameters: { type: 'object', properties: {} } } },
      ],
      tool_choice: { type: 'function', function: { name: 'look' } },
      parallel_tool_calls: false,
      response_format: { type: 'json_object' },
      max_tokens: 100,
      temperature: 0.5,
      top_p: 0.9,
      reasoning_effort: 'low',
      user: 'u-1',
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it.each([
    [{ tools: [{ type: 'function', name: 'f' }, { type: 'web_search' }] }, 'tools[1]'],
    [{ tools: [{ type: 'code_interpreter', container: { type: 'auto' } }] }, 'tools[0]'],
    [{ tools: [{ type: 'function', name: 'f' }], tool_choice: { type: 'file_search' } }, 'tool_choice'],
    [{ input: [{ role: 'user', content: [{ type: 'input_file', file_url: 'https://x/y.pdf' }] }] }, 'input[0].content[0].file_url'],
    [{ input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'file-1' }] }] }, 'input[0].content[0].file_id'],
    [{ input: [{ role: 'user', content: [{ type: 'input_audio', input_audio: {} }] }] }, 'input[0].content[0]'],
    [{ input: [{ type: 'web_search_call', id: 'ws_1', status: 'completed' }] }, 'input[0]'],
    [{ input: [{ type: 'item_reference', id: 'msg_1' }] }, 'input[0]'],
    [{ background: true }, 'background'],
    [{ conversation: 'conv_1' }, 'conversation'],
    [{ prompt: { id: 'pmpt_1' } }, 'prompt'],
    [{ top_logprobs: 3 }, 'top_logprobs'],
  ])('%j is an UnsupportedFeature at %s', (fields, field) => {
    const request = responsesFormat.validate({ model: 'm', input: 'x', ...fields });
    let err: unknown;
    try {
      responsesFormat.toChat(request);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnsupportedFeature);
    expect(err).toMatchObject({ field, param: field, status: 400 });
    expect((err as UnsupportedFeature).reason.length).toBeGreaterThan(10);
  });
});

describe('Responses: the event sequence of a chat stream', () => {
  it('reasoning, text, then two tool calls whose fragments interleave', () => {
    const convert = responsesFormat.fromChatStream({ request: responsesFormat.validate({ model: 'public', input: 'x' }), model: 'public', id: 'resp_fixed', now: () => 1_700_000_000_000 });
    const frames = [
      chunk({ role: 'assistant', content: '' }),
      chunk({ reasoning_content: 'Think' }),
      chunk({ reasoning_content: 'ing.' }),
      chunk({ content: 'Hi' }),
      chunk({ tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'f', arguments: '{"a"' } }] }),
      chunk({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'g', arguments: '{}' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: ':1}' } }] }),
      chunk({}, 'tool_calls'),
      usageChunk(10, 5, 4),
      '[DONE]',
    ].flatMap((p) => convert.push(p));
    frames.push(...convert.end());
    const list = events(frames);
    expect(list.map((e) => e.data.sequence_number)).toEqual(list.map((_, i) => i));
    expect(list.every((e) => e.event === e.data.type)).toBe(true);
    expect(list.map((e) => e.event)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.reasoning_summary_part.added',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.done',
      'response.reasoning_summary_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const done = list.at(-1)!.data.response;
    expect(done).toMatchObject({ id: 'resp_fixed', status: 'completed', model: 'up-model', created_at: 1_700_000_000, completed_at: 1_700_000_000 });
    expect(done.output.map((i: { type: string }) => i.type)).toEqual(['reasoning', 'message', 'function_call', 'function_call']);
    expect(done.output[0].summary).toEqual([{ type: 'summary_text', text: 'Thinking.' }]);
    expect(done.output.slice(2).map((i: { call_id: string; arguments: string }) => [i.call_id, i.arguments])).toEqual([
      ['call_a', '{"a":1}'],
      ['call_b', '{}'],
    ]);
    expect(done.usage).toEqual({ input_tokens: 10, input_tokens_details: { cached_tokens: 4 }, output_tokens: 5, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 15 });
    expect(list[16]!.data).toMatchObject({ output_index: 2, delta: '{"a"' });
    expect(list[19]!.data).toMatchObject({ output_index: 2, delta: ':1}' });
    // Nothing after the end.
    expect(convert.push(chunk({ content: 'late' }))).toEqual([]);
    expect(convert.end()).toEqual([]);
  });

  it('a cut by length ends with response.incomplete and an incomplete message; the engine\'s usage wins', () => {
    const convert = responsesFormat.fromChatStream({ request: responsesFormat.validate({ model: 'public', input: 'x' }), model: 'public' });
    const frames = [chunk({ content: 'Partial' }), chunk({}, 'length'), usageChunk(3, 1)].flatMap((p) => convert.push(p));
    frames.push(...convert.end({ prompt_tokens: 30, completion_tokens: 10 }));
    const last = events(frames).at(-1)!;
    expect(last.event).toBe('response.incomplete');
    expect(last.data.response).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, usage: { input_tokens: 30, output_tokens: 10, total_tokens: 40 } });
    expect(last.data.response.output[0].status).toBe('incomplete');
    expect(events(frames).find((e) => e.event === 'response.output_item.done')!.data.item.status).toBe('incomplete');
  });

  it('a refusal is a refusal part', () => {
    const convert = responsesFormat.fromChatStream({ request: responsesFormat.validate({ model: 'p', input: 'x' }), model: 'p' });
    const list = events([chunk({ refusal: 'No.' }), chunk({}, 'stop')].flatMap((p) => convert.push(p)).concat(convert.end()));
    expect(list.map((e) => e.event)).toContain('response.refusal.delta');
    expect(list.at(-1)!.data.response.output[0].content).toEqual([{ type: 'refusal', refusal: 'No.' }]);
  });

  it('a JSON answer: the same items, and the request echoed', () => {
    const request = responsesFormat.validate({ model: 'public', input: 'x', instructions: 'I', metadata: { a: 'b' }, tools: [{ type: 'function', name: 'f' }], temperature: 0.2 });
    const out = responsesFormat.fromChatCompletion(
      {
        id: 'c',
        object: 'chat.completion',
        model: 'up',
        choices: [{ index: 0, message: { role: 'assistant', content: 'Hi', reasoning_content: 'R', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }] }, finish_reason: 'tool_calls' }],
        usage: { prompt_tokens: 2, completion_tokens: 3 },
      },
      { request, model: 'public', id: 'resp_x' },
    ) as Record<string, any>;
    expect(out).toMatchObject({ id: 'resp_x', object: 'response', status: 'completed', model: 'up', instructions: 'I', metadata: { a: 'b' }, temperature: 0.2, tools: request.tools, store: true });
    expect(out.output.map((i: { type: string }) => i.type)).toEqual(['reasoning', 'message', 'function_call']);
    expect(out.usage).toMatchObject({ input_tokens: 2, output_tokens: 3, total_tokens: 5 });
  });
});

describe('Messages: validation names the field', () => {
  const ok = { model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] };
  it.each([
    [{ ...ok, model: undefined }, 'model'],
    [{ ...ok, max_tokens: undefined }, 'max_tokens'],
    [{ ...ok, max_tokens: 0 }, 'max_tokens'],
    [{ ...ok, messages: [] }, 'messages'],
    [{ ...ok, messages: [{ role: 'system', content: 'x' }] }, 'messages[0].role'],
    [{ ...ok, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', data: 'x' } }] }] }, 'messages[0].content[0].source.media_type'],
    [{ ...ok, messages: [{ role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'f', input: 'x' }] }] }, 'messages[0].content[0].input'],
    [{ ...ok, messages: [{ role: 'assistant', content: [{ type: 'thinking', thinking: 'x' }] }] }, 'messages[0].content[0].signature'],
    [{ ...ok, system: [{ type: 'image' }] }, 'system[0].type'],
    [{ ...ok, tools: [{ name: 'f' }] }, 'tools[0].input_schema'],
    [{ ...ok, tool_choice: { type: 'tool' } }, 'tool_choice.name'],
    [{ ...ok, temperature: 1.5 }, 'temperature'],
    [{ ...ok, top_k: -1 }, 'top_k'],
    [{ ...ok, thinking: { type: 'enabled', budget_tokens: 100 } }, 'thinking.budget_tokens'],
    [{ ...ok, stop_sequences: [1] }, 'stop_sequences[0]'],
  ])('%j → %s', (body, param) => {
    const r = refusal(() => messagesFormat.validate(body));
    expect(r.param).toBe(param);
    expect(messagesFormat.errorResponse(new InvalidRequestError(r.message, r.param))).toEqual({ status: 400, headers: {}, body: { type: 'error', error: { type: 'invalid_request_error', message: r.message } } });
  });
});

describe('Messages: what a chat target gets', () => {
  it('translates every field it can carry', () => {
    const request = messagesFormat.validate({
      model: 'claude-public',
      max_tokens: 300,
      system: [{ type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } }, { type: 'text', text: 'In French.' }],
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Look:' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAA' } },
            { type: 'image', source: { type: 'url', url: 'https://x/y.png' } },
            { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'BBB' }, title: 'doc.pdf' },
            { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'plain doc' } },
          ],
        },
        { role: 'assistant', content: [{ type: 'thinking', thinking: 'hmm', signature: 'sig' }, { type: 'text', text: 'Calling.' }, { type: 'tool_use', id: 'toolu_1', name: 'f', input: { a: 1 } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'done', is_error: false }] },
        { role: 'assistant', content: [{ type: 'redacted_thinking', data: 'xyz' }, { type: 'text', text: 'Ok.' }] },
      ],
      tools: [{ name: 'f', description: 'F', input_schema: { type: 'object' } }],
      tool_choice: { type: 'auto', disable_parallel_tool_use: true },
      stop_sequences: ['END'],
      temperature: 0.3,
      top_p: 0.8,
      top_k: 5,
      thinking: { type: 'enabled', budget_tokens: 2048 },
      metadata: { user_id: 'u-1' },
      stream: true,
    });
    expect(messagesFormat.toChat(request)).toEqual({
      model: 'claude-public',
      max_tokens: 300,
      messages: [
        { role: 'system', content: 'Be brief.\nIn French.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Look:' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AAA' } },
            { type: 'image_url', image_url: { url: 'https://x/y.png' } },
            { type: 'file', file: { file_data: 'data:application/pdf;base64,BBB', filename: 'doc.pdf' } },
            { type: 'text', text: 'plain doc' },
          ],
        },
        { role: 'assistant', content: 'Calling.', tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] },
        { role: 'tool', tool_call_id: 'toolu_1', content: 'done' },
        { role: 'assistant', content: 'Ok.' },
      ],
      tools: [{ type: 'function', function: { name: 'f', description: 'F', parameters: { type: 'object' } } }],
      tool_choice: 'auto',
      parallel_tool_calls: false,
      stop: ['END'],
      temperature: 0.3,
      top_p: 0.8,
      user: 'u-1',
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it.each([
    [{ tools: [{ type: 'web_search_20250305', name: 'web_search' }] }, 'tools[0]'],
    [{ messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'url', url: 'https://x/y.pdf' } }] }] }, 'messages[0].content[0].source'],
    [{ messages: [{ role: 'user', content: [{ type: 'search_result', source: 's', title: 't', content: [] }] }] }, 'messages[0].content[0]'],
    [{ messages: [{ role: 'assistant', content: [{ type: 'server_tool_use', id: 's', name: 'web_search', input: {} }] }] }, 'messages[0].content[0]'],
    [{ messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'A' } }] }] }] }, 'messages[0].content[0].content[0]'],
    [{ container: 'c_1' }, 'container'],
    [{ mcp_servers: [{ type: 'url', url: 'https://mcp', name: 'x' }] }, 'mcp_servers'],
  ])('%j is an UnsupportedFeature at %s', (fields, field) => {
    const request = messagesFormat.validate({ model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'x' }], ...fields });
    expect(() => messagesFormat.toChat(request)).toThrow(UnsupportedFeature);
    try {
      messagesFormat.toChat(request);
    } catch (err) {
      expect(err).toMatchObject({ field });
    }
  });
});

describe('Messages: the event sequence of a chat stream', () => {
  const run = (thinking: boolean, payloads: string[]) => {
    const request = messagesFormat.validate({ model: 'p', max_tokens: 100, messages: [{ role: 'user', content: 'x' }], ...(thinking ? { thinking: { type: 'enabled', budget_tokens: 1024 } } : {}) });
    const convert = messagesFormat.fromChatStream({ request, model: 'p', id: 'msg_fixed' });
    return events(payloads.flatMap((p) => convert.push(p)).concat(convert.end()));
  };
  const payloads = [
    chunk({ role: 'assistant', content: '' }),
    chunk({ reasoning_content: 'Hmm.' }),
    chunk({ content: 'A' }),
    chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"x":' } }] }),
    chunk({ tool_calls: [{ index: 0, function: { arguments: '1}' } }] }),
    chunk({ content: 'B' }),
    chunk({}, 'tool_calls'),
    usageChunk(7, 9, 2),
    '[DONE]',
  ];

  it('with thinking asked for: thinking, text, tool, text blocks in turn, then the stop reason and usage', () => {
    const list = run(true, payloads);
    expect(list.map((e) => `${e.event}${e.data.content_block ? `:${e.data.content_block.type}` : e.data.delta?.type ? `:${e.data.delta.type}` : ''}`)).toEqual([
      'message_start',
      'ping',
      'content_block_start:thinking',
      'content_block_delta:thinking_delta',
      'content_block_stop',
      'content_block_start:text',
      'content_block_delta:text_delta',
      'content_block_stop',
      'content_block_start:tool_use',
      'content_block_delta:input_json_delta',
      'content_block_delta:input_json_delta',
      'content_block_stop',
      'content_block_start:text',
      'content_block_delta:text_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(list.filter((e) => e.event === 'content_block_start').map((e) => e.data.index)).toEqual([0, 1, 2, 3]);
    expect(list[0]!.data.message).toMatchObject({ id: 'msg_fixed', model: 'up-model', role: 'assistant', content: [] });
    expect(list.at(-2)!.data).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'tool_use', stop_sequence: null },
      usage: { input_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 2, output_tokens: 9 },
    });
  });

  it('without thinking asked for, reasoning does not show', () => {
    const list = run(false, payloads);
    expect(list.some((e) => e.data.content_block?.type === 'thinking')).toBe(false);
    expect(list.filter((e) => e.event === 'content_block_start').map((e) => e.data.content_block.type)).toEqual(['text', 'tool_use', 'text']);
  });

  it('an empty answer still starts and stops the message', () => {
    const list = run(false, [chunk({}, 'stop')]);
    expect(list.map((e) => e.event)).toEqual(['message_start', 'ping', 'message_delta', 'message_stop']);
    expect(list[2]!.data.delta.stop_reason).toBe('end_turn');
  });

  it('a JSON answer: stop reasons and blocks', () => {
    const request = messagesFormat.validate({ model: 'p', max_tokens: 100, messages: [{ role: 'user', content: 'x' }] });
    const answer = (finish: string, message: Record<string, unknown>) =>
      messagesFormat.fromChatCompletion({ id: 'c', model: 'up', choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason: finish }] }, { request, model: 'p' }) as Record<string, any>;
    expect(answer('length', { content: 'Cut' })).toMatchObject({ type: 'message', stop_reason: 'max_tokens', content: [{ type: 'text', text: 'Cut' }], usage: { input_tokens: 0, output_tokens: 0 } });
    expect(answer('content_filter', { content: null, refusal: 'No.' }).stop_reason).toBe('refusal');
    expect(answer('tool_calls', { content: null, tool_calls: [{ id: 'call_1', function: { name: 'f', arguments: 'not json' } }] }).content).toEqual([
      { type: 'tool_use', id: 'call_1', name: 'f', input: { arguments: 'not json' } },
    ]);
  });
});

describe('Messages to a native Anthropic target', () => {
  it('passes untouched, except the thinking blocks the relay made (unsigned)', () => {
    const signed = { type: 'thinking', thinking: 'a', signature: 'EqQBCkYI' };
    const request = messagesFormat.validate({
      model: 'm',
      max_tokens: 10,
      messages: [
        { role: 'user', content: 'x' },
        { role: 'assistant', content: [{ type: 'thinking', thinking: 'relay-made', signature: '' }, { type: 'text', text: 'y' }] },
        { role: 'user', content: 'z' },
        { role: 'assistant', content: [signed, { type: 'text', text: 'w' }] },
      ],
    });
    const out = withoutUnsignedThinking(request);
    expect(out.messages[1]!.content).toEqual([{ type: 'text', text: 'y' }]);
    expect(out.messages[3]).toBe(request.messages[3]);
    const clean = messagesFormat.validate({ model: 'm', max_tokens: 10, messages: [{ role: 'assistant', content: [signed] }] });
    expect(withoutUnsignedThinking(clean)).toBe(clean);
  });
});

describe('Chat as a format', () => {
  it('frames payloads as data events, with one [DONE]', () => {
    const convert = chatFormat.fromChatStream({ request: { model: 'm', messages: [] }, model: 'm' });
    expect([...convert.push(chunk({ content: 'x' })), ...convert.push('[DONE]'), ...convert.end()]).toEqual([`data: ${chunk({ content: 'x' })}\n\n`, 'data: [DONE]\n\n']);
    const cut = chatFormat.fromChatStream({ request: { model: 'm', messages: [] }, model: 'm' });
    expect(cut.end()).toEqual(['data: [DONE]\n\n']);
  });

  it('reads content, errors and usage of a native chat stream', () => {
    expect(chatFormat.isContent(undefined, chunk({ role: 'assistant', content: '' }))).toBe(false);
    expect(chatFormat.isContent(undefined, chunk({ content: 'x' }))).toBe(true);
    expect(chatFormat.nativeError(undefined, '{"error":{"message":"boom","type":"server_error"}}')).toEqual({ message: 'boom', code: 'server_error' });
    const meter = chatFormat.nativeUsage();
    meter.event(undefined, chunk({ content: 'x' }));
    meter.event(undefined, usageChunk(4, 2));
    expect(meter.usage()).toEqual({ prompt_tokens: 4, completion_tokens: 2 });
  });
});
