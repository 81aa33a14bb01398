/**
 * @module
 * The error classes, one per catalogue code (see `catalog.ts` for statuses and types).
 */
import { SwitchyardError, type AttemptRecord } from './base.js';

/** The relay configuration is invalid; `message` names the path of the bad field. */
export class InvalidConfigError extends SwitchyardError {
  constructor(
    /** Path of the bad field, e.g. `models["gpt-4.1"].targets[1].provider`. */
    readonly path: string,
    problem: string,
  ) {
    super('ERR_SWITCHYARD_INVALID_CONFIG', `${path}: ${problem}`);
  }
}

/** The client's request body is invalid (HTTP 400). */
export class InvalidRequestError extends SwitchyardError {
  constructor(message: string, param: string | null = null) {
    super('ERR_SWITCHYARD_INVALID_REQUEST', message, { param });
  }
}

/** The requested public model is not configured (HTTP 404). */
export class ModelNotFoundError extends SwitchyardError {
  constructor(model: string, param: string | null = 'model', message?: string) {
    super('ERR_SWITCHYARD_MODEL_NOT_FOUND', message ?? `The model \`${model}\` does not exist or you do not have access to it.`, { param });
  }
}

/** No route matches (HTTP 404), when the relay handler is the last one. */
export class RouteNotFoundError extends SwitchyardError {
  constructor(method: string, path: string) {
    super('ERR_SWITCHYARD_NOT_FOUND', `Unknown route: ${method} ${path}`);
  }
}

/** The route exists, but not for this method (HTTP 405 with `Allow`). */
export class MethodNotAllowedError extends SwitchyardError {
  constructor(method: string, allowed: string) {
    super('ERR_SWITCHYARD_METHOD_NOT_ALLOWED', `Method ${method} is not allowed here; use ${allowed}.`, { headers: { allow: allowed } });
  }
}

/** The request body exceeds `limits.maxBodyBytes` (HTTP 413). */
export class BodyTooLargeError extends SwitchyardError {
  constructor(limit: number) {
    super('ERR_SWITCHYARD_BODY_TOO_LARGE', `Request body exceeds the limit of ${limit} bytes.`);
  }
}

/** The request body did not arrive within `timeouts.bodyMs` (HTTP 408). */
export class RequestTimeoutError extends SwitchyardError {
  constructor(ms: number) {
    super('ERR_SWITCHYARD_BODY_TIMEOUT', `The request body did not arrive within ${ms} ms.`);
  }
}

/** Every target was tried and failed (HTTP 502). */
export class AllTargetsFailedError extends SwitchyardError {
  constructor(model: string, attempts: AttemptRecord[]) {
    const tried = attempts.filter((a) => a.outcome !== 'skipped' && a.outcome !== 'unsupported').length;
    super('ERR_SWITCHYARD_ALL_TARGETS_FAILED', `All upstream targets failed for model \`${model}\` (${tried} attempts).`, { attempts });
  }
}

/** No target could take the request at all (HTTP 400); `param` is the field the first could not carry. */
export class UnsupportedRequestError extends SwitchyardError {
  constructor(model: string, attempts: AttemptRecord[], param: string | null = null, status?: number) {
    const reasons = [...new Set(attempts.filter((a) => a.outcome === 'unsupported').map((a) => `${a.provider}/${a.model}: ${a.detail}`))];
    // A refusal that names its own 4xx (a stored response not found: 404) keeps it.
    super('ERR_SWITCHYARD_UNSUPPORTED_REQUEST', `No target of \`${model}\` can serve this request (${reasons.join('; ')}).`, {
      attempts,
      param,
      ...(status !== undefined && status >= 400 && status < 500 && status !== 400 ? { status } : {}),
    });
  }
}

/** Every target that was tried answered 429 (HTTP 429 with `Retry-After`). */
export class RateLimitedError extends SwitchyardError {
  constructor(model: string, attempts: AttemptRecord[], retryAfter: number) {
    super('ERR_SWITCHYARD_RATE_LIMITED', `Every upstream target for model \`${model}\` is rate limited; retry after ${retryAfter}s.`, { attempts, retryAfter });
  }
}

/** The caller is over its own rate limit (HTTP 429 with `Retry-After` and `x-ratelimit-*`). */
export class CallerRateLimitedError extends SwitchyardError {
  constructor(limit: 'requests' | 'tokens', perMinute: number, retryAfter: number, headers: Record<string, string>) {
    super('ERR_SWITCHYARD_CALLER_RATE_LIMITED', `Rate limit reached: ${perMinute} ${limit} per minute for this caller; retry after ${retryAfter}s.`, {
      openaiCode: limit === 'requests' ? 'rate_limit_exceeded' : 'tokens_rate_limit_exceeded',
      retryAfter,
      headers,
    });
  }
}

/** The request alone exceeds the caller's tokens per minute: it can never be served (HTTP 413, no `Retry-After`). */
export class LimitUnsatisfiableError extends SwitchyardError {
  constructor(tokens: number, perMinute: number, headers: Record<string, string>) {
    super(
      'ERR_SWITCHYARD_LIMIT_UNSATISFIABLE',
      `This request is estimated at ${tokens} tokens, more than this caller's limit of ${perMinute} tokens per minute: it cannot be served. Send a shorter prompt.`,
      { param: 'messages', headers },
    );
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
    super('ERR_SWITCHYARD_BUDGET_EXCEEDED', `Budget exceeded: the ${budget} budget of $${capUsd} is spent ($${spentUsd.toFixed(4)} so far).`);
  }
}

/** The store could not be reached and the configuration says to refuse (HTTP 503). */
export class StoreUnavailableError extends SwitchyardError {
  constructor(cause: unknown) {
    super('ERR_SWITCHYARD_STORE_UNAVAILABLE', 'The relay cannot check limits or budgets right now; retry shortly.', { retryAfter: 1, cause });
  }
}

/** Every target was skipped because its breaker is open (HTTP 503 with `Retry-After`). */
export class NoTargetAvailableError extends SwitchyardError {
  constructor(model: string, attempts: AttemptRecord[], retryAfter: number) {
    super('ERR_SWITCHYARD_NO_TARGET_AVAILABLE', `No upstream target is available for model \`${model}\`: every target is skipped (open breaker or drained provider).`, {
      attempts,
      retryAfter,
    });
  }
}

/** The overall deadline (`timeouts.totalMs`) passed before an answer (HTTP 504). */
export class DeadlineExceededError extends SwitchyardError {
  constructor(totalMs: number, attempts: AttemptRecord[] = []) {
    super('ERR_SWITCHYARD_TIMEOUT', `No upstream answered within the deadline of ${totalMs} ms.`, { attempts });
  }
}

/**
 * An upstream rejected the request itself (400/422 by default): the same request
 * would fail everywhere, so its status and message go back to the client.
 */
export class UpstreamRejectedError extends SwitchyardError {
  constructor(status: number, message: string, init: { type?: string; code?: string | null; param?: string | null; attempts: AttemptRecord[] }) {
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
    super('ERR_SWITCHYARD_STREAM_INTERRUPTED', `The upstream stream was interrupted: ${detail}`, { attempts, cause });
  }
}

/** The client went away; nothing is sent. */
export class ClientClosedError extends SwitchyardError {
  constructor() {
    super('ERR_SWITCHYARD_CLIENT_CLOSED', 'The client closed the connection.');
  }
}

/** The relay is closed or shutting down (HTTP 503). */
export class RelayClosedError extends SwitchyardError {
  constructor() {
    super('ERR_SWITCHYARD_CLOSED', 'The relay is shutting down; retry on another instance.', { retryAfter: 1 });
  }
}

/** A host hook threw or overran its time budget (HTTP 500). */
export class HookFailedError extends SwitchyardError {
  constructor(
    /** The hook's name (`beforeRequest`, ...). */
    readonly hook: string,
    what: string,
    cause?: unknown,
  ) {
    super('ERR_SWITCHYARD_HOOK_FAILED', `The ${hook} hook ${what}.`, { cause });
  }
}

/** A host hook refused the request or its answer, with its own status, message and code. */
export class RequestRejectedError extends SwitchyardError {
  constructor(message: string, status = 400, code?: string) {
    super('ERR_SWITCHYARD_REQUEST_REJECTED', message, { status, ...(code ? { openaiCode: code } : {}), type: status >= 500 ? 'server_error' : 'invalid_request_error' });
  }
}

/** The PII guardrail found personal data and is set to block (HTTP 400); names the kinds, never the values. */
export class PiiDetectedError extends SwitchyardError {
  constructor(
    readonly kinds: string[],
    where: 'request' | 'answer',
  ) {
    super('ERR_SWITCHYARD_PII_DETECTED', `The ${where} contains personal data (${[...kinds].sort().join(', ')}) and this relay does not let it through.`);
  }
}
