/**
 * @module
 * What a client receives for an error: the status, headers and OpenAI envelope, decided
 * here and nowhere else.
 */
import { isSwitchyardError, type AttemptRecord } from './base.js';

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

/** How much of the attempts a client may see. */
export interface EnvelopeOptions {
  /**
   * Keep each attempt's upstream `message` (redacted, but it may quote the prompt or name
   * upstream internals): only for debug detail the host allows. Without it, attempts keep
   * provider, model, outcome, status, latency and the relay's own `detail`.
   * @default false
   */
  upstreamMessages?: boolean;
}

/**
 * Maps any error to the status, headers and OpenAI envelope a client receives.
 * Unknown errors become a 500 whose message says nothing about internals. Attempts go
 * with the errors that are about them: upstream failures (5xx), rate limits, and
 * requests no target could take.
 */
export function toErrorResponse(err: unknown, options: EnvelopeOptions = {}): { status: number; headers: Record<string, string>; body: ErrorEnvelope } {
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
  if (err.status === 429 || (err.attempts.length > 0 && (err.status >= 500 || err.code === 'ERR_SWITCHYARD_UNSUPPORTED_REQUEST'))) {
    body.error.attempts = options.upstreamMessages ? err.attempts : err.attempts.map(({ message: _, ...rest }) => rest);
  }
  return { status: err.status, headers, body };
}
