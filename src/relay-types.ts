/**
 * @module
 * The shapes that go in and out of a relay: a request, who served it, the result, and
 * what `targets()` reports.
 */
import type { AttemptRecord } from './errors/index.js';
import type { Strategy } from './options.js';
import type { BreakerSnapshot } from './policy/breaker.js';
import type { FormatName } from './formats/format.js';
import type { ClientStream } from './stream/client-stream.js';

/** One request handed to the relay by an adapter or by host code. */
export interface RelayRequest {
  /**
   * Which API the body is in: `chat` (Chat Completions), `responses` (OpenAI Responses),
   * `messages` (Anthropic Messages) or `embeddings`.
   * @default 'chat'
   */
  format?: FormatName;
  /** The parsed JSON body of the request, in `format`'s shape. */
  body: unknown;
  /**
   * The bytes `body` was parsed from, when the caller read them itself and changed
   * nothing since: an OpenAI-compatible target then gets them with `model` patched in,
   * instead of the body serialised again. Leave it out when `body` was altered.
   */
  rawBody?: Buffer;
  /**
   * The client's request headers; only those its format passes to a native target are
   * used (Messages: `anthropic-version`, `anthropic-beta`). Credentials never are.
   */
  headers?: Record<string, string | string[] | undefined>;
  /** Aborts the request (the client went away); upstream work stops at once. */
  signal?: AbortSignal;
  /**
   * A controller the caller owns and gives to the relay instead of `signal`: the relay
   * aborts it at the deadline, the caller when its client leaves (with a
   * `ClientClosedError`). Saves a second controller per request on the HTTP path.
   */
  controller?: AbortController;
  /** Correlation id; generated when absent. */
  requestId?: string;
  /** A chain chosen by the client (the `x-switchyard-chain` header); wins over `model`. */
  chain?: string;
  /** The caller's key for per-caller limits and budgets (see `callers.key`). */
  caller?: string;
}

/** Who served a request and how. */
export interface RelayMeta {
  requestId: string;
  /** The public model asked for. */
  model: string;
  /** Provider that served. */
  provider: string;
  /** The provider's own model id that served. */
  upstreamModel: string;
  /** Every attempt made, skipped targets included. */
  attempts: AttemptRecord[];
  /** The public model or chain that routed the request (a comma list for per-request fallbacks). */
  chain: string;
  /** The routing strategy used. */
  strategy: Strategy;
  /** Targets (`provider/model`) skipped or failed before the one that served. */
  fallbacks: string[];
  /** Cost in US$ (non-streaming answers; a stream reports it in its last chunk). */
  costUsd?: number;
  /** Response cache outcome, when the cache is on and the request cacheable. */
  cache?: 'hit' | 'miss' | 'stale';
  /** Extra headers for the client (the caller's `x-ratelimit-*`). */
  headers?: Record<string, string>;
}

/** A successful relay answer: a complete JSON body or a committed stream. */
export type RelayResult =
  | { stream: false; meta: RelayMeta; body: Buffer }
  | { stream: true; meta: RelayMeta; chunks: ClientStream };

/** A chat completion object as returned by `chat()` (OpenAI's `chat.completion`). */
export type ChatCompletion = Record<string, unknown> & { id: string; object: string; choices: unknown[] };
/** A streamed chunk (OpenAI's `chat.completion.chunk`). */
export type ChatCompletionChunk = Record<string, unknown> & { object: string; choices: unknown[] };

/** An embeddings answer (OpenAI's `list` of `embedding` objects). */
export type EmbeddingList = Record<string, unknown> & { object: string; data: { embedding: number[] | string; index: number }[] };

/** Options of the programmatic calls. */
export interface CallOptions {
  signal?: AbortSignal;
  requestId?: string;
  /** The caller's key, for per-caller limits and budgets. */
  caller?: string;
}

/** Target state, as `targets()` reports it. */
export interface TargetStatus {
  provider: string;
  model: string;
  breaker: BreakerSnapshot;
  /** EWMA of recent time to first byte, in ms (undefined before the first answer). */
  latencyMs: number | undefined;
  /** Requests in flight, streams included. */
  inFlight: number;
  /** Whether its provider is being drained. */
  draining: boolean;
  /** An operator's hold on the breaker, if any. */
  override: 'open' | 'closed' | undefined;
}
