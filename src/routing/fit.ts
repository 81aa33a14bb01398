/**
 * @module
 * Will the prompt fit? Estimates a chat request's tokens so targets whose context
 * window is too small are skipped before a round trip. OpenAI-family models are counted
 * with a real tokenizer (js-tiktoken, o200k_base, loaded on first use); others use a
 * documented estimate of one token per 3.5 characters, on the cautious side for
 * Claude-, Gemini-, DeepSeek- and Llama-style tokenizers on English text.
 */
import type { ResolvedTarget } from '../config.js';
import type { ChatBody } from '../providers/provider.js';

/** Tokens a chat message costs beyond its text (role and separators), as OpenAI counts them. */
const PER_MESSAGE = 4;
const CHARS_PER_TOKEN = 3.5;
const OPENAI_FAMILY = /^(gpt-|o\d|chatgpt|text-embedding)/;

type Encoder = { encode(text: string): number[] };
let encoder: Promise<Encoder> | undefined;

/** Loads the tokenizer once, on the first request that needs it. */
function loadEncoder(): Promise<Encoder> {
  encoder ??= Promise.all([import('js-tiktoken/lite'), import('js-tiktoken/ranks/o200k_base')]).then(
    ([lite, ranks]) => new lite.Tiktoken(ranks.default),
  );
  return encoder;
}

/** Every piece of text in a chat request's messages. */
function texts(body: ChatBody): string[] {
  const out: string[] = [];
  for (const message of body.messages as { content?: unknown; tool_calls?: unknown }[]) {
    const content = message?.content;
    if (typeof content === 'string') out.push(content);
    else if (Array.isArray(content)) {
      for (const part of content) if (typeof part?.text === 'string') out.push(part.text);
    }
    if (message?.tool_calls) out.push(JSON.stringify(message.tool_calls));
  }
  if (body.tools) out.push(JSON.stringify(body.tools));
  return out;
}

/** Output tokens the request reserves (`max_completion_tokens` or `max_tokens`), or 0. */
function reserved(body: ChatBody): number {
  const n = body.max_completion_tokens ?? body.max_tokens;
  return typeof n === 'number' && n > 0 ? n : 0;
}

/** Token estimates of one request: a real count for OpenAI-family models, an estimate otherwise. */
export interface PromptSize {
  tiktoken?: number;
  estimate: number;
  reserved: number;
}

/** Measures a request, with the tokenizer only if some target in `targets` needs it. */
export async function measure(body: ChatBody, targets: readonly ResolvedTarget[]): Promise<PromptSize> {
  const parts = texts(body);
  const overhead = PER_MESSAGE * body.messages.length;
  const chars = parts.reduce((n, t) => n + t.length, 0);
  const size: PromptSize = { estimate: Math.ceil(chars / CHARS_PER_TOKEN) + overhead, reserved: reserved(body) };
  if (targets.some((t) => t.contextWindow !== undefined && OPENAI_FAMILY.test(t.model))) {
    const enc = await loadEncoder();
    size.tiktoken = parts.reduce((n, t) => n + enc.encode(t).length, 0) + overhead;
  }
  return size;
}

/** Prompt tokens on `target` by the best count available. */
export function promptTokens(size: PromptSize, target: ResolvedTarget): number {
  return OPENAI_FAMILY.test(target.model) && size.tiktoken !== undefined ? size.tiktoken : size.estimate;
}

/** Whether the prompt plus the reserved output fit `target`'s context window (unknown windows fit). */
export function fits(size: PromptSize, target: ResolvedTarget): boolean {
  return target.contextWindow === undefined || promptTokens(size, target) + size.reserved <= target.contextWindow;
}
