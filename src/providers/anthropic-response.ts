/**
 * @module
 * Anthropic answers in OpenAI's terms: error bodies, stop reasons, usage, and a whole
 * message as a `chat.completion`. The stream translation (`anthropic-stream.ts`) uses
 * the same mappings, so a streamed and a non-streamed answer agree.
 */
import { BadResponse, infoOf, type UpstreamError, type Answer } from './provider.js';

type Json = Record<string, unknown>;

/** Anthropic's token counts, as in a message or a `message_delta`. */
export interface AnthropicUsage {
  input_tokens?: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
  output_tokens?: number;
}

const USAGE_FIELDS = ['input_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens', 'output_tokens'] as const;

/** Copies the numeric usage fields of `from` over `into`: later reports win field by field. */
export function mergeUsage(into: AnthropicUsage, from: unknown): void {
  if (typeof from !== 'object' || from === null) return;
  for (const field of USAGE_FIELDS) {
    const value = (from as Json)[field];
    if (typeof value === 'number') into[field] = value;
  }
}

/**
 * OpenAI usage. Cache reads and writes count as prompt tokens, as OpenAI counts cached
 * prompt tokens inside `prompt_tokens`; `cached_tokens` is the part read from cache.
 */
export function openaiUsage(u: AnthropicUsage) {
  const cached = u.cache_read_input_tokens ?? 0;
  const prompt = (u.input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0) + cached;
  const completion = u.output_tokens ?? 0;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cached },
  };
}

/** OpenAI `finish_reason` for an Anthropic `stop_reason`. */
export function finishReason(stop: unknown): string | null {
  switch (stop) {
    case undefined:
    case null:
      return null;
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      // end_turn, stop_sequence, pause_turn and reasons added later: the turn is over.
      return 'stop';
  }
}

/** The error of an Anthropic error object (`{"type":"error","error":{...}}`), if it is one. */
export function errorOf(value: unknown): UpstreamError | undefined {
  const error = (value as { error?: unknown } | null)?.error;
  if (error === undefined || error === null) return undefined;
  if (typeof error === 'string') return { message: error };
  if (typeof error !== 'object') return undefined;
  const e = error as Json;
  const type = typeof e.type === 'string' ? e.type : undefined;
  return {
    message: typeof e.message === 'string' ? e.message : (type ?? 'upstream error'),
    type,
    // Anthropic has no separate code: its error type (`overloaded_error`, ...) is the code.
    code: type ?? null,
    param: null,
  };
}

/** Parses one JSON payload, or throws {@link BadResponse}. */
export function parseJson(text: string, what: string): Json {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new BadResponse(`upstream sent ${what} that is not JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new BadResponse(`upstream sent ${what} that is not a JSON object`);
  }
  return parsed as Json;
}

/** A whole Anthropic message as OpenAI's `chat.completion` bytes, with its usage. */
export function toChatCompletion(raw: Buffer): Answer {
  const msg = parseJson(raw.toString('utf8'), 'a body');
  const inband = errorOf(msg);
  if (inband || msg.type === 'error') throw new BadResponse(inband?.message ?? 'upstream error', inband);
  if (!Array.isArray(msg.content)) throw new BadResponse('upstream sent a message without content');

  let text = '';
  let reasoning = '';
  const toolCalls: Json[] = [];
  for (const block of msg.content as Json[]) {
    if (block?.type === 'text' && typeof block.text === 'string') text += block.text;
    else if (block?.type === 'thinking' && typeof block.thinking === 'string') reasoning += block.thinking;
    else if (block?.type === 'tool_use') {
      toolCalls.push({ id: block.id, type: 'function', function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) } });
    }
    // redacted_thinking, server tool blocks and block types added later carry nothing a
    // chat completions client can use.
  }
  const message: Json = { role: 'assistant', content: text.length > 0 ? text : null, refusal: null };
  if (reasoning.length > 0) message.reasoning_content = reasoning;
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  const usage: AnthropicUsage = {};
  mergeUsage(usage, msg.usage);
  const completion = {
    id: msg.id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: msg.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(msg.stop_reason) ?? 'stop' }],
    usage: openaiUsage(usage),
  };
  return { body: Buffer.from(JSON.stringify(completion)), usage: completion.usage, info: infoOf(completion) };
}
