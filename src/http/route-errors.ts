/**
 * @module
 * Errors by route, for code that answers on the relay's behalf without going through its
 * handler (a framework's body parser refused the body before the relay saw it): which
 * envelope a route's clients expect, and the relay's own error for a body a host parser
 * rejected. Anthropic's envelope on the Messages routes, OpenAI's everywhere else.
 */
import type { ServerResponse } from 'node:http';
import { BodyTooLargeError, InvalidRequestError, SwitchyardError, toErrorResponse, type EnvelopeOptions } from '../errors/index.js';
import type { FormatErrorResponse } from '../formats/format.js';
import { messagesErrorResponse } from '../formats/messages/errors.js';
import { EMPTY_BODY, NOT_JSON } from './body.js';
import { sendJson } from './respond.js';

/** The relay's routes that take a JSON body, below its prefix. */
export const BODY_ROUTES: readonly string[] = ['/chat/completions', '/embeddings', '/responses', '/messages', '/messages/count_tokens'];

/** Whether `route` (below the prefix) is one of Anthropic's Messages API. */
function isMessagesRoute(route: string): boolean {
  return route === '/messages' || route.startsWith('/messages/');
}

/** The status, headers and body the clients of `route` expect for `err`. */
export function routeErrorResponse(route: string, err: unknown, options?: EnvelopeOptions): FormatErrorResponse {
  return isMessagesRoute(route) ? messagesErrorResponse(err) : toErrorResponse(err, options);
}

/** Writes `err` in the envelope of `route`. */
export function sendRouteError(res: ServerResponse, route: string, err: unknown, headers: Record<string, string> = {}): void {
  const { status, headers: errorHeaders, body } = routeErrorResponse(route, err);
  try {
    sendJson(res, status, { ...headers, ...errorHeaders }, JSON.stringify(body));
  } catch {
    res.destroy();
  }
}

/** Why a host's parser rejected a body. */
export type Rejection = 'invalid' | 'empty' | 'too_large' | 'encoding' | 'media_type';

/**
 * The relay's error for a body a host's parser rejected: the same codes and words as
 * when the relay reads the body itself (`too_large` with the parser's `limit` in bytes).
 */
export function parserRejection(why: Rejection, limit?: number): SwitchyardError {
  switch (why) {
    case 'too_large':
      return limit === undefined ? new SwitchyardError('ERR_SWITCHYARD_BODY_TOO_LARGE', 'Request body is too large.') : new BodyTooLargeError(limit);
    case 'empty':
      return new InvalidRequestError(EMPTY_BODY);
    case 'encoding':
      return new InvalidRequestError('The request body could not be read: its encoding or charset is not supported.');
    case 'media_type':
      return new InvalidRequestError('The request body must be JSON, sent with `Content-Type: application/json`.');
    case 'invalid':
      return new InvalidRequestError(NOT_JSON);
  }
}
