/**
 * @module
 * The healthy payloads of the mock's `POST /responses` (OpenAI mode), shaped like the
 * real Responses API and its recordings: a Response object, or its typed event stream
 * (`response.created`, `response.in_progress`, the message item with one `output_text`
 * part and a delta per token, a `function_call` item per tool call with its argument
 * deltas, `response.completed` with usage, each event with the next `sequence_number`).
 * Written independently of the relay's own Responses translation, so a test can hold
 * one against the other. Token counts follow the chat mode's rules.
 */
import { errorEnvelope, halves, replyTokens, tokenize } from './openai-mock.js';
import { OPENAI_DIALECT, type Dialect, type Payload } from './respond.js';

/** What a healthy Response is made of. */
export interface ResponseParts {
  /** `resp_mock_<n>`; items are `msg_mock_<n>`, `fc_mock_<n>_<i>`. */
  id: string;
  model: string;
  text: string;
  toolCalls: { id: string; name: string; input: Record<string, unknown> }[];
  /** Unix seconds. */
  createdAt: number;
}

function event(type: string, seq: number, data: object): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data, sequence_number: seq })}\n\n`;
}

/** The mock's in-stream failure, as OpenAI sends one: an `error` event, then `response.failed`. */
export const RESPONSES_DIALECT: Dialect = {
  error: OPENAI_DIALECT.error,
  streamError: (sent) =>
    event('error', sent, { error: { type: 'server_error', code: 'server_error', message: 'mock in-stream error', param: null } }) +
    event('response.failed', sent + 1, {
      response: { id: 'resp_mock_failed', object: 'response', status: 'failed', error: { code: 'server_error', message: 'mock in-stream error' }, output: [], usage: null },
    }),
};

/** Characters of text in `input` and `instructions`, as the chat mode counts message text. */
function promptTokens(body: Record<string, unknown>): number {
  let chars = typeof body.instructions === 'string' ? body.instructions.length : 0;
  const input = body.input;
  if (typeof input === 'string') chars += input.length;
  else if (Array.isArray(input)) {
    for (const item of input as Record<string, unknown>[]) {
      const content = item?.content ?? item?.output;
      if (typeof content === 'string') chars += content.length;
      else if (Array.isArray(content)) for (const part of content) chars += typeof part?.text === 'string' ? part.text.length : 0;
    }
  }
  return Math.ceil(chars / 4);
}

/** The answer to `POST /responses`: a Response, its stream, or a 400 like the real API's. */
export function responsesPayload(parts: ResponseParts, body: Record<string, unknown>): Payload {
  if (body.input === undefined) return { type: 'json', status: 400, body: errorEnvelope("Missing required parameter: 'input'.", 'invalid_request_error', 'missing_required_parameter', 'input') };
  let { text, toolCalls } = parts;
  const max = typeof body.max_output_tokens === 'number' ? body.max_output_tokens : Infinity;
  const cut = replyTokens(text, toolCalls) > max;
  if (cut) {
    text = tokenize(text).slice(0, max).join('');
    toolCalls = [];
  }
  const input = promptTokens(body);
  const output = replyTokens(text, toolCalls);
  const usage = { input_tokens: input, input_tokens_details: { cached_tokens: 0 }, output_tokens: output, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: input + output };
  const n = parts.id.replace(/^resp_mock_/, '');
  const message = { id: `msg_mock_${n}`, type: 'message', status: cut ? 'incomplete' : 'completed', content: [{ type: 'output_text', annotations: [], logprobs: [], text }], role: 'assistant' };
  const calls = toolCalls.map((c, i) => ({ id: `fc_mock_${n}_${i}`, type: 'function_call', status: 'completed', arguments: JSON.stringify(c.input), call_id: c.id, name: c.name }));
  const hasMessage = text !== '' || calls.length === 0;
  const output_ = [...(hasMessage ? [message] : []), ...calls];
  const response = {
    id: parts.id,
    object: 'response',
    created_at: parts.createdAt,
    status: cut ? 'incomplete' : 'completed',
    error: null,
    incomplete_details: cut ? { reason: 'max_output_tokens' } : null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    model: parts.model,
    output: output_,
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: body.previous_response_id ?? null,
    store: body.store ?? true,
    temperature: body.temperature ?? 1,
    text: body.text ?? { format: { type: 'text' } },
    tool_choice: body.tool_choice ?? 'auto',
    tools: body.tools ?? [],
    top_p: body.top_p ?? 1,
    usage,
    user: body.user ?? null,
    metadata: body.metadata ?? {},
  };
  if (body.stream !== true) return { type: 'json', status: 200, body: response };

  let seq = 0;
  const frames: string[] = [];
  const start = { ...response, status: 'in_progress', output: [], usage: null, incomplete_details: null };
  frames.push(event('response.created', seq++, { response: start }));
  frames.push(event('response.in_progress', seq++, { response: start }));
  let index = 0;
  if (hasMessage) {
    const at = { item_id: message.id, output_index: index };
    frames.push(event('response.output_item.added', seq++, { output_index: index, item: { ...message, status: 'in_progress', content: [] } }));
    frames.push(event('response.content_part.added', seq++, { ...at, content_index: 0, part: { type: 'output_text', annotations: [], logprobs: [], text: '' } }));
    for (const token of tokenize(text)) frames.push(event('response.output_text.delta', seq++, { ...at, content_index: 0, delta: token, logprobs: [] }));
    frames.push(event('response.output_text.done', seq++, { ...at, content_index: 0, text, logprobs: [] }));
    frames.push(event('response.content_part.done', seq++, { ...at, content_index: 0, part: message.content[0] }));
    frames.push(event('response.output_item.done', seq++, { output_index: index++, item: message }));
  }
  for (const call of calls) {
    const at = { item_id: call.id, output_index: index };
    frames.push(event('response.output_item.added', seq++, { output_index: index, item: { ...call, status: 'in_progress', arguments: '' } }));
    for (const piece of halves(call.arguments)) frames.push(event('response.function_call_arguments.delta', seq++, { ...at, delta: piece }));
    frames.push(event('response.function_call_arguments.done', seq++, { ...at, arguments: call.arguments }));
    frames.push(event('response.output_item.done', seq++, { output_index: index++, item: call }));
  }
  frames.push(event(cut ? 'response.incomplete' : 'response.completed', seq++, { response }));
  return { type: 'sse', frames };
}
