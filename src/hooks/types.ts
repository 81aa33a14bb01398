/**
 * @module
 * The hooks a host gives the relay to shape requests and answers (`createRelay({ hooks })`).
 * Every hook may be async, gets an `AbortSignal` that aborts when its time budget
 * (`hooksTimeoutMs`) runs out or the client leaves, and runs inside the engine, so limits,
 * budgets, breakers and accounting stay exact whatever it returns. A hook that throws or
 * overruns fails the request with `hook_failed` (500, naming the hook), never a crash or
 * a hung stream.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { FormatName } from '../formats/names.js';

/** A configured target as hooks see it. */
export interface HookTarget {
  provider: string;
  model: string;
}

/** A target as `beforeAttempt` sees it: what it is about to be sent, and why. */
export interface HookAttempt extends HookTarget {
  /**
   * The body this target would get: its chat body (parameters already adapted) for a
   * translated target, the client's own request for a native one. Return `{ body }` to
   * change it for this attempt.
   */
  body: Record<string, unknown>;
  /** Whether the target speaks the client's API (no translation). */
  native: boolean;
  /** 1-based attempt number on this target. */
  attempt: number;
  /** What started the attempt. */
  cause: 'first' | 'retry' | 'hedge' | 'resume';
}

/** What every hook is told about the request. */
export interface HookContext {
  /** The API the client speaks. */
  format: FormatName;
  /** The client's parsed request body (its own format's shape). */
  body: Record<string, unknown>;
  /** The public model or chain the client asked for. */
  model: string;
  /** The caller key (`callers.key`), when there is one. */
  caller?: string;
  /** The client's request headers (never forwarded upstream as they are). */
  headers: IncomingHttpHeaders;
  requestId: string;
  /** Aborts when the hook's time budget runs out or the client leaves. */
  signal: AbortSignal;
}

/** Refuses a request (or an answer) in the client's own error envelope. */
export interface HookReject {
  reject: { status?: number; message: string; code?: string };
}

/** What `beforeRequest` may return. */
export type BeforeRequestResult =
  | void
  | undefined
  | HookReject
  /** A rewritten body, validated again as the client's. */
  | { body: Record<string, unknown> }
  /** A narrower chain: names of configured public models or chains, tried in order. */
  | { models: string[] };

/** What `beforeAttempt` may return. */
export type BeforeAttemptResult =
  | void
  | undefined
  /** The body for this target only (its chat body, or the client's body for a native target). */
  | { body: Record<string, unknown> }
  /** Skip this target as `unsupported`, with a reason. */
  | { skip: string };

/** The answer `afterResponse` sees. */
export interface HookAnswer {
  stream: boolean;
  /** The JSON answer as the client will get it (JSON requests only). */
  body?: Record<string, unknown>;
  /** A stream's text and tool calls, assembled at its end (streams only). */
  text?: string;
  toolCalls?: { name: string; arguments: string }[];
  /** Who served it. */
  target: HookTarget;
}

/** What `afterResponse` may return for a JSON answer (a stream's is only observed). */
export type AfterResponseResult = void | undefined | HookReject | { body: Record<string, unknown> };

/** One stream event, in the client's format. */
export interface HookEvent {
  /** The SSE event name (Responses, Messages), or undefined (chat). */
  event?: string;
  /** The event's JSON data (`[DONE]` is not shown to hooks). */
  data: Record<string, unknown>;
}

/** What `onChunk` may return. */
export type OnChunkResult =
  | void
  | undefined
  | { drop: true }
  | { event: HookEvent }
  /** End the stream with an error event in the client's format. */
  | { reject: { message: string; code?: string } };

type Maybe<T> = T | Promise<T>;

/**
 * The hooks. Names are a contract.
 *
 * @example
 * ```ts
 * createRelay({
 *   ...config,
 *   hooks: {
 *     beforeRequest: (ctx) => (ctx.caller === undefined ? { reject: { status: 401, message: 'Sign in first.' } } : undefined),
 *     onChunk: (ctx, e) => (JSON.stringify(e.data).includes('forbidden') ? { reject: { message: 'The answer broke our rules.', code: 'policy' } } : undefined),
 *   },
 * });
 * ```
 */
export interface RelayHooks {
  /** After validation, before routing: reject, rewrite the body, or narrow the chain. */
  beforeRequest?(ctx: HookContext): Maybe<BeforeRequestResult>;
  /** Once per upstream attempt (first try, retry, hedge, resumed stream). */
  beforeAttempt?(ctx: HookContext, target: HookAttempt): Maybe<BeforeAttemptResult>;
  /** A JSON answer before it is sent (may replace or reject it); a stream's at its end (observe only). */
  afterResponse?(ctx: HookContext, answer: HookAnswer): Maybe<AfterResponseResult>;
  /** Each stream event before it is written. */
  onChunk?(ctx: HookContext, event: HookEvent): Maybe<OnChunkResult>;
  /** The request ended in an error the client gets (observe only). */
  onError?(ctx: HookContext, error: unknown): Maybe<void>;
}
