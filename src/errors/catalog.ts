/**
 * @module
 * The error catalogue: every stable code with the HTTP status a client receives, the
 * OpenAI envelope `type` and `code`, and one line on when it happens. The error classes
 * take their status and types from here, and the documentation is generated from it.
 */

/** One entry of the catalogue. */
export interface CatalogEntry {
  /** HTTP status a client receives. */
  status: number;
  /** OpenAI envelope `type`. */
  type: string;
  /** OpenAI envelope `code` (snake_case, stable). */
  openaiCode: string;
  /** When it happens, for the docs. */
  summary: string;
}

export const ERROR_CATALOG = {
  ERR_SWITCHYARD_INVALID_CONFIG: { status: 500, type: 'server_error', openaiCode: 'invalid_config', summary: 'The relay configuration is invalid; the message names the path of the bad field.' },
  ERR_SWITCHYARD_INVALID_REQUEST: { status: 400, type: 'invalid_request_error', openaiCode: 'invalid_request', summary: 'The request body is invalid; `param` names the field.' },
  ERR_SWITCHYARD_MODEL_NOT_FOUND: { status: 404, type: 'invalid_request_error', openaiCode: 'model_not_found', summary: 'The public model or chain asked for is not configured.' },
  ERR_SWITCHYARD_BODY_TOO_LARGE: { status: 413, type: 'invalid_request_error', openaiCode: 'request_too_large', summary: 'The request body exceeds `limits.maxBodyBytes`.' },
  ERR_SWITCHYARD_BODY_TIMEOUT: { status: 408, type: 'invalid_request_error', openaiCode: 'request_timeout', summary: 'The request body did not arrive within `timeouts.bodyMs`.' },
  ERR_SWITCHYARD_NOT_FOUND: { status: 404, type: 'invalid_request_error', openaiCode: 'unknown_url', summary: 'No route matches (when the relay handler is the last one).' },
  ERR_SWITCHYARD_METHOD_NOT_ALLOWED: { status: 405, type: 'invalid_request_error', openaiCode: 'method_not_allowed', summary: 'The route exists but not for this method; `Allow` says which.' },
  ERR_SWITCHYARD_ALL_TARGETS_FAILED: { status: 502, type: 'upstream_error', openaiCode: 'all_targets_failed', summary: 'Every target was tried and failed; `attempts` says how each went.' },
  ERR_SWITCHYARD_UNSUPPORTED_REQUEST: { status: 400, type: 'invalid_request_error', openaiCode: 'unsupported_request', summary: 'No target can take this request (a field none can carry, an endpoint none has); `attempts` gives each reason.' },
  ERR_SWITCHYARD_RATE_LIMITED: { status: 429, type: 'rate_limit_error', openaiCode: 'rate_limit_exceeded', summary: 'Every target tried answered 429, or is over its own limit; `Retry-After` says when to retry.' },
  ERR_SWITCHYARD_CALLER_RATE_LIMITED: { status: 429, type: 'rate_limit_error', openaiCode: 'rate_limit_exceeded', summary: 'The caller is over its own rate limit (`tokens_rate_limit_exceeded` for tokens); with `Retry-After` and `x-ratelimit-*`.' },
  ERR_SWITCHYARD_LIMIT_UNSATISFIABLE: { status: 413, type: 'invalid_request_error', openaiCode: 'request_exceeds_limit', summary: 'The request alone is larger than the caller’s tokens-per-minute limit: it can never be served, so no `Retry-After`.' },
  ERR_SWITCHYARD_BUDGET_EXCEEDED: { status: 402, type: 'insufficient_quota', openaiCode: 'budget_exceeded', summary: 'A caller or public-model spending cap is reached.' },
  ERR_SWITCHYARD_STORE_UNAVAILABLE: { status: 503, type: 'server_error', openaiCode: 'store_unavailable', summary: 'The store failed and `onStoreError` says `deny`; decided before any upstream call.' },
  ERR_SWITCHYARD_NO_TARGET_AVAILABLE: { status: 503, type: 'upstream_error', openaiCode: 'no_available_target', summary: 'Every target was skipped (open breakers, drained providers); `Retry-After` is the shortest cooldown.' },
  ERR_SWITCHYARD_TIMEOUT: { status: 504, type: 'timeout_error', openaiCode: 'deadline_exceeded', summary: 'The overall deadline (`timeouts.totalMs`) passed before an answer.' },
  ERR_SWITCHYARD_UPSTREAM_REJECTED: { status: 400, type: 'invalid_request_error', openaiCode: 'upstream_rejected', summary: 'An upstream rejected the request itself (the rules said `return`); its status and message are passed on.' },
  ERR_SWITCHYARD_STREAM_INTERRUPTED: { status: 502, type: 'upstream_error', openaiCode: 'stream_interrupted', summary: 'A stream broke after content reached the client; sent as an in-stream error event.' },
  ERR_SWITCHYARD_HOOK_FAILED: { status: 500, type: 'server_error', openaiCode: 'hook_failed', summary: 'A host hook threw or overran `hooksTimeoutMs`; the message names the hook.' },
  ERR_SWITCHYARD_REQUEST_REJECTED: { status: 400, type: 'invalid_request_error', openaiCode: 'request_rejected', summary: 'A host hook refused the request or the answer (its own status, message and code).' },
  ERR_SWITCHYARD_PII_DETECTED: { status: 400, type: 'invalid_request_error', openaiCode: 'pii_detected', summary: 'The PII guardrail (`mode: block`) found personal data; the message names the kinds, never the values.' },
  ERR_SWITCHYARD_CLIENT_CLOSED: { status: 499, type: 'client_error', openaiCode: 'client_closed', summary: 'The client went away; nothing is sent.' },
  ERR_SWITCHYARD_CLOSED: { status: 503, type: 'server_error', openaiCode: 'relay_closed', summary: 'The relay is closed or shutting down; retry on another instance.' },
} as const satisfies Record<string, CatalogEntry>;

/** Stable error codes. */
export type SwitchyardErrorCode = keyof typeof ERROR_CATALOG;
