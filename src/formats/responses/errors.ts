/**
 * @module
 * Responses errors: OpenAI's envelope (`{error:{message,type,code,param}}`) with the
 * relay's statuses, exactly as on the chat route, and the 404 for a response id the
 * relay does not hold.
 */
import { SwitchyardError, toErrorResponse, type EnvelopeOptions } from '../../errors/index.js';
import type { FormatErrorResponse } from '../format.js';

/** A stored response (or an item of one) that the relay does not hold (HTTP 404). */
export class ResponseNotFoundError extends SwitchyardError {
  constructor(
    /** The id asked for. */
    readonly id: string,
    /** The request field that named it (`previous_response_id`, `input[2].id`), if any. */
    param: string | null = null,
    what: 'Response' | 'Previous response' | 'Item' = 'Response',
  ) {
    super('ERR_SWITCHYARD_NOT_FOUND', `${what} with id '${id}' not found.`, {
      status: 404,
      type: 'invalid_request_error',
      openaiCode: 'not_found',
      param,
    });
  }
}

/** The OpenAI envelope and status for `err`. */
export function responsesErrorResponse(err: unknown, options?: EnvelopeOptions): FormatErrorResponse {
  return toErrorResponse(err, options);
}
