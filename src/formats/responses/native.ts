/**
 * @module
 * Reading a native Responses stream (an OpenAI target with `responses: true`) without
 * changing it: where it commits, whether it reported an error in-band, and its usage.
 *
 * The commit point is the first event a client would show or act on: text or refusal
 * deltas, reasoning summary or reasoning text deltas, an output item that is neither a
 * message nor a reasoning item (a `function_call`, or a hosted tool call that already
 * ran), and the terminal `response.completed`/`response.incomplete` of an empty answer.
 * `response.created`, `in_progress`, an empty message or an encrypted reasoning item
 * are preamble: the engine may still fail over after them.
 */
import type { Usage } from '../../providers/provider.js';
import type { NativeStreamError, NativeWatch, UsageMeter } from '../format.js';
import { isObject } from '../check.js';
import { parseData } from '../sse.js';

const DELTAS = new Set(['response.output_text.delta', 'response.refusal.delta', 'response.reasoning_summary_text.delta', 'response.reasoning_text.delta']);
const PREAMBLE_ITEMS = new Set(['message', 'reasoning']);

/** Whether a native Responses event is content (see the module comment). */
export function responsesIsContent(eventName: string | undefined, data: string): boolean {
  const event = parseData(data);
  if (!event) return false;
  const type = typeof event.type === 'string' ? event.type : eventName;
  if (type === undefined) return false;
  if (DELTAS.has(type)) return typeof event.delta === 'string' && event.delta !== '';
  if (type === 'response.output_item.added') return isObject(event.item) && !PREAMBLE_ITEMS.has(String(event.item.type));
  return type === 'response.function_call_arguments.delta' || type === 'response.completed' || type === 'response.incomplete';
}

/** The error of an `error` or `response.failed` event, or undefined. */
export function responsesNativeError(eventName: string | undefined, data: string): NativeStreamError | undefined {
  const event = parseData(data);
  const type = (event && typeof event.type === 'string' ? event.type : eventName) ?? '';
  if (type !== 'error' && type !== 'response.failed') return undefined;
  // `error` nests its fields in recordings and flattens them in OpenAI's reference.
  const source = type === 'error' ? (isObject(event?.error) ? event.error : event) : isObject(event?.response) ? event.response.error : undefined;
  const e = isObject(source) ? source : {};
  return {
    message: typeof e.message === 'string' ? e.message : 'upstream reported an error',
    code: typeof e.code === 'string' ? e.code : typeof e.type === 'string' ? e.type : null,
  };
}

function usageOf(value: unknown): Usage | undefined {
  if (!isObject(value)) return undefined;
  const input = Number(value.input_tokens ?? 0);
  const output = Number(value.output_tokens ?? 0);
  if (!Number.isFinite(input) || !Number.isFinite(output)) return undefined;
  return { prompt_tokens: input, completion_tokens: output, total_tokens: input + output };
}

/** Usage from the terminal event of a stream, or from a Response body. */
export function responsesUsageMeter(): UsageMeter {
  let usage: Usage | undefined;
  return {
    event(_name, data) {
      const event = parseData(data);
      // Only terminal events carry usage; `response.created` has `usage: null`.
      if (event && isObject(event.response)) usage = usageOf(event.response.usage) ?? usage;
    },
    body(json) {
      const value = typeof json === 'string' ? parseData(json) : json;
      if (isObject(value)) usage = usageOf(value.usage) ?? usage;
    },
    usage: () => usage,
  };
}

/**
 * The events a native Responses stream is read for: every event that carries the
 * Response (its usage, the one to store, a failure) and errors. Deltas carry neither.
 */
export const responsesWatch: NativeWatch = {
  names: new Set(['error', 'response.failed', 'response.completed', 'response.incomplete', 'response.created', 'response.in_progress', 'response.queued']),
  literals: [Buffer.from('"response"'), Buffer.from('"error"')],
};
