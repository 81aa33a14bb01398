/**
 * @module
 * Typed errors. Every error switchyard throws or returns is a {@link SwitchyardError}
 * with a stable, literal-typed `code`. The HTTP status and the OpenAI `type`/`code`
 * that a client sees are decided here and nowhere else.
 */

/** Stable error codes. Documented in the README under "Errors". */
export type SwitchyardErrorCode =
  | 'ERR_SWITCHYARD_INVALID_CONFIG'
  | 'ERR_SWITCHYARD_INVALID_REQUEST'
  | 'ERR_SWITCHYARD_MODEL_NOT_FOUND'
  | 'ERR_SWITCHYARD_BODY_TOO_LARGE'
  | 'ERR_SWITCHYARD_BODY_TIMEOUT'
  | 'ERR_SWITCHYARD_NOT_FOUND'
  | 'ERR_SWITCHYARD_ALL_TARGETS_FAILED'
  | 'ERR_SWITCHYARD_RATE_LIMITED'
  | 'ERR_SWITCHYARD_CALLER_RATE_LIMITED'
  | 'ERR_SWITCHYARD_BUDGET_EXCEEDED'
  | 'ERR_SWITCHYARD_STORE_UNAVAILABLE'
  | 'ERR_SWITCHYARD_NO_TARGET_AVAILABLE'
  | 'ERR_SWITCHYARD_TIMEOUT'
  | 'ERR_SWITCHYARD_UPSTREAM_REJECTED'
  | 'ERR_SWITCHYARD_STREAM_INTERRUPTED'
  | 'ERR_SWITCHYARD_CLIENT_CLOSED'
  | 'ERR_SWITCHYARD_CLOSED';

/** Why an upstream attempt failed (or `ok`). Failover rules are keyed by these. */
export type FailureKind =
  | 'connect'
  | 'reset'
  | 'timeout'
  | 'rate_limit'
  | 'auth'
  | 'server'
  | 'bad_request'
  | 'context_length'
  | 'content_policy'
  | 'bad_response';

/**
 * One upstream attempt as reported to clients, events and errors. Never holds a key.
 */
export interface AttemptRecord {
  provider: string;
  model: string;
  /**
   * `ok`, a {@link FailureKind}, `skipped` when the target was not tried (open breaker,
   * context window too small), or `cancelled` when a hedged attempt lost the race.
   */
  outcome: 'ok' | 'skipped' | 'cancelled' | FailureKind;
  /** Upstream HTTP status, when one was received. */
  status?: number;
  /** Milliseconds from sending the request until the outcome was known. */
  latencyMs: number;
  /** Short reason in the relay's words, e.g. `breaker open`, `HTTP 503`, an error code. */
  detail?: string;
  /**
   * The upstream's own error message (redacted), for the client's error body and debug
   * header only: it may quote the prompt, so events never carry it.
   */
  message?: string;
}

const BRAND = Symbol.for('switchyard.error');

/**
 * Base class of every switchyard error.
 *
 * @example
 * ```ts
 * try { await relay.chat(body) } catch (err) {
 *   if (isSwitchyardError(err) && err.code === 'ERR_SWITCHYARD_ALL_TARGETS_FAILED') console.log(err.attempts)
 * }
 * ```
 */
export class SwitchyardError extends Error {
  /** HTTP status a client receives for this error. */
  readonly status: number;
  /** OpenAI envelope `type`. */
  readonly type: string;
  /** OpenAI envelope `code` (snake_case, stable). */
  readonly openaiCode: string;
  /** The request field at fault, when there is one. */
  readonly param: string | null;
  /** Upstream attempts made before this error, oldest first. */
  readonly attempts: AttemptRecord[];
  /** Seconds a client should wait before retrying, when known. */
  readonly retryAfter?: number;
  /** Extra response headers (e.g. `x-ratelimit-*`). */
  readonly headers?: Record<string, string>;

  constructor(
    readonly code: SwitchyardErrorCode,
    message: string,
    init: {
      status: number;
      type: string;
      openaiCode: string;
      param?: string | null;
      attempts?: AttemptRecord[];
      retryAfter?: number;
      headers?: Record<string, string>;
      cause?: unknown;
    },
  ) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = new.target.name;
    this.status = init.status;
    this.type = init.type;
    this.openaiCode = init.openaiCode;
    this.param = init.param ?? null;
    this.attempts = init.attempts ?? [];
    if (init.retryAfter !== undefined) this.retryAfter = init.retryAfter;
    if (init.headers !== undefined) this.headers = init.headers;
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/** True for any switchyard error, even one thrown by another copy of the package. */
export function isSwitchyardError(err: unknown): err is SwitchyardError {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[BRAND] === true;
}

/** The relay configuration is invalid; `message` names the path of the bad field. */
export class InvalidConfigError extends SwitchyardError {
  constructor(
    /** Path of the bad field, e.g. `models["gpt-4.1"].targets[1].provider`. */
    readonly path: string,
    problem: string,
  ) {
    super('ERR_SWITCHYARD_INVALID_CONFIG', `${path}: ${problem}`, {
      status: 500,
      type: 'server_error',
      openaiCode: 'invalid_config',
    });
  }
}

/** The client's request body is invalid (HTTP 400). */
export class InvalidRequestError extends SwitchyardError {
  constructor(message: string, param: string | null = null) {
    super('ERR_SWITCHYARD_INVALID_REQUEST', message, {
      status: 400,
      type: 'invalid_request_error',
      openaiCode: 'invalid_request',
      param,
    });
  }
}

/** The requested public model is not configured (HTTP 404). */
export class ModelNotFoundError extends SwitchyardError {
  constructor(model: string, param: string | null = 'model', message?: string) {
    super('ERR_SWITCHYARD_MODEL_NOT_FOUND', message ?? `The model \`${model}\` does not exist or you do not have access to it.`, {
      status: 404,
      type: 'invalid_request_error',
      openaiCode: 'model_not_found',
      param,
    });
  }
}

/** No route matches (HTTP 404), when the relay handler is the last one. */
export class RouteNotFoundError extends SwitchyardError {
  constructor(method: string, path: string) {
    super('ERR_SWITCHYARD_NOT_FOUND', `Unknown route: ${method} ${path}`, {
      status: 404,
      type: 'invalid_request_error',
      openaiCode: 'unknown_url',
    });
  }
}

/** The request body exceeds `limits.maxBodyBytes` (HTTP 413). */
export class BodyTooLargeError extends SwitchyardError {
  constructor(limit: number) {
    super('ERR_SWITCHYARD_BODY_TOO_LARGE', `Request body exceeds the limit of ${limit} bytes.`, {
      status: 413,
      type: 'invalid_request_error',
      openaiCode: 'request_too_large',
    });
  }
}

/** The request body did not arrive within `timeouts.bodyMs` (HTTP 408). */
export class RequestTimeoutError extends SwitchyardError {
  constructor(ms: number) {
    super('ERR_SWITCHYARD_BODY_TIMEOUT', `The request body did not arrive within ${ms} ms.`, {
      status: 408,
      type: 'invalid_request_error',
      openaiCode: 'request_timeout',
    });
  }
}

/** Every target was tried and failed (HTTP 502). */
export class AllTargetsFailedError extends SwitchyardError {
  constructor(model: string, attempts: AttemptRecord[]) {
    const tried = attempts.filter((a) => a.outcome !== 'skipped').length;
    super('ERR_SWITCHYARD_ALL_TARGETS_FAILED', `All upstream targets failed for model \`${model}\` (${tried} attempts).`, {
      status: 502,
      type: 'upstream_error',
      openaiCode: 'all_targets_failed',
      attempts,
    });
  }
}

/** Every target that was tried answered 429 (HTTP 429 with `Retry-After`). */
export class RateLimitedError extends SwitchyardError {
  constructor(model: string, attempts: AttemptRecord[], retryAfter: number) {
    super('ERR_SWITCHYARD_RATE_LIMITED', `Every upstream target for model \`${model}\` is rate limited; retry after ${retryAfter}s.`, {
      status: 429,
      type: 'rate_limit_error',
      openaiCode: 'rate_limit_exceeded',
      attempts,
      retryAfter,
    });
  }
}

/** The caller is over its own rate limit (HTTP 429 with `Retry-After` and `x-ratelimit-*`). */
export class CallerRateLimitedError extends SwitchyardError {
  constructor(limit: 'requests' | 'tokens', perMinute: number, retryAfter: number, headers: Record<string, string>) {
    super('ERR_SWITCHYARD_CALLER_RATE_LIMITED', `Rate limit reached: ${perMinute} ${limit} per minute for this caller; retry after ${retryAfter}s.`, {
      status: 429,
      type: 'rate_limit_error',
      openaiCode: limit === 'requests' ? 'rate_limit_exceeded' : 'tokens_rate_limit_exceeded',
      retryAfter,
      headers,
    });
  }
}

/** A spending cap (caller or public model) is reached (HTTP 402). */
export class BudgetExceededError extends SwitchyardError {
  constructor(
    /** Which budget: `caller "alice" (day)`, `model "gpt-4.1" (month)`. */
    readonly budget: string,
    capUsd: number,
    spentUsd: number,
  ) {
    super('ERR_SWITCHYARD_BUDGET_EXCEEDED', `Budget exceeded: the ${budget} budget of $${capUsd} is spent ($${spentUsd.toFixed(4)} so far).`, {
      status: 402,
      type: 'insufficient_quota',
      openaiCode: 'budget_exceeded',
    });
  }
}

/** The store could not be reached and the configuration says to refuse (HTTP 503). */
export class StoreUnavailableError extends SwitchyardError {
  constructor(cause: unknown) {
    super('ERR_SWITCHYARD_STORE_UNAVAILABLE', 'The relay cannot check limits or budgets right now; retry shortly.', {
      status: 503,
      type: 'server_error',
      openaiCode: 'store_unavailable',
      retryAfter: 1,
      cause,
    });
  }
}

/** Every target was skipped because its breaker is open (HTTP 503 with `Retry-After`). */
export class NoTargetAvailableError extends SwitchyardError {
  constructor(model: string, attempts: AttemptRecord[], retryAfter: number) {
    super('ERR_SWITCHYARD_NO_TARGET_AVAILABLE', `No upstream target is available for model \`${model}\`: every circuit breaker is open.`, {
      status: 503,
      type: 'upstream_error',
      openaiCode: 'no_available_target',
      attempts,
      retryAfter,
    });
  }
}

/** The overall deadline (`timeouts.totalMs`) passed before an answer (HTTP 504). */
export class DeadlineExceededError extends SwitchyardError {
  constructor(totalMs: number, attempts: AttemptRecord[] = []) {
    super('ERR_SWITCHYARD_TIMEOUT', `No upstream answered within the deadline of ${totalMs} ms.`, {
      status: 504,
      type: 'timeout_error',
      openaiCode: 'deadline_exceeded',
      attempts,
    });
  }
}

/**
 * An upstream rejected the request itself (400/404/422 by default): the same request
 * would fail everywhere, so its status and message go back to the client.
 */
export class UpstreamRejectedError extends SwitchyardError {
  constructor(
    status: number,
    message: string,
    init: { type?: string; code?: string | null; param?: string | null; attempts: AttemptRecord[] },
  ) {
    super('ERR_SWITCHYARD_UPSTREAM_REJECTED', message, {
      status,
      type: init.type ?? 'invalid_request_error',
      openaiCode: init.code ?? 'upstream_rejected',
      param: init.param ?? null,
      attempts: init.attempts,
    });
  }
}

/** A stream broke after content had reached the client; sent as an in-stream error event. */
export class StreamInterruptedError extends SwitchyardError {
  constructor(detail: string, attempts: AttemptRecord[], cause?: unknown) {
    super('ERR_SWITCHYARD_STREAM_INTERRUPTED', `The upstream stream was interrupted: ${detail}`, {
      status: 502,
      type: 'upstream_error',
      openaiCode: 'stream_interrupted',
      attempts,
      cause,
    });
  }
}

/** The client went away; nothing is sent. */
export class ClientClosedError extends SwitchyardError {
  constructor() {
    super('ERR_SWITCHYARD_CLIENT_CLOSED', 'The client closed the connection.', {
      status: 499,
      type: 'client_error',
      openaiCode: 'client_closed',
    });
  }
}

/** The relay is closed or shutting down (HTTP 503). */
export class RelayClosedError extends SwitchyardError {
  constructor() {
    super('ERR_SWITCHYARD_CLOSED', 'The relay is shutting down; retry on another instance.', {
      status: 503,
      type: 'server_error',
      openaiCode: 'relay_closed',
      retryAfter: 1,
    });
  }
}

/** The OpenAI-style error envelope a client receives. */
export interface ErrorEnvelope {
  error: {
    message: string;
    type: string;
    code: string | null;
    param: string | null;
    attempts?: AttemptRecord[];
  };
}

/**
 * Maps any error to the status, headers and OpenAI envelope a client receives.
 * Unknown errors become a 500 whose message says nothing about internals.
 */
export function toErrorResponse(err: unknown): { status: number; headers: Record<string, string>; body: ErrorEnvelope } {
  if (!isSwitchyardError(err)) {
    return {
      status: 500,
      headers: {},
      body: { error: { message: 'Internal relay error.', type: 'server_error', code: 'internal_error', param: null } },
    };
  }
  const headers: Record<string, string> = { ...err.headers };
  if (err.retryAfter !== undefined) headers['retry-after'] = String(err.retryAfter);
  const body: ErrorEnvelope = { error: { message: err.message, type: err.type, code: err.openaiCode, param: err.param } };
  if (err.attempts.length > 0 && err.status >= 500) body.error.attempts = err.attempts;
  if (err.status === 429) body.error.attempts = err.attempts;
  return { status: err.status, headers, body };
}
