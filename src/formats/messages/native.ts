/**
 * @module
 * Reading a native Messages stream (an Anthropic target) without changing it: where it
 * commits, whether it reported an error in-band, and its usage, with the helpers of
 * `providers/anthropic-response.ts` so both paths count tokens alike.
 *
 * The commit point is the first event a client would show or act on: a
 * `content_block_start` of a tool call, a server tool or redacted thinking (or a text
 * or thinking block that starts with text), a `content_block_delta` with text, thinking,
 * tool input or citations, and the `message_delta`/`message_stop` of an empty answer.
 * `message_start`, `ping`, an empty block start and a `signature_delta` are preamble.
 */
import { errorOf, mergeUsage, openaiUsage, type AnthropicUsage } from '../../providers/anthropic-response.js';
import type { Usage } from '../../providers/provider.js';
import { isObject } from '../check.js';
import type { NativeStreamError, NativeWatch, UsageMeter } from '../format.js';
import { parseData } from '../sse.js';

const DELTA_TEXT: Record<string, string> = { text_delta: 'text', thinking_delta: 'thinking', input_json_delta: 'partial_json' };

function nonEmpty(value: unknown): boolean {
  return typeof value === 'string' && value !== '';
}

/** Whether a native Messages event is content (see the module comment). */
export function messagesIsContent(eventName: string | undefined, data: string): boolean {
  const event = parseData(data);
  if (!event) return false;
  switch (event.type ?? eventName) {
    case 'content_block_start': {
      const block = isObject(event.content_block) ? event.content_block : {};
      if (block.type === 'text') return nonEmpty(block.text);
      if (block.type === 'thinking') return nonEmpty(block.thinking);
      return typeof block.type === 'string';
    }
    case 'content_block_delta': {
      const delta = isObject(event.delta) ? event.delta : {};
      const field = DELTA_TEXT[String(delta.type)];
      if (field) return nonEmpty(delta[field]);
      return delta.type === 'citations_delta';
    }
    case 'message_delta':
      return isObject(event.delta) && nonEmpty(event.delta.stop_reason);
    case 'message_stop':
      return true;
    default:
      return false;
  }
}

/** The error of an `error` event, or undefined. */
export function messagesNativeError(eventName: string | undefined, data: string): NativeStreamError | undefined {
  const event = parseData(data);
  if ((event?.type ?? eventName) !== 'error') return undefined;
  const error = errorOf(event) ?? { message: 'upstream sent an error event', code: null };
  return { message: error.message, code: error.code ?? null };
}

/** Usage from `message_start` and `message_delta` (later counts win), or from a message body. */
export function messagesUsageMeter(): UsageMeter {
  const usage: AnthropicUsage = {};
  let seen = false;
  const take = (value: unknown) => {
    if (!isObject(value)) return;
    seen = true;
    mergeUsage(usage, value);
  };
  return {
    event(eventName, data) {
      const event = parseData(data);
      if (!event) return;
      const type = event.type ?? eventName;
      if (type === 'message_start' && isObject(event.message)) take(event.message.usage);
      else if (type === 'message_delta') take(event.usage);
    },
    body(json) {
      const value = typeof json === 'string' ? parseData(json) : json;
      if (isObject(value)) take(value.usage);
    },
    usage(): Usage | undefined {
      if (!seen) return undefined;
      const { prompt_tokens, completion_tokens, total_tokens } = openaiUsage(usage);
      return { prompt_tokens, completion_tokens, total_tokens };
    },
  };
}

/** The events a native Messages stream is read for: the two that carry usage, and errors. */
export const messagesWatch: NativeWatch = {
  names: new Set(['error', 'message_start', 'message_delta']),
  literals: [Buffer.from('"error"'), Buffer.from('"message_start"'), Buffer.from('"message_delta"')],
};
