/**
 * @module
 * What the engine needs from a provider type: how to ask for a chat completion, how
 * to read its answers and errors. Everything is expressed in OpenAI's format on the
 * client side, so a provider that speaks another protocol translates here.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { ResolvedProvider } from '../config/resolved.js';
import type { FailureKind } from '../errors/index.js';
import type { ResponseInfo } from '../events.js';
import type { EventBatch } from '../stream/event-batch.js';

/** The client's chat completion request, parsed. Fields the relay does not know pass through. */
export type ChatBody = Record<string, unknown> & { model: string; messages: unknown[]; stream?: boolean };

/** An upstream request, ready to send. */
export interface UpstreamRequest {
  /** Path below the provider's origin, base path included. */
  path: string;
  /** The JSON body (the client's own bytes, patched, where they could be kept). */
  body: string | Buffer;
  /** Headers of this request only, over the provider's own (a native client's `anthropic-beta`). */
  headers?: Record<string, string>;
}

/** What an upstream error body said, in OpenAI's terms. */
export interface UpstreamError {
  message: string;
  type?: string;
  code?: string | null;
  param?: string | null;
  /**
   * The failure kind, when the provider knows better than the HTTP status (Bedrock's
   * `ModelNotReadyException` is a 429 that means "server", not "rate limit").
   */
  kind?: FailureKind;
}

/** Thrown by a provider when an upstream answer cannot be read. */
export class BadResponse extends Error {
  /** Kind of failure when the body was an error object (an in-band error), else undefined. */
  constructor(
    message: string,
    readonly upstreamError?: UpstreamError,
  ) {
    super(message);
  }
}

/** The client's embeddings request, parsed. */
export type EmbeddingsBody = Record<string, unknown> & { model: string; input: unknown };

/** Token counts of an answer, in OpenAI's names. */
export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens?: number;
}

/** A checked upstream answer: the bytes for the client and what it cost in tokens. */
export interface Answer {
  body: Buffer;
  usage?: Usage;
  /** The answer's id, model and finish reasons, for telemetry. */
  info?: ResponseInfo;
}

/** Id, model and finish reasons of an OpenAI `chat.completion` object (never its content). */
export function infoOf(value: unknown): ResponseInfo {
  const v = value as { id?: unknown; model?: unknown; choices?: unknown } | null;
  const info: ResponseInfo = {};
  if (typeof v?.id === 'string') info.id = v.id;
  if (typeof v?.model === 'string') info.model = v.model;
  if (Array.isArray(v?.choices)) {
    const reasons = v.choices.map((c: { finish_reason?: unknown } | null) => c?.finish_reason).filter((r): r is string => typeof r === 'string');
    if (reasons.length > 0) info.finishReasons = reasons;
  }
  return info;
}

/** Reads OpenAI-style usage from any value, or undefined. */
export function usageOf(value: unknown): Usage | undefined {
  const u = (value as { usage?: Record<string, unknown> } | null)?.usage;
  if (!u || typeof u !== 'object') return undefined;
  const prompt = Number(u.prompt_tokens ?? 0);
  const completion = Number(u.completion_tokens ?? 0);
  return Number.isFinite(prompt) && Number.isFinite(completion) ? { prompt_tokens: prompt, completion_tokens: completion } : undefined;
}

/** Where an answer came from: providers whose answers do not name the model, or whose API depends on it, read it here. */
export interface AnswerContext {
  provider: ResolvedProvider;
  model: string;
}

/** The API operations the relay serves. */
export type Endpoint = 'chat' | 'embeddings';

/** The client formats a provider may speak natively besides chat. */
export type NativeFormatName = 'responses' | 'messages';

/** One SSE event of a native stream: its name (when the upstream names it) and data. */
export interface NativeEvent {
  event?: string;
  data: string;
}

/**
 * A client format a provider speaks natively for a model: the client's own body goes
 * upstream (only `model` changes) and the answer comes back untranslated, so nothing is
 * lost (reasoning items, hosted tools, thinking signatures, `cache_control`).
 */
export interface NativeFormat {
  /**
   * The upstream request for the client's `body` on `model`. `clientHeaders` are the
   * client's headers the format lets through (Messages: `anthropic-version`, `anthropic-beta`).
   */
  request(provider: ResolvedProvider, body: Record<string, unknown>, model: string, clientHeaders: Record<string, string>): UpstreamRequest;
  /** The upstream's stream as events of the client's format. */
  events(body: AsyncIterable<Uint8Array>, maxEventBytes: number): AsyncGenerator<NativeEvent>;
  /** The same events as batches of the upstream's bytes (one per read), for SSE upstreams: forwarded untouched. */
  batches?(body: AsyncIterable<Uint8Array>, maxEventBytes: number): AsyncGenerator<EventBatch>;
}

export interface ProviderAdapter {
  /**
   * Builds the upstream request for `model` on `provider`. `raw`: the bytes `body` was
   * parsed from, when the relay read them itself and nothing changed the body since; a
   * provider that sends the body as it came may patch them instead of serialising `body`.
   */
  chatRequest(provider: ResolvedProvider, body: ChatBody, model: string, raw?: Buffer): UpstreamRequest;
  /**
   * Reads an error body (any status) into message/code, if it is one. `headers` are the
   * response's (Bedrock names its error type in `x-amzn-errortype`).
   */
  parseError(text: string, headers?: IncomingHttpHeaders): UpstreamError | undefined;
  /**
   * Checks a 2xx non-streaming body and returns the OpenAI `chat.completion` bytes to
   * send (the same buffer when no translation is needed) with its usage. Throws
   * {@link BadResponse}.
   */
  completion(raw: Buffer, context?: AnswerContext): Answer;
  /** Builds an embeddings request; absent when the provider has no embeddings API. */
  embeddingsRequest?(provider: ResolvedProvider, body: EmbeddingsBody, model: string, raw?: Buffer): UpstreamRequest;
  /** Checks a 2xx embeddings body and returns the OpenAI `list` bytes to send, with usage. Throws {@link BadResponse}. */
  embeddings?(raw: Buffer, context?: AnswerContext): Answer;
  /**
   * Turns an upstream SSE body into OpenAI chunk payloads (`data:` contents, `[DONE]`
   * last). Throws {@link BadResponse} on an unreadable or in-band error event.
   */
  chunks(body: AsyncIterable<Uint8Array>, maxEventBytes: number, context?: AnswerContext): AsyncGenerator<string>;
  /**
   * What `chunks` yields, as batches of the upstream's own bytes (one per read), for a
   * provider whose chunks need no translation: the engine forwards them untouched where
   * the client asked for nothing else. Same checks, same errors, same end as `chunks`.
   */
  batches?(body: AsyncIterable<Uint8Array>, maxEventBytes: number): AsyncGenerator<EventBatch>;
  /**
   * The content type of a streamed answer (a 2xx with another type is read as a whole body).
   * @default 'text/event-stream'
   */
  streamContentType?: string;
  /** The client format other than chat this provider speaks natively for `model`, if it does. */
  native?(format: NativeFormatName, provider: ResolvedProvider, model: string): NativeFormat | undefined;
}
