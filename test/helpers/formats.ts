/**
 * A format served on its own, without the engine: a node:http server on 127.0.0.1 that
 * validates a Responses or Messages request, translates it to chat, gets a chat answer
 * from a source (a recording replayed, or a mock upstream), and writes the converters'
 * output, so real clients can be pointed at it. Errors go out in the format's envelope.
 */
import http from 'node:http';
import { Readable } from 'node:stream';
import { InvalidRequestError, RouteNotFoundError } from '../../src/errors/index.js';
import type { ClientFormat } from '../../src/formats/format.js';
import { countTokens } from '../../src/formats/messages/count-tokens.js';
import { anthropicModelList } from '../../src/formats/messages/models.js';
import { validateMessagesRequest } from '../../src/formats/messages/request.js';
import { loadConversation, type Conversation } from '../../src/formats/responses/conversation.js';
import type { ResponseStateStore } from '../../src/formats/responses/state.js';
import { deleteStoredResponse, getStoredResponse } from '../../src/formats/responses/stored.js';
import type { ResponseObject, ResponsesRequest } from '../../src/formats/responses/types.js';
import type { ResponsesStreamConverter } from '../../src/formats/responses/stream.js';
import { toChatCompletion } from '../../src/providers/anthropic-response.js';
import { anthropicChunks } from '../../src/providers/anthropic-stream.js';
import type { ChatBody } from '../../src/providers/provider.js';
import { readEvents } from '../../src/stream/sse.js';
import { closeServer, listen } from './harness.js';

const MAX_EVENT = 16 * 1024 * 1024;

/** A chat answer: a `chat.completion`, or chunk payloads. */
export type ChatAnswer = { json: unknown } | { payloads: AsyncIterable<string> };
/** Where the server gets the engine's answer for a chat request. */
export type ChatSource = (chat: ChatBody) => Promise<ChatAnswer>;

/** The `data:` payloads of a recorded OpenAI chat stream, as the engine would yield them. */
export async function* chatPayloads(bytes: Buffer | string): AsyncGenerator<string> {
  for await (const event of readEvents(Readable.from([Buffer.from(bytes)]), MAX_EVENT)) if (event.data !== '') yield event.data;
}

/** A recorded Anthropic stream through the relay's own Anthropic translation: chat payloads. */
export function anthropicPayloads(bytes: Buffer): AsyncGenerator<string> {
  return anthropicChunks(Readable.from([bytes]), MAX_EVENT);
}

/** A recorded Anthropic message through the relay's own translation: a `chat.completion`. */
export function anthropicCompletion(bytes: Buffer): unknown {
  return JSON.parse(toChatCompletion(bytes).body.toString('utf8'));
}

/** Answers every request with the same recording (a stream's bytes are replayed each time). */
export function recorded(answer: { stream: Buffer; anthropic?: boolean } | { json: unknown }): ChatSource {
  return async () => ('json' in answer ? { json: answer.json } : { payloads: answer.anthropic ? anthropicPayloads(answer.stream) : chatPayloads(answer.stream) });
}

/** Sends the chat request to an OpenAI-compatible upstream (the mock) and reads its answer. */
export function upstream(baseURL: string): ChatSource {
  return async (chat) => {
    const res = await fetch(`${baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(chat) });
    if (!res.ok) throw new Error(`upstream answered ${res.status}: ${await res.text()}`);
    if (chat.stream !== true) return { json: await res.json() };
    return { payloads: chatPayloads(Buffer.from(await res.arrayBuffer())) };
  };
}

/** What the server saw of one request. */
export interface Seen {
  request: Record<string, unknown>;
  chat: ChatBody;
}

export interface FormatServer {
  /** `http://127.0.0.1:PORT/v1` */
  url: string;
  seen: Seen[];
  close(): Promise<void>;
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const bytes = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(bytes) });
  res.end(bytes);
}

/**
 * Serves `format` at `POST /v1/responses` or `POST /v1/messages` (and, with `state`, the
 * stored-response routes; for messages, `count_tokens` and `GET /v1/models`).
 */
export async function serveFormat(options: {
  format: ClientFormat<any>;
  source: ChatSource;
  state?: ResponseStateStore;
  models?: string[];
}): Promise<FormatServer> {
  const { format, source, state } = options;
  const route = `/v1/${format.name}`;
  const seen: Seen[] = [];
  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const stored = /^\/v1\/responses\/([^/]+)$/.exec(path);
    if (stored && state) {
      const answer = req.method === 'DELETE' ? await deleteStoredResponse(state, stored[1]!) : await getStoredResponse(state, stored[1]!);
      return sendJson(res, answer.status, answer.body);
    }
    if (format.name === 'messages' && path === '/v1/messages/count_tokens') {
      return sendJson(res, 200, await countTokens(validateMessagesRequest(JSON.parse(await readBody(req)), { countTokens: true })));
    }
    if (format.name === 'messages' && path === '/v1/models') return sendJson(res, 200, anthropicModelList(options.models ?? []));
    if (path !== route || req.method !== 'POST') throw new RouteNotFoundError(req.method ?? '', path);
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req));
    } catch {
      throw new InvalidRequestError('The body is not JSON.');
    }
    const request = format.validate(body) as Record<string, unknown> & { model: string; stream?: boolean };
    let conversation: Conversation | undefined;
    let forChat: unknown = request;
    if (state) {
      conversation = await loadConversation(request as ResponsesRequest, state);
      forChat = conversation.requestFor(undefined);
    }
    const chat = format.toChat(forChat);
    seen.push({ request, chat });
    const ctx = { request, model: request.model };
    const keep = async (response: unknown) => {
      if (conversation && state && request.store !== false && response) await state.save(conversation.record(response as ResponseObject));
    };
    const answer = await source(chat);
    if ('json' in answer) {
      const out = format.fromChatCompletion(answer.json, ctx);
      await keep(out);
      return sendJson(res, 200, out);
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const convert = format.fromChatStream(ctx);
    try {
      for await (const payload of answer.payloads) for (const frame of convert.push(payload)) res.write(frame);
      for (const frame of convert.end()) res.write(frame);
    } catch (err) {
      for (const frame of convert.error(err)) res.write(frame);
    }
    res.end();
    await keep((convert as Partial<ResponsesStreamConverter>).response);
  };
  const { server, origin } = await listen((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) return void res.destroy();
      const e = format.errorResponse(err);
      sendJson(res, e.status, e.body, e.headers);
    });
  });
  return { url: `${origin}/v1`, seen, close: () => closeServer(server) };
}
