/**
 * @module
 * Native passthrough for providers whose API is the client's: the client's body goes to
 * `{basePath}{path}` with only `model` replaced, and the answer's SSE events come back as
 * they were sent.
 */
import { withoutUnsignedThinking } from '../formats/messages/native-request.js';
import type { MessagesRequest } from '../formats/messages/types.js';
import { splitEvents } from '../stream/sse-split.js';
import { readEvents } from '../stream/sse.js';
import type { NativeEvent, NativeFormat, UpstreamRequest } from './provider.js';

/** Events of an SSE upstream, named as it named them. */
export async function* sseEvents(body: AsyncIterable<Uint8Array>, maxEventBytes: number): AsyncGenerator<NativeEvent> {
  for await (const e of readEvents(body, maxEventBytes)) yield e.event === undefined ? { data: e.data } : { event: e.event, data: e.data };
}

/** A native format served at `{basePath}{path}` over SSE; the client headers the format lets through go along. */
export function sseNative(path: string, prepare: (body: Record<string, unknown>) => Record<string, unknown> = (b) => b): NativeFormat {
  return {
    request: (provider, body, model, clientHeaders) => {
      const request: UpstreamRequest = { path: `${provider.basePath}${path}`, body: JSON.stringify({ ...prepare(body), model }) };
      if (Object.keys(clientHeaders).length > 0) request.headers = clientHeaders;
      return request;
    },
    events: sseEvents,
    batches: splitEvents,
  };
}

/** The betas a Messages client asked for (`anthropic-beta: a,b`), for cloud bodies that carry them. */
export function betasOf(clientHeaders: Record<string, string>): string[] {
  return (clientHeaders['anthropic-beta'] ?? '').split(',').map((b) => b.trim()).filter((b) => b.length > 0);
}

/** Anthropic's Messages API, native: thinking blocks without a signature (a relay's translation) are left out. */
export const nativeMessages = sseNative('/messages', (body) => withoutUnsignedThinking(body as unknown as MessagesRequest) as unknown as Record<string, unknown>);

/** OpenAI's Responses API, native. */
export const nativeResponses = sseNative('/responses');
