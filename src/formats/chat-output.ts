/**
 * @module
 * Reads the engine's output (a `chat.completion`, or `chat.completion.chunk` payloads)
 * into plain parts, once for every format: the Responses and Messages translations then
 * only decide how each part looks on their wire. Tolerant of what real providers send:
 * tool calls numbered from 1 (a gateway), continuation chunks that repeat `"id":""`
 * (qwen), `reasoning_content` (DeepSeek, the Anthropic translation) or `reasoning`
 * (OpenRouter, vLLM), usage in a last chunk with `choices: []`.
 */
import { randomBytes } from 'node:crypto';
import type { Usage } from '../providers/provider.js';

type Json = Record<string, unknown>;

/** OpenAI usage with the details the other formats report. */
export interface ChatUsage extends Usage {
  total_tokens: number;
  /** Prompt tokens read from cache (part of `prompt_tokens`). */
  cached_tokens: number;
  /** Completion tokens spent on reasoning (part of `completion_tokens`). */
  reasoning_tokens: number;
}

/** One thing a chunk says, in the order it says it. */
export type ChatPart =
  | { kind: 'meta'; id: string; model: string }
  | { kind: 'text'; text: string }
  | { kind: 'refusal'; text: string }
  | { kind: 'reasoning'; text: string }
  /** A new tool call; `call` numbers calls from 0 in order of appearance. */
  | { kind: 'tool_start'; call: number; id: string; name: string }
  | { kind: 'tool_args'; call: number; args: string }
  | { kind: 'finish'; reason: string }
  | { kind: 'usage'; usage: ChatUsage };

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

/** A random id with a prefix, e.g. `call_3f9a…` (24 hex digits). */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('hex')}`;
}

/** Chat usage with its details, or undefined when `value` holds none. */
export function chatUsage(value: unknown): ChatUsage | undefined {
  if (!isObject(value)) return undefined;
  const prompt = count(value.prompt_tokens);
  const completion = count(value.completion_tokens);
  const promptDetails = isObject(value.prompt_tokens_details) ? value.prompt_tokens_details : {};
  const completionDetails = isObject(value.completion_tokens_details) ? value.completion_tokens_details : {};
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: typeof value.total_tokens === 'number' ? value.total_tokens : prompt + completion,
    cached_tokens: count(promptDetails.cached_tokens),
    reasoning_tokens: count(completionDetails.reasoning_tokens),
  };
}

/** The usage a converter reports: the engine's total when it gave one, else the stream's. */
export function finalUsage(given: Usage | undefined, seen: ChatUsage | undefined): ChatUsage | undefined {
  if (!given) return seen;
  const usage = chatUsage(given)!;
  // The engine's total may carry no details; the stream's still hold.
  if (seen) {
    usage.cached_tokens ||= seen.cached_tokens;
    usage.reasoning_tokens ||= seen.reasoning_tokens;
  }
  return usage;
}

/** Reads the engine's chunk payloads of one answer; keeps what it needs to number tool calls. */
export class ChunkReader {
  private readonly calls = new Map<number, number>();
  private metaSent = false;

  /** The parts of one payload (none for `[DONE]` or what is not a JSON chunk). */
  read(payload: string): ChatPart[] {
    if (payload === '[DONE]') return [];
    let chunk: unknown;
    try {
      chunk = JSON.parse(payload);
    } catch {
      return [];
    }
    if (!isObject(chunk)) return [];
    const parts: ChatPart[] = [];
    // Azure sends a first chunk with `id: ""` and no choices: the real id comes later.
    if (!this.metaSent && typeof chunk.id === 'string' && chunk.id !== '') {
      this.metaSent = true;
      parts.push({ kind: 'meta', id: chunk.id, model: typeof chunk.model === 'string' ? chunk.model : '' });
    }
    const choice = Array.isArray(chunk.choices) ? chunk.choices.find((c) => isObject(c) && (c.index ?? 0) === 0) : undefined;
    if (isObject(choice)) {
      const delta = isObject(choice.delta) ? choice.delta : {};
      const reasoning = typeof delta.reasoning_content === 'string' ? delta.reasoning_content : delta.reasoning;
      if (typeof reasoning === 'string' && reasoning !== '') parts.push({ kind: 'reasoning', text: reasoning });
      if (typeof delta.content === 'string' && delta.content !== '') parts.push({ kind: 'text', text: delta.content });
      if (typeof delta.refusal === 'string' && delta.refusal !== '') parts.push({ kind: 'refusal', text: delta.refusal });
      if (Array.isArray(delta.tool_calls)) for (const call of delta.tool_calls) this.tool(call, parts);
      if (typeof choice.finish_reason === 'string' && choice.finish_reason !== '') parts.push({ kind: 'finish', reason: choice.finish_reason });
    }
    const usage = chatUsage(chunk.usage);
    if (usage) parts.push({ kind: 'usage', usage });
    return parts;
  }

  private tool(value: unknown, parts: ChatPart[]): void {
    if (!isObject(value)) return;
    const index = typeof value.index === 'number' ? value.index : 0;
    const fn = isObject(value.function) ? value.function : {};
    let call = this.calls.get(index);
    if (call === undefined) {
      call = this.calls.size;
      this.calls.set(index, call);
      const id = typeof value.id === 'string' && value.id !== '' ? value.id : newId('call');
      parts.push({ kind: 'tool_start', call, id, name: typeof fn.name === 'string' ? fn.name : '' });
    }
    if (typeof fn.arguments === 'string' && fn.arguments !== '') parts.push({ kind: 'tool_args', call, args: fn.arguments });
  }
}

/** A whole `chat.completion`, read. */
export interface ChatAnswer {
  id: string;
  model: string;
  text: string;
  refusal: string;
  reasoning: string;
  toolCalls: { id: string; name: string; arguments: string }[];
  /** `stop`, `length`, `tool_calls`, `content_filter`, ... */
  finish: string;
  usage: ChatUsage | undefined;
}

/** Reads the first choice of a `chat.completion`. */
export function readCompletion(completion: unknown): ChatAnswer {
  const c = isObject(completion) ? completion : {};
  const choice = Array.isArray(c.choices) ? c.choices.find((x) => isObject(x) && (x.index ?? 0) === 0) : undefined;
  const message = isObject(choice) && isObject(choice.message) ? choice.message : {};
  const reasoning = typeof message.reasoning_content === 'string' ? message.reasoning_content : message.reasoning;
  const toolCalls = (Array.isArray(message.tool_calls) ? message.tool_calls : []).filter(isObject).map((call) => {
    const fn = isObject(call.function) ? call.function : {};
    return {
      id: typeof call.id === 'string' && call.id !== '' ? call.id : newId('call'),
      name: typeof fn.name === 'string' ? fn.name : '',
      arguments: typeof fn.arguments === 'string' ? fn.arguments : '',
    };
  });
  return {
    id: typeof c.id === 'string' ? c.id : '',
    model: typeof c.model === 'string' ? c.model : '',
    text: typeof message.content === 'string' ? message.content : '',
    refusal: typeof message.refusal === 'string' ? message.refusal : '',
    reasoning: typeof reasoning === 'string' ? reasoning : '',
    toolCalls,
    finish: isObject(choice) && typeof choice.finish_reason === 'string' ? choice.finish_reason : 'stop',
    usage: chatUsage(c.usage),
  };
}
