/**
 * @module
 * Messages errors: Anthropic's envelope `{"type":"error","error":{"type","message"}}`
 * with the statuses Anthropic documents, so its SDK and Claude Code react as they would
 * to Anthropic itself (529 `overloaded_error` is retried with backoff, 400 is not).
 *
 * | relay status | Anthropic status and type |
 * |---|---|
 * | 400, 405, 408, 409, 422 | same status, `invalid_request_error` |
 * | 401 | 401 `authentication_error` |
 * | 402 | 402 `billing_error` |
 * | 403 | 403 `permission_error` |
 * | 404 | 404 `not_found_error` |
 * | 413 | 413 `request_too_large` |
 * | 429 | 429 `rate_limit_error` |
 * | 503 (every breaker open, shutting down, store down) | 529 `overloaded_error` |
 * | 504 (deadline) | 504 `timeout_error` |
 * | other 5xx (all targets failed, stream interrupted) | 500 `api_error` |
 */
import { isSwitchyardError, toErrorResponse } from '../../errors/index.js';
import type { FormatErrorResponse } from '../format.js';

/** The error `type` Anthropic sends with an HTTP status of its own. */
export function anthropicErrorType(status: number): string {
  switch (status) {
    case 401:
      return 'authentication_error';
    case 402:
      return 'billing_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 504:
      return 'timeout_error';
    case 529:
      return 'overloaded_error';
    default:
      return status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}

/** The status Anthropic would answer for a relay status. */
export function anthropicStatus(status: number): number {
  if (status === 503) return 529;
  if (status >= 500 && status !== 504 && status !== 529) return 500;
  return status;
}

/** An Anthropic error body. */
export function anthropicError(type: string, message: string): { type: 'error'; error: { type: string; message: string } } {
  return { type: 'error', error: { type, message } };
}

/** Anthropic's envelope and status for `err`; headers (`retry-after`, `x-ratelimit-*`) as on the chat route. */
export function messagesErrorResponse(err: unknown): FormatErrorResponse {
  const { status, headers, body } = toErrorResponse(err);
  const mapped = anthropicStatus(status);
  // The relay's own words name the field; Anthropic's envelope has no `param`.
  return { status: mapped, headers, body: anthropicError(anthropicErrorType(mapped), isSwitchyardError(err) ? err.message : body.error.message) };
}
