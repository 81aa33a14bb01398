/**
 * @module
 * The one prompt-size estimate the relay uses, for rate limits, budgets, the cost
 * strategy and the context-window check alike. It walks the parsed body once:
 *
 * - **Text** (message text, tool calls, tool definitions) counts one token per 3.5
 *   characters, on the cautious side for Claude-, Gemini-, DeepSeek- and Llama-style
 *   tokenizers on English text. For the context check of OpenAI-family models the real
 *   tokenizer (js-tiktoken, o200k_base, loaded on first use) counts it instead; text past
 *   {@link TOKENIZER_SAMPLE_CHARS} is counted on a sample and scaled, so a huge prompt
 *   costs the event loop a bounded time.
 * - **Media** (images, files, audio) counts a documented allowance per part and provider
 *   type ({@link MEDIA_TOKENS}), never the length of its base64 data: a 1 MB data URL is
 *   one image, not 260k tokens.
 * - Every message adds {@link PER_MESSAGE} tokens for its role and separators.
 *
 * Limits and budgets are corrected with the real usage after the answer, so an estimate
 * only has to be close and never absurd.
 */
import type { ResolvedTarget } from '../config.js';
import { jsonLength } from '../json/json-length.js';
import type { ProviderType } from '../options.js';

/** Tokens a chat message costs beyond its text (role and separators), as OpenAI counts them. */
export const PER_MESSAGE = 4;
/** Characters per text token where no tokenizer applies. */
export const CHARS_PER_TOKEN = 3.5;
/** Longest text the tokenizer reads whole; longer text is counted on a sample of this size and scaled. */
export const TOKENIZER_SAMPLE_CHARS = 32_768; // 32 Ki characters, a few ms

/**
 * Tokens assumed for one media part, by provider type: the price of a 1024×1024
 * high-detail image on OpenAI (85 + 4 × 170), Anthropic's (width × height) / 750 for an
 * image of about 1.15 megapixels, a few pages of a document, a minute of audio.
 */
export const MEDIA_TOKENS: Record<'default' | ProviderType, { image: number; file: number; audio: number }> = {
  default: { image: 1_000, file: 3_000, audio: 2_000 },
  openai: { image: 765, file: 3_000, audio: 2_000 },
  anthropic: { image: 1_600, file: 3_000, audio: 2_000 },
  'azure-openai': { image: 765, file: 3_000, audio: 2_000 },
  // Bedrock and Vertex mostly serve Claude here; Gemini tiles an image at 258 tokens per 768 px square.
  bedrock: { image: 1_600, file: 3_000, audio: 2_000 },
  vertex: { image: 1_600, file: 3_000, audio: 2_000 },
  gemini: { image: 1_032, file: 3_000, audio: 2_000 },
};

const OPENAI_FAMILY = /^(gpt-|o\d|chatgpt|text-embedding)/;

/** What one request is made of, measured once. */
export interface PromptEstimate {
  /** Characters of text. */
  chars: number;
  /** Text tokens by the tokenizer, when it was asked for (OpenAI-family context checks). */
  tokenized?: number;
  /** Media parts by kind. */
  images: number;
  files: number;
  audio: number;
  /** Messages (each adds {@link PER_MESSAGE}). */
  messages: number;
  /** Output tokens the request reserves (`max_completion_tokens`, `max_tokens`), or 0. */
  reserved: number;
}

type Part = { type?: unknown; text?: unknown; [key: string]: unknown };

function mediaKind(part: Part): 'image' | 'file' | 'audio' | undefined {
  const type = typeof part.type === 'string' ? part.type : '';
  if (type === 'image_url' || type === 'image' || type === 'input_image') return 'image';
  if (type === 'input_audio' || type === 'audio') return 'audio';
  if (type === 'file' || type === 'document' || type === 'input_file') return 'file';
  return undefined;
}

/** Measures a chat (or embeddings) body in one walk; no tokenizer. */
export function measurePrompt(body: Record<string, unknown>): PromptEstimate {
  const e: PromptEstimate = { chars: 0, images: 0, files: 0, audio: 0, messages: 0, reserved: reservedOutput(body) };
  const text = (value: unknown) => {
    if (typeof value === 'string') e.chars += value.length;
  };
  const parts = (content: unknown) => {
    if (typeof content === 'string') return text(content);
    if (!Array.isArray(content)) return;
    for (const part of content as Part[]) {
      if (part === null || typeof part !== 'object') continue;
      const kind = mediaKind(part);
      if (kind === 'image') e.images++;
      else if (kind === 'file') e.files++;
      else if (kind === 'audio') e.audio++;
      else text(part.text);
    }
  };
  if (Array.isArray(body.messages)) {
    e.messages = body.messages.length;
    for (const m of body.messages as { content?: unknown; tool_calls?: unknown }[]) {
      if (m === null || typeof m !== 'object') continue;
      parts(m.content);
      if (m.tool_calls !== undefined) e.chars += jsonLength(m.tool_calls);
    }
  } else if (body.input !== undefined) {
    // Embeddings: a string, strings, or token arrays (counted as they are).
    const inputs = Array.isArray(body.input) ? body.input : [body.input];
    for (const i of inputs) {
      if (typeof i === 'string') text(i);
      else if (Array.isArray(i)) e.chars += i.length * CHARS_PER_TOKEN;
      else if (typeof i === 'number') e.chars += CHARS_PER_TOKEN;
    }
  }
  if (body.tools !== undefined) e.chars += jsonLength(body.tools);
  return e;
}


/** Output tokens a request reserves (`max_completion_tokens` or `max_tokens`), or 0. */
export function reservedOutput(body: Record<string, unknown>): number {
  const n = body.max_completion_tokens ?? body.max_tokens ?? body.max_output_tokens;
  return typeof n === 'number' && n > 0 ? n : 0;
}

/**
 * Prompt tokens of a measured request, on `target` when given (its provider type sets the
 * media allowance, and the tokenizer's count is used for OpenAI-family models when taken).
 */
export function promptTokens(e: PromptEstimate, target?: ResolvedTarget): number {
  const media = MEDIA_TOKENS[target?.provider.type ?? 'default'] ?? MEDIA_TOKENS.default;
  const text = target && e.tokenized !== undefined && OPENAI_FAMILY.test(target.model) ? e.tokenized : Math.ceil(e.chars / CHARS_PER_TOKEN);
  return text + PER_MESSAGE * e.messages + e.images * media.image + e.files * media.file + e.audio * media.audio;
}

/** Whether the prompt plus the reserved output fit `target`'s context window (unknown windows fit). */
export function fits(e: PromptEstimate, target: ResolvedTarget): boolean {
  return target.contextWindow === undefined || promptTokens(e, target) + e.reserved <= target.contextWindow;
}

type Encoder = { encode(text: string): number[] };
let encoder: Promise<Encoder> | undefined;

/** Loads the tokenizer once, on the first request that needs it. */
function loadEncoder(): Promise<Encoder> {
  encoder ??= Promise.all([import('js-tiktoken/lite'), import('js-tiktoken/ranks/o200k_base')]).then(
    ([lite, ranks]) => new lite.Tiktoken(ranks.default),
  );
  return encoder;
}

/** Every piece of text of a chat body, in order. */
function texts(body: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const m of (Array.isArray(body.messages) ? body.messages : []) as { content?: unknown; tool_calls?: unknown }[]) {
    const content = m?.content;
    if (typeof content === 'string') out.push(content);
    else if (Array.isArray(content)) {
      for (const part of content as Part[]) if (part && mediaKind(part) === undefined && typeof part.text === 'string') out.push(part.text);
    }
    if (m?.tool_calls !== undefined) out.push(JSON.stringify(m.tool_calls));
  }
  if (body.tools !== undefined) out.push(JSON.stringify(body.tools));
  return out;
}

/**
 * Adds the tokenizer's count of the text to `e` (for OpenAI-family context checks).
 * Text longer than {@link TOKENIZER_SAMPLE_CHARS} is counted on an even sample and scaled.
 */
export async function tokenize(e: PromptEstimate, body: Record<string, unknown>): Promise<PromptEstimate> {
  const enc = await loadEncoder();
  const all = texts(body).join('\n');
  if (all.length <= TOKENIZER_SAMPLE_CHARS) {
    e.tokenized = enc.encode(all).length;
    return e;
  }
  const pieces = 8;
  const size = Math.floor(TOKENIZER_SAMPLE_CHARS / pieces);
  const step = Math.floor(all.length / pieces);
  let sampled = 0;
  for (let i = 0; i < pieces; i++) sampled += enc.encode(all.slice(i * step, i * step + size)).length;
  e.tokenized = Math.ceil((sampled * all.length) / (size * pieces));
  return e;
}

/** Whether a tokenizer count would change the verdict for any of `targets` (an OpenAI-family model with a window). */
export function needsTokenizer(targets: readonly ResolvedTarget[]): boolean {
  return targets.some((t) => t.contextWindow !== undefined && OPENAI_FAMILY.test(t.model));
}
