/**
 * @module
 * `GET {prefix}/responses/{id}` and `DELETE {prefix}/responses/{id}` over the relay's
 * stored Responses, as status and JSON body for the route to write. An id the relay does
 * not hold is a 404 in OpenAI's envelope, as at OpenAI.
 */
import type { FormatErrorResponse } from '../format.js';
import { ResponseNotFoundError, responsesErrorResponse } from './errors.js';
import type { ResponseStateStore } from './state.js';

/** An answer for the route: status and JSON body. */
export type StoredAnswer = FormatErrorResponse;

/** The stored Response `id`, or the 404. */
export async function getStoredResponse(state: ResponseStateStore, id: string): Promise<StoredAnswer> {
  const turn = await state.get(id);
  if (!turn) return responsesErrorResponse(new ResponseNotFoundError(id));
  return { status: 200, headers: {}, body: turn.response };
}

/** Deletes the stored Response `id` (`{id, object, deleted: true}`), or the 404. */
export async function deleteStoredResponse(state: ResponseStateStore, id: string): Promise<StoredAnswer> {
  if (!(await state.delete(id))) return responsesErrorResponse(new ResponseNotFoundError(id));
  return { status: 200, headers: {}, body: { id, object: 'response', deleted: true } };
}
