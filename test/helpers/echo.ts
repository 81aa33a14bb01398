/**
 * Upstreams that say back what they received, in each cloud's own wire format: an error
 * body, an in-band error in a 200, an error event in the middle of a stream, or the
 * content of a stream cut into pieces at given points. The secrets fuzz test points
 * them at everything a client, a listener, a log or a span can receive.
 */
import type { MockFault, MockRequest } from 'switchyard/testing';
import { eventFrame, exceptionFrame } from '../../src/testing/event-stream-frames.js';

export type Wire = 'openai' | 'anthropic' | 'bedrock' | 'google';

/** Everything `req` brought: its path, headers and body. */
export function dump(req: MockRequest): string {
  return `path=${req.path}?${req.query} headers=${JSON.stringify(req.headers)} body=${JSON.stringify(req.body)}`;
}

/** `text` cut at `points` (positions, any order, out of range ones ignored), no piece empty. */
export function pieces(text: string, points: readonly number[]): string[] {
  const cuts = [...new Set(points.map((p) => p % (text.length + 1)))].filter((p) => p > 0 && p < text.length).sort((a, b) => a - b);
  const out: string[] = [];
  let at = 0;
  for (const cut of [...cuts, text.length]) {
    out.push(text.slice(at, cut));
    at = cut;
  }
  return out;
}

const sse = (data: unknown, event?: string) => `${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;

/** The body of an error answer with `message` in every field an adapter may read. */
export function errorBody(wire: Wire, status: number, message: string): unknown {
  switch (wire) {
    case 'anthropic':
      return { type: 'error', error: { type: status >= 500 ? 'api_error' : 'invalid_request_error', message } };
    case 'bedrock':
      return { message, Message: message };
    case 'google':
      return { error: { code: status, message, status: status >= 500 ? 'INTERNAL' : 'INVALID_ARGUMENT' } };
    case 'openai':
      return { error: { message, type: status >= 500 ? 'server_error' : 'invalid_request_error', code: message.slice(0, 64), param: message.slice(-64) } };
  }
}

/** A 200 stream of `texts` as content deltas, then, with `error`, an in-stream error carrying it instead of the end. */
export function streamOf(wire: Wire, texts: string[], error?: string): MockFault {
  switch (wire) {
    case 'openai': {
      const chunk = (delta: object, finish: string | null) => ({ id: 'chatcmpl-echo', object: 'chat.completion.chunk', created: 0, model: 'echo', choices: [{ index: 0, delta, finish_reason: finish }] });
      const frames = [sse(chunk({ role: 'assistant', content: '' }, null)), ...texts.map((t) => sse(chunk({ content: t }, null)))];
      if (error !== undefined) frames.push(sse({ error: { message: error, type: 'server_error', code: null } }));
      else frames.push(sse(chunk({}, 'stop')), sse('[DONE]'));
      return { raw: frames.join('') };
    }
    case 'anthropic': {
      const frames = [
        sse({ type: 'message_start', message: { id: 'msg_echo', type: 'message', role: 'assistant', model: 'echo', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 1, output_tokens: 1 } } }, 'message_start'),
        sse({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }, 'content_block_start'),
        ...texts.map((text) => sse({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }, 'content_block_delta')),
      ];
      if (error !== undefined) frames.push(sse({ type: 'error', error: { type: 'api_error', message: error } }, 'error'));
      else {
        frames.push(
          sse({ type: 'content_block_stop', index: 0 }, 'content_block_stop'),
          sse({ type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: texts.length } }, 'message_delta'),
          sse({ type: 'message_stop' }, 'message_stop'),
        );
      }
      return { raw: frames.join('') };
    }
    case 'google': {
      const part = (text: string, last: boolean) => ({
        candidates: [{ content: { role: 'model', parts: [{ text }] }, index: 0, ...(last ? { finishReason: 'STOP' } : {}) }],
        ...(last ? { usageMetadata: { promptTokenCount: 1, candidatesTokenCount: texts.length, totalTokenCount: 1 + texts.length } } : {}),
      });
      const frames = texts.map((t, i) => sse(part(t, error === undefined && i === texts.length - 1)));
      if (error !== undefined) frames.push(sse({ error: { code: 500, message: error, status: 'INTERNAL' } }));
      return { raw: frames.join('') };
    }
    case 'bedrock': {
      const p = 'abcdefghijkl';
      const frames = [eventFrame('messageStart', { p, role: 'assistant' }), ...texts.map((text) => eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text }, p }))];
      if (error !== undefined) frames.push(exceptionFrame('internalServerException', error));
      else {
        frames.push(
          eventFrame('contentBlockStop', { contentBlockIndex: 0, p }),
          eventFrame('messageStop', { p, stopReason: 'end_turn' }),
          eventFrame('metadata', { metrics: { latencyMs: 1 }, p, usage: { inputTokens: 1, outputTokens: texts.length, totalTokens: 1 + texts.length } }),
        );
      }
      return { raw: Buffer.concat(frames), contentType: 'application/vnd.amazon.eventstream' };
    }
  }
}

/** `text` as a JSON string literal with every character written as `\\uXXXX`. */
export function escapedLiteral(text: string): string {
  return `"${[...text].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')}"`;
}

/** An OpenAI answer whose content is `text` with every character escaped, as JSON or as a stream. */
export function escapedAnswer(text: string, stream: boolean): MockFault {
  const content = escapedLiteral(text);
  if (!stream) {
    return {
      raw: `{"id":"chatcmpl-echo","object":"chat.completion","created":0,"model":"echo","choices":[{"index":0,"message":{"role":"assistant","content":${content}},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`,
      contentType: 'application/json',
    };
  }
  const head = '{"id":"chatcmpl-echo","object":"chat.completion.chunk","created":0,"model":"echo","choices":[{"index":0,';
  return { raw: `data: ${head}"delta":{"role":"assistant","content":${content}},"finish_reason":null}]}\n\ndata: ${head}"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n` };
}
