/**
 * @module
 * The routes beside the completions: `GET /models` (OpenAI's list, or Anthropic's),
 * `POST /messages/count_tokens`, and `GET`/`DELETE /responses/{id}` for stored Responses.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { anthropicModelList, countTokens, validateMessagesRequest } from '../formats/messages/index.js';
import { deleteStoredResponse, getStoredResponse } from '../formats/responses/stored.js';
import { readJsonBody } from './body.js';
import type { HandlerRelay as Relay } from './handler-relay.js';
import { sendError, sendJson } from './respond.js';

/**
 * `POST /messages/count_tokens`: the relay's estimate of a Messages request's input
 * tokens (the same estimate its limits and budgets use; an estimate, not a count).
 */
export async function handleCountTokens(relay: Relay, req: IncomingMessage, res: ServerResponse, parsedBody?: unknown): Promise<void> {
  try {
    const body = await readJsonBody(req, relay.maxBodyBytes, parsedBody, relay.bodyTimeoutMs);
    const request = validateMessagesRequest(body, { countTokens: true });
    sendJson(res, 200, {}, JSON.stringify(await countTokens(request)));
  } catch (err) {
    sendError(res, err, {}, 'messages');
  }
}

/** `GET` or `DELETE /responses/{id}`: a Response the relay stored, or a 404 in OpenAI's envelope. */
export async function handleStoredResponse(relay: Relay, method: 'GET' | 'DELETE', id: string, res: ServerResponse): Promise<void> {
  const state = relay.responseState();
  const answer = method === 'GET' ? await getStoredResponse(state, id) : await deleteStoredResponse(state, id);
  sendJson(res, answer.status, answer.headers, JSON.stringify(answer.body));
}

/** Serves `GET /models`: OpenAI's list, or Anthropic's for a request that carries `anthropic-version`. */
export function handleModels(relay: Relay, res: ServerResponse, req?: IncomingMessage): void {
  if (typeof req?.headers['anthropic-version'] === 'string') return sendJson(res, 200, {}, JSON.stringify(anthropicModelList(relay.models().data.map((m) => m.id))));
  sendJson(res, 200, {}, relay.modelsBody());
}
