/**
 * @module
 * The healthy payloads of the mock in Anthropic mode, shaped like the real Messages
 * API: a message (JSON), its event stream, the model list and error bodies. Token
 * counts follow the OpenAI mode's rules, so both modes bill a reply alike.
 */
import { anthropicError, anthropicErrorType } from '../formats/messages/errors.js';
import { anthropicModelList as modelList } from '../formats/messages/models.js';
import { estimatePromptTokens, halves, replyTokens, tokenize } from './openai-mock.js';
import type { Payload, Dialect } from './respond.js';

/** What a healthy Anthropic message is made of. */
export interface MessageParts {
  /** `msg_mock_<n>` */
  id: string;
  model: string;
  text: string;
  /** Tool calls after the text, ids resolved. */
  toolCalls: { id: string; name: string; input: Record<string, unknown> }[];
}

/** Anthropic's error bodies, and its mid-stream `overloaded_error`. */
export const ANTHROPIC_DIALECT: Dialect = {
  error: (status, message) => anthropicError(anthropicErrorType(status), message),
  streamError: sseEvent('error', { error: { type: 'overloaded_error', message: 'Overloaded' } }),
};

function sseEvent(type: string, data: object): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
}

/** What the real API would refuse in a body, as its message; undefined if it looks valid. */
function invalid(body: Record<string, unknown>): string | undefined {
  if (typeof body.max_tokens !== 'number') return 'max_tokens: Field required';
  if (!Array.isArray(body.messages)) return 'messages: Input should be a valid list';
  const at = body.messages.findIndex((m) => {
    const role = (m as { role?: unknown } | null)?.role;
    return role !== 'user' && role !== 'assistant';
  });
  return at === -1 ? undefined : `messages.${at}.role: Input should be 'user' or 'assistant'`;
}

/** The reply as the request's `max_tokens` and `stop_sequences` leave it. */
function shape(parts: MessageParts, body: Record<string, unknown>) {
  let { text, toolCalls } = parts;
  let stopReason = toolCalls.length > 0 ? 'tool_use' : 'end_turn';
  let stopSequence: string | null = null;
  const stops = Array.isArray(body.stop_sequences) ? body.stop_sequences.filter((s): s is string => typeof s === 'string' && s !== '') : [];
  for (const stop of stops) {
    const at = text.indexOf(stop);
    if (at !== -1 && (stopSequence === null || at < text.indexOf(stopSequence))) stopSequence = stop;
  }
  if (stopSequence !== null) {
    text = text.slice(0, text.indexOf(stopSequence));
    toolCalls = [];
    stopReason = 'stop_sequence';
  }
  const max = body.max_tokens as number;
  if (replyTokens(text, toolCalls) > max) {
    text = tokenize(text).slice(0, max).join('');
    toolCalls = [];
    stopReason = 'max_tokens';
    stopSequence = null;
  }
  return { text, toolCalls, stopReason, stopSequence, outputTokens: replyTokens(text, toolCalls) };
}

/** The healthy answer to `POST /messages`: a message, its stream, or a 400 like the real API's. */
export function anthropicPayload(parts: MessageParts, body: Record<string, unknown>): Payload {
  const problem = invalid(body);
  if (problem) return { type: 'json', status: 400, body: anthropicError('invalid_request_error', problem) };
  const reply = shape(parts, body);
  const inputTokens = estimatePromptTokens(body.messages);
  const usage = { input_tokens: inputTokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: reply.outputTokens };
  const message = { id: parts.id, type: 'message', role: 'assistant', model: parts.model };
  const tools = reply.toolCalls.map((c) => ({ type: 'tool_use', id: c.id, name: c.name, input: c.input }));

  if (body.stream !== true) {
    const text = reply.text !== '' || tools.length === 0 ? [{ type: 'text', text: reply.text }] : [];
    const content = [...text, ...tools];
    return { type: 'json', status: 200, body: { ...message, content, stop_reason: reply.stopReason, stop_sequence: reply.stopSequence, usage } };
  }

  const frames = [
    // As the real API does, message_start carries a placeholder output count.
    sseEvent('message_start', { message: { ...message, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 1 } } }),
  ];
  let index = 0;
  if (reply.text !== '' || tools.length === 0) {
    frames.push(sseEvent('content_block_start', { index, content_block: { type: 'text', text: '' } }));
    for (const token of tokenize(reply.text)) frames.push(sseEvent('content_block_delta', { index, delta: { type: 'text_delta', text: token } }));
    frames.push(sseEvent('content_block_stop', { index: index++ }));
  }
  for (const tool of tools) {
    frames.push(sseEvent('content_block_start', { index, content_block: { ...tool, input: {} } }));
    for (const piece of ['', ...halves(JSON.stringify(tool.input))]) {
      frames.push(sseEvent('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: piece } }));
    }
    frames.push(sseEvent('content_block_stop', { index: index++ }));
  }
  // The real API sends a ping early, after the first block starts.
  frames.splice(2, 0, sseEvent('ping', {}));
  frames.push(sseEvent('message_delta', { delta: { stop_reason: reply.stopReason, stop_sequence: reply.stopSequence }, usage: { output_tokens: reply.outputTokens } }));
  frames.push(sseEvent('message_stop', {}));
  return { type: 'sse', frames };
}

// A fixed date keeps model listings identical across runs.
const MODEL_CREATED_AT = '2025-01-01T00:00:00Z';

/** The `GET /models` list, in Anthropic's shape (the relay's own, with a fixed date). */
export function anthropicModelList(models: readonly string[]): object {
  return modelList(models, { createdAt: MODEL_CREATED_AT });
}
