/**
 * @module
 * A client's request as its own API put it, made ready for the engine: validated by its
 * format, its conversation loaded (Responses `previous_response_id`), translated once to
 * the chat body every translated target gets, and planned for the targets that speak the
 * format natively. The answers go back the same way: a translated answer is turned into
 * the format's own, a native one passes as it came, and a Response is kept for the next
 * turn.
 */
import type { ResolvedTarget } from '../config/resolved.js';
import { formats, type ClientFormat, type FormatName, type StreamConverter } from '../formats/index.js';
import { inputItems, loadConversation, type Conversation } from '../formats/responses/conversation.js';
import type { ResponseStateStore } from '../formats/responses/state.js';
import type { ResponseObject, ResponsesRequest } from '../formats/responses/types.js';
import type { ChatBody, EmbeddingsBody, Endpoint, NativeFormatName } from '../providers/provider.js';
import { unsupportedOf, type Unsupported } from './attempt.js';
import type { FormatPlan } from './runtime.js';

/** A client request, ready for the engine. */
export interface ClientRequest {
  format: FormatName;
  /** The engine's operation: embeddings, or a chat completion (every generative format). */
  endpoint: Endpoint;
  /** The format's validated request. */
  request: Record<string, unknown> & { model: string };
  /** The chat body translated targets get (the request itself for chat and embeddings). */
  body: ChatBody | EmbeddingsBody;
  stream: boolean;
  /** For Responses and Messages: how native targets are served. */
  plan?: FormatPlan;
  conversation?: Conversation;
}

/** The client headers passed to native targets, by the format's list. */
function forwarded(format: ClientFormat, headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of format.nativeHeaders) {
    const value = headers[name];
    if (typeof value === 'string') out[name] = value;
  }
  return out;
}

/**
 * Validates `body` for `format` and plans it. Throws the format's validation error
 * (naming the field); a request no translated target can take is planned as such,
 * not refused: a native target may still serve it.
 */
export async function clientRequest(
  format: FormatName,
  body: unknown,
  headers: Record<string, string | string[] | undefined>,
  state: ResponseStateStore | undefined,
): Promise<ClientRequest> {
  if (format === 'embeddings') {
    const request = formats.embeddings.validate(body);
    return { format, endpoint: 'embeddings', request, body: request, stream: false };
  }
  if (format === 'chat') {
    const request = formats.chat.validate(body);
    return { format, endpoint: 'chat', request, body: request, stream: request.stream === true };
  }
  const f = formats[format] as ClientFormat<Record<string, unknown> & { model: string; stream?: unknown }>;
  const request = f.validate(body);
  const conversation = format === 'responses' && state ? await loadConversation(request as unknown as ResponsesRequest, state) : undefined;
  const own = (provider: string | undefined) => (conversation ? (conversation.requestFor(provider) as unknown as Record<string, unknown>) : request);
  let chat: ChatBody | undefined;
  let untranslatable: Unsupported | undefined;
  try {
    chat = f.toChat(own(undefined) as typeof request);
  } catch (err) {
    untranslatable = unsupportedOf(err);
  }
  const plan: FormatPlan = {
    format: format as NativeFormatName,
    native: (target: ResolvedTarget) => own(target.provider.name),
    reading: {
      isContent: f.isContent,
      nativeError: f.nativeError,
      usage: (json) => {
        const meter = f.nativeUsage();
        meter.body(json);
        return meter.usage();
      },
    },
    headers: forwarded(f, headers),
  };
  if (untranslatable) plan.untranslatable = untranslatable;
  // Without a translation, the request itself stands in for sizing it.
  const engineBody = chat ?? ({ ...request, messages: Array.isArray(request.messages) ? request.messages : [] } as ChatBody);
  return { format, endpoint: 'chat', request, body: engineBody, stream: request.stream === true, plan, conversation };
}

/** The format's JSON answer for a translated (chat) answer. */
export function fromChat(client: ClientRequest, chatBody: Buffer, model: string): Buffer {
  if (!client.plan) return chatBody;
  const f = formats[client.format] as ClientFormat;
  const answer = f.fromChatCompletion(JSON.parse(chatBody.toString('utf8')), { request: client.request, model });
  return Buffer.from(JSON.stringify(answer));
}

/** The format's converter for a translated stream. */
export function converterFor(client: ClientRequest, model: string): StreamConverter {
  return (formats[client.format] as ClientFormat).fromChatStream({ request: client.request, model });
}

/**
 * Keeps a Response for the next turn (`previous_response_id`, `GET /responses/{id}`),
 * unless the client asked not to (`store: false`). `native`: the provider that served it
 * under its own id. Never fails the request: a store that refuses is reported by it.
 */
export async function keepResponse(client: ClientRequest, state: ResponseStateStore | undefined, response: unknown, native?: string): Promise<void> {
  if (client.format !== 'responses' || !state || client.request.store === false) return;
  const r = response as ResponseObject | undefined;
  if (!r || typeof r.id !== 'string') return;
  const record = client.conversation ? client.conversation.record(r, native) : { response: r, input: inputItems((client.request as unknown as ResponsesRequest).input), ...(native ? { nativeProvider: native } : {}) };
  await state.save(record);
}
