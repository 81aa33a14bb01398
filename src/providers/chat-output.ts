/**
 * @module
 * OpenAI `chat.completion` bodies and `chat.completion.chunk` payloads, for the providers
 * that translate answers from another shape (Bedrock's Converse, Gemini), so each of
 * them only maps its own fields.
 */
import { randomUUID } from 'node:crypto';
import type { Answer } from './provider.js';

type Json = Record<string, unknown>;

/** OpenAI usage, with the cached and reasoning details clients read for cost. */
export interface ChatUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
  completion_tokens_details?: { reasoning_tokens: number };
}

/** Usage from prompt, completion, cached and reasoning counts (reasoning is part of completion, as at OpenAI). */
export function chatUsage(prompt: number, completion: number, cached = 0, reasoning?: number): ChatUsage {
  const usage: ChatUsage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion, prompt_tokens_details: { cached_tokens: cached } };
  if (reasoning !== undefined) usage.completion_tokens_details = { reasoning_tokens: reasoning };
  return usage;
}

/** A tool call in a finished message. */
export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** One finished choice. */
export interface ChoiceParts {
  text: string;
  reasoning: string;
  toolCalls: ToolCall[];
  finish: string;
}

/** An id for an answer whose upstream gives none. */
export function newId(): string {
  return `chatcmpl-${randomUUID()}`;
}

/** A whole `chat.completion`, as bytes with its usage. */
export function completionAnswer(id: string, model: string, choices: ChoiceParts[], usage: ChatUsage | undefined): Answer {
  const completion: Json = {
    id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: choices.map((c, index) => {
      const message: Json = { role: 'assistant', content: c.text.length > 0 ? c.text : null, refusal: null };
      if (c.reasoning.length > 0) message.reasoning_content = c.reasoning;
      if (c.toolCalls.length > 0) message.tool_calls = c.toolCalls.map((t) => ({ id: t.id, type: 'function', function: { name: t.name, arguments: t.arguments } }));
      return { index, message, logprobs: null, finish_reason: c.finish };
    }),
  };
  if (usage) completion.usage = usage;
  return { body: Buffer.from(JSON.stringify(completion)), usage };
}

/** Writes the chunk payloads of one streamed answer, with one id, model and created. */
export class ChunkWriter {
  readonly created = Math.floor(Date.now() / 1000);

  constructor(
    public id: string,
    public model: string,
  ) {}

  /** A chunk with `choices`, and extra top-level fields. */
  chunk(choices: unknown[], extra?: Json): string {
    return JSON.stringify({ id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, choices, ...extra });
  }

  delta(delta: Json, finish: string | null = null, index = 0): string {
    return this.chunk([{ index, delta, logprobs: null, finish_reason: finish }]);
  }

  role(index = 0): string {
    return this.delta({ role: 'assistant', content: '' }, null, index);
  }

  toolStart(toolIndex: number, id: string, name: string, args = '', index = 0): string {
    return this.delta({ tool_calls: [{ index: toolIndex, id, type: 'function', function: { name, arguments: args } }] }, null, index);
  }

  toolArguments(toolIndex: number, args: string, index = 0): string {
    return this.delta({ tool_calls: [{ index: toolIndex, function: { arguments: args } }] }, null, index);
  }

  /** The usage chunk (`choices: []`), as OpenAI sends it last with `include_usage`. */
  usage(usage: ChatUsage): string {
    return this.chunk([], { usage });
  }
}
