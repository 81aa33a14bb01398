/**
 * @module
 * What an inbound API (a *format*) is to the relay: the interface every format folder
 * implements, and the small shapes they share.
 *
 * Layout, and why. The engine speaks one language, OpenAI Chat Completions (a
 * `ChatBody` in, `chat.completion` JSON or `chat.completion.chunk` payloads out), so a
 * format is exactly the two translations around it plus the wire details that only its
 * clients care about (its error envelope, its stream framing, where its native streams
 * commit and bill). Each format is a folder (`chat/`, `embeddings/`, `responses/`,
 * `messages/`) whose `index.ts` assembles one {@link ClientFormat} object from files
 * that each hold one direction or one concern (`request.ts` validates, `to-chat.ts`
 * translates in, `answer.ts` / `stream.ts` translate out, `native.ts` reads native
 * streams, `errors.ts` words errors), so a reader looking for "how does a Messages tool
 * call become a chat tool call" opens one file of one folder. What two formats share
 * lives next to this file: `chat-chunks.ts` reads the engine's stream once for every
 * format, `unsupported.ts` is the error that makes the engine skip a target, `sse.ts`
 * frames named events. Conversation state is Responses-only and lives in its folder.
 */
import type { EnvelopeOptions } from '../errors/envelope.js';
import type { ChatBody, Usage } from '../providers/provider.js';
import type { FormatName } from './names.js';

/** The inbound APIs. */
export type { FormatName } from './names.js';

/** An error as a format's client receives it: status, extra headers, JSON body. */
export interface FormatErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** What the answer translations need besides the engine's output. */
export interface AnswerContext<Req> {
  /** The validated client request (echoed fields such as `instructions`, `tools`, `metadata`). */
  request: Req;
  /** The public model name the client asked for; used when the upstream names none. */
  model: string;
  /**
   * The id the answer gets (`resp_…`, `msg_…`). Generated when absent; the relay passes
   * one when it must know the id before the answer exists (to store a Response).
   */
  id?: string;
  /**
   * Clock in ms since the epoch, for `created_at` and the like.
   * @default Date.now
   */
  now?: () => number;
}

/**
 * Turns the engine's stream (OpenAI `chat.completion.chunk` payloads) into the format's
 * SSE frames, one call per payload. Every method returns complete frames, ready to
 * write; none throws for content it does not understand (it is skipped).
 */
export interface StreamConverter {
  /**
   * One chunk payload from the engine (the `data:` contents; `[DONE]` is accepted and
   * emits nothing, the stream ends with {@link end}).
   */
  push(payload: string): string[];
  /**
   * The upstream finished: closes open items and emits the terminal events. `usage`, when
   * given, wins over usage the chunks carried (the engine's total, e.g. after a resume).
   */
  end(usage?: Usage): string[];
  /**
   * The stream broke after the commit point: the format's in-stream error (Responses
   * `error` then `response.failed`, Messages `event: error`). Nothing may follow.
   */
  error(err: unknown): string[];
}

/**
 * Reads token usage from a native stream or a native JSON body, for cost and budgets.
 * Feed it every event (or the body) and read {@link usage} at the end.
 */
/**
 * What a format reads in its native streams: events named one of `names` (or typed so,
 * when they carry no name), and events whose bytes hold one of `literals` (a key or a
 * type in quotes). An event with neither cannot be one the format reads, whatever its
 * JSON says, unless an escape spells one: those are read too.
 */
export interface NativeWatch {
  names: ReadonlySet<string>;
  literals: readonly Buffer[];
}

export interface UsageMeter {
  /** One SSE event of a native stream. */
  event(eventName: string | undefined, data: string): void;
  /** A whole native JSON body (text or parsed). */
  body(json: unknown): void;
  /** What was read, in OpenAI's names (prompt tokens include cached ones), or undefined. */
  usage(): Usage | undefined;
}

/** An error a native stream reported in-band, in the relay's terms. */
export interface NativeStreamError {
  message: string;
  /** The provider's error type or code (`overloaded_error`, `insufficient_quota`). */
  code: string | null;
}

/** What every format has, generative or not. */
export interface FormatBase<Req> {
  readonly name: FormatName;
  /**
   * Checks a parsed JSON body and returns it typed. Throws `InvalidRequestError` whose
   * `param` (and message) name the offending field, e.g. `input[2].content[0].type`.
   */
  validate(body: unknown): Req;
  /** The status, headers and body this format's clients expect for `err` (any value). */
  errorResponse(err: unknown, options?: EnvelopeOptions): FormatErrorResponse;
}

/**
 * An inbound API in front of the engine.
 *
 * @example
 * ```ts
 * const format = formats.responses;
 * const request = format.validate(body);
 * const chat = format.toChat(request);               // may throw UnsupportedFeature: skip the target
 * const convert = format.fromChatStream({ request, model: request.model });
 * for await (const payload of engineChunks) for (const frame of convert.push(payload)) res.write(frame);
 * for (const frame of convert.end()) res.write(frame);
 * ```
 */
export interface ClientFormat<Req = unknown> extends FormatBase<Req> {
  /**
   * The engine's request for a translated target. Throws `UnsupportedFeature` (field and
   * reason) for what no chat target can carry, such as a hosted tool: the engine skips
   * that target as `unsupported` and tries the others.
   */
  toChat(request: Req): ChatBody;
  /** A `chat.completion` (parsed JSON) as this format's JSON answer. */
  fromChatCompletion(completion: unknown, ctx: AnswerContext<Req>): unknown;
  /** A converter for one streamed answer. */
  fromChatStream(ctx: AnswerContext<Req>): StreamConverter;
  /**
   * The commit point of a native stream: whether this event carries something a client
   * would show or act on (text, a tool call, reasoning, the end of an empty answer).
   * Before it the engine may still fail over invisibly.
   */
  isContent(eventName: string | undefined, data: string): boolean;
  /** An in-band error event of a native stream, or undefined. */
  nativeError(eventName: string | undefined, data: string): NativeStreamError | undefined;
  /** A fresh usage reader for one native answer. */
  nativeUsage(): UsageMeter;
  /**
   * The events of a native stream that `nativeUsage`, `nativeError` and the relay's own
   * reading (the end, the Response to store) look into; the others pass unread.
   * Without it every event is read.
   */
  readonly nativeWatch?: NativeWatch;
  /**
   * Client request headers (lower case) that a native target of this format receives as
   * they came: `anthropic-version` and `anthropic-beta` for Messages. Every other client
   * header stays with the relay (the client's credentials above all).
   */
  readonly nativeHeaders: readonly string[];
}
