/**
 * @module
 * OpenAI Chat Completions as a format: the engine's own language, so every translation
 * is the identity. It exists so that the routes can treat every format alike, and its
 * stream converter frames payloads as the chat route always has (`data: ...`).
 */
import { toErrorResponse } from '../../errors/index.js';
import { usageOf, type ChatBody, type Usage } from '../../providers/provider.js';
import { validateChatBody } from '../../request.js';
import { hasContent } from '../../stream/commit.js';
import { DONE, frame } from '../../stream/sse.js';
import type { ClientFormat, StreamConverter } from '../format.js';
import { parseData } from '../sse.js';

function chatStream(): StreamConverter {
  let closed = false;
  return {
    push(payload) {
      if (closed) return [];
      if (payload === DONE) closed = true;
      return [frame(payload)];
    },
    end() {
      if (closed) return [];
      closed = true;
      return [frame(DONE)];
    },
    error(err) {
      if (closed) return [];
      closed = true;
      return [frame(JSON.stringify(toErrorResponse(err).body))];
    },
  };
}

/** The Chat Completions format. */
export const chatFormat: ClientFormat<ChatBody> = {
  name: 'chat',
  validate: validateChatBody,
  toChat: (request) => request,
  fromChatCompletion: (completion) => completion,
  fromChatStream: chatStream,
  errorResponse: toErrorResponse,
  isContent: (_event, data) => {
    const chunk = parseData(data);
    return chunk !== undefined && hasContent(chunk);
  },
  nativeError: (_event, data) => {
    const error = parseData(data)?.error;
    if (error === undefined || error === null) return undefined;
    const e = typeof error === 'object' ? (error as Record<string, unknown>) : { message: String(error) };
    return { message: typeof e.message === 'string' ? e.message : 'upstream reported an error', code: typeof e.code === 'string' ? e.code : typeof e.type === 'string' ? e.type : null };
  },
  nativeUsage: () => {
    let usage: Usage | undefined;
    return {
      // The last chunk (`choices: []`) carries it, when the request asked for it.
      event: (_event, data) => {
        usage = usageOf(parseData(data)) ?? usage;
      },
      body: (json) => {
        usage = usageOf(typeof json === 'string' ? parseData(json) : json) ?? usage;
      },
      usage: () => usage,
    };
  },
  nativeHeaders: [],
};
