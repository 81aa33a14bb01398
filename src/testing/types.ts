/**
 * @module
 * The public shapes of the mock upstream: what a fault can do, what gets
 * recorded about each request, and the handle a test holds.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { MockAwsCredentials } from './sigv4-check.js';

/**
 * What to do wrong for one request. Fields combine where that makes sense;
 * when several "kinds" are set, the first that applies wins, in this order:
 * `firstByteDelayMs` (always waited first), `reset`, `hang`, `status`
 * (or `retryAfter` alone), `raw`, `malformed`, then a normal response shaped
 * by `dieAfterChunks`, `errorAfterChunks` and `dripMs`.
 *
 * Faults apply to whatever the route would have answered, so a fault on a
 * streaming request breaks the stream and a fault on a JSON request breaks
 * the JSON.
 */
export interface MockFault {
  /** Respond with this HTTP status and an error body in the mock's protocol (or `body` if given). */
  status?: number;
  /**
   * `Retry-After` header to send with `status`: seconds as a number, or an
   * HTTP-date string sent as is. Set without `status`, it implies 429.
   */
  retryAfter?: number | string;
  /**
   * Body to send with `status`: an object is sent as JSON, a string or Buffer
   * as is (with `contentType`).
   * @default {"error":{"message":"mock error <status>","type":<by status>,"code":null,"param":null}}
   *   where type is `rate_limit_error` (429), `authentication_error` (401),
   *   `permission_error` (403), `invalid_request_error` (other 4xx) or
   *   `server_error`. Anthropic mode: `{"type":"error","error":{"type":<by status>,"message":"mock error <status>"}}`
   *   with Anthropic's types (`overloaded_error` for 529, `api_error` for other 5xx, ...).
   */
  body?: unknown;
  /** Reset the connection (TCP RST) before any response byte. */
  reset?: boolean;
  /** Never respond, until the client goes away or the server closes. */
  hang?: boolean;
  /** Wait this long (ms) before sending headers, then respond as otherwise decided. */
  firstByteDelayMs?: number;
  /**
   * Streaming: send this many SSE events (the role preamble, or Anthropic's
   * `message_start`, counts as the first), then destroy the socket.
   * Non-streaming: send the headers (with the full `content-length`) and half
   * the JSON body, then destroy. With `raw`, events are the `\n\n`-separated
   * pieces of `raw`.
   */
  dieAfterChunks?: number;
  /**
   * Streaming: after this many events, send an in-stream
   * `data: {"error":{...}}` event and end the response without `[DONE]`
   * (Anthropic mode: `event: error` with an `overloaded_error`, and no `message_stop`).
   * Ignored for non-streaming requests.
   */
  errorAfterChunks?: number;
  /**
   * Non-streaming: 200 with a body that is not valid JSON (the first half of
   * the real body). Streaming: 200 with a first `data:` event that is not
   * valid JSON, then end.
   */
  malformed?: boolean;
  /**
   * Delay (ms) between SSE events, instead of the server's `chunkDelayMs`.
   * Non-streaming: the body goes out in four pieces with this delay between.
   */
  dripMs?: number;
  /**
   * Exact bytes to send as the 200 response body (fixture replay). With
   * `dripMs`, `dieAfterChunks` or `errorAfterChunks` it is split after each
   * `\n\n` (SSE event boundary); the bytes on the wire are unchanged.
   */
  raw?: string | Buffer;
  /**
   * Extra response headers (for example `x-amzn-errortype: ModelNotReadyException` with a
   * Bedrock `status`). They win over the mock's own.
   */
  headers?: Record<string, string>;
  /**
   * Content type for `raw`, or for a string/Buffer `body` sent with `status`.
   * @default `text/event-stream` when the request had `stream: true`, else `application/json`
   */
  contentType?: string;
}

/** One request as the mock received it. */
export interface MockRequest {
  /** 1-based order of arrival (restarts at 1 after `reset()`). */
  id: number;
  method: string;
  /** The URL path without the query string, e.g. `/v1/chat/completions`. */
  path: string;
  /** The query string without `?` (`alt=sse`), or `''`. */
  query: string;
  /** Headers exactly as Node parsed them (names lower-cased). */
  headers: IncomingHttpHeaders;
  /**
   * Parsed JSON body, or the raw string if it is not JSON, or `undefined`
   * if empty. `any` so tests can write `req.body.model` without casts.
   */
  body: any;
  /**
   * True once the client closed the connection before the response finished.
   * Connections the mock cut itself (`reset`, `dieAfterChunks`, `close()`)
   * do not count.
   */
  abandoned: boolean;
  /** The fault applied, if any. */
  fault?: MockFault;
}

/** One tool call in a {@link MockReply}. */
export interface MockToolCall {
  /**
   * The call's id.
   * @default `call_mock_<request id>_<n>` (OpenAI) or `toolu_mock_<request id>_<n>` (Anthropic)
   */
  id?: string;
  name: string;
  /**
   * The arguments, sent as `JSON.stringify(input)` (OpenAI) or as `input` (Anthropic).
   * @default {}
   */
  input?: Record<string, unknown>;
}

/**
 * A reply with tool calls: the text first (if any), then the calls, and finish reason
 * `tool_calls` (OpenAI) or stop reason `tool_use` (Anthropic).
 *
 * @example
 * ```ts
 * createMockUpstream({ reply: { toolCalls: [{ name: 'get_weather', input: { city: 'Paris' } }] } });
 * ```
 */
export interface MockReply {
  /** @default '' */
  text?: string;
  /** @default [] */
  toolCalls?: MockToolCall[];
}

/** Options for {@link createMockUpstream}; every field is optional. */
export interface MockUpstreamOptions {
  /**
   * Appears in the default reply, so a test can tell which upstream answered.
   * @default 'mock'
   */
  name?: string;
  /**
   * The assistant's reply: its text, a {@link MockReply} with tool calls, or a function
   * of the request returning either.
   * @default `Hello from ${name}! This is a streamed reply from a mock upstream.`
   */
  reply?: string | MockReply | ((req: MockRequest) => string | MockReply);
  /**
   * The API the mock speaks. `'openai'`: `POST {basePath}/chat/completions`,
   * `POST {basePath}/responses` (the Responses API: a Response object, or with
   * `stream: true` its typed events with `sequence_number`s; honours
   * `max_output_tokens` with status `incomplete`; `errorAfterChunks` sends an `error`
   * event then `response.failed`), `POST {basePath}/embeddings`, `GET {basePath}/models`,
   * OpenAI error envelopes.
   * `'anthropic'`: the Messages API, `POST {basePath}/messages` (JSON, or SSE with
   * `stream: true`: `message_start`, `content_block_start`, `ping`, one
   * `content_block_delta` per token, `content_block_stop`, `message_delta` with
   * `stop_reason` and usage, `message_stop`), and `GET {basePath}/models`. It answers
   * 400 `invalid_request_error` to a body without `max_tokens`, without a `messages`
   * array, or with a role other than `user`/`assistant`; honours `max_tokens` (stop
   * reason `max_tokens`) and `stop_sequences` (`stop_sequence`); answers
   * `POST {basePath}/messages/count_tokens` with `{input_tokens}`; and errors use
   * Anthropic's shape `{"type":"error","error":{"type","message"}}` (status 529 gives
   * `overloaded_error`). Every fault applies in both modes; in Anthropic mode
   * `errorAfterChunks` sends `event: error` with an `overloaded_error`.
   *
   * The cloud modes speak each cloud's wire protocol with the same faults (see
   * docs/providers.md): `'azure-openai'` (`/openai/deployments/{d}/chat/completions?api-version=`
   * and `/openai/v1/...`, `api-key` or bearer, Azure's error bodies), `'bedrock'`
   * (`/model/{id}/converse[-stream]` and `/invoke[-with-response-stream]`, AWS event-stream
   * framing, `x-amzn-errortype`, optional SigV4 checks with `sigv4`), `'gemini'`
   * (`/v1beta/models/{m}:generateContent`, `:streamGenerateContent?alt=sse`,
   * `:batchEmbedContents`, `x-goog-api-key`) and `'vertex'` (`/v1/projects/{p}/locations/{l}/publishers/
   * google|anthropic/models/{m}:…`, bearer tokens; Claude with Anthropic's body). Their
   * base path defaults to where the real API's paths start (`''`, or `/v1beta` for Gemini).
   * @default 'openai'
   */
  protocol?: 'openai' | 'anthropic' | 'azure-openai' | 'bedrock' | 'gemini' | 'vertex';
  /**
   * Bedrock mode: check each request's SigV4 signature against these credentials (a
   * request signed with others, or with a wrong signature, gets Bedrock's 403). Without
   * it any `authorization` header is accepted. Requests with a bearer token (Bedrock API
   * keys) are always accepted.
   */
  sigv4?: { credentials: readonly MockAwsCredentials[]; region?: string };
  /**
   * Answer as OpenAI's reasoning models do (OpenAI protocol, chat completions): a request
   * for a model matching this pattern (`true`: `o1`, `o3`, `o4-mini`, `gpt-5*`) that sends
   * `max_tokens`, a penalty, log probabilities or `logit_bias` gets 400
   * `unsupported_parameter`; `temperature` or `top_p` other than 1 gets 400
   * `unsupported_value`, each with OpenAI's own error body naming the `param`.
   * @default off
   */
  reasoningModels?: boolean | RegExp;
  /**
   * Delay (ms) between SSE events of healthy streams.
   * @default 0
   */
  chunkDelayMs?: number;
  /**
   * Fault applied to every completion request until `setFault()` changes it;
   * `reset()` goes back to this one.
   * @default none
   */
  fault?: MockFault;
  /**
   * Model ids listed by `GET {basePath}/models`; the first also stands in
   * when a request names no model.
   * @default ['mock-model']
   */
  models?: string[];
  /**
   * Path prefix of every route.
   * @default '/v1'
   */
  basePath?: string;
}

/**
 * A running mock upstream. The "server fault" and the queue apply only to
 * completion requests (chat completions and embeddings, the ones `count`
 * counts); `onRequest` sees every request and can fault any of them.
 */
export interface MockUpstream {
  /** `origin + basePath`, e.g. `http://127.0.0.1:53211/v1`; usable as a provider `baseURL`. */
  readonly url: string;
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  readonly port: number;
  /** Every request received, in order of arrival (a live array; `reset()` starts a new one). */
  readonly requests: readonly MockRequest[];
  /**
   * Number of `POST {basePath}/chat/completions`, `POST {basePath}/responses` and
   * `POST {basePath}/embeddings` requests received (Anthropic mode: `POST {basePath}/messages`).
   */
  readonly count: number;
  /** How many requests the client abandoned before the response finished. */
  readonly abandoned: number;
  /** Set the server fault (`null`: healthy) until changed. */
  setFault(fault: MockFault | null): void;
  /**
   * The next completion requests take these faults in order (`null`: healthy),
   * then the server fault applies again. Adds to what is already queued.
   */
  queueFaults(...faults: (MockFault | null)[]): void;
  /**
   * Decide per request (`null` to remove). A returned fault wins over the
   * queue and the server fault, and then no queued fault is used up;
   * `null` or `undefined` lets the queue and the server fault decide.
   */
  onRequest(decide: ((req: MockRequest) => MockFault | null | undefined) | null): void;
  /**
   * Resolves with the oldest abandoned request not yet handed out by an
   * earlier call, waiting for one if there is none, so calling it after the
   * client already hung up does not miss the event. Never settles if no
   * request is abandoned (not even on `close()`).
   */
  nextAbandoned(): Promise<MockRequest>;
  /**
   * Forget requests and counters, empty the queue, remove `onRequest` and put
   * back the server fault from the options. Requests still in flight finish
   * but no longer count.
   */
  reset(): void;
  /** Stop listening and destroy every open socket (hung requests included); idempotent. */
  close(): Promise<void>;
}
