/**
 * Native streams (a Responses or Messages client on a target of its own format) pass
 * the events the format does not read as the upstream's bytes, unparsed
 * (`NativeStream` with the format's `nativeWatch`). Random streams, cut into random
 * reads, reach the client exactly as when every event is read, with the same usage,
 * errors, end and stored Response.
 */
import fc from 'fast-check';
import { Redactor } from '../src/secrets/redactor.js';
import { describe, expect, it } from 'vitest';
import type { ResolvedTarget } from '../src/config.js';
import { formats, type ClientFormat } from '../src/formats/index.js';
import { nativeMessages, nativeResponses } from '../src/providers/native.js';
import { readUntilNativeContent } from '../src/stream/commit.js';
import { NativeStream } from '../src/stream/native-stream.js';
import { reads } from './helpers/reads.js';

/** A provider key the upstream may echo: every path must redact it alike. */
const SECRET = 'sk-native-canary-5150';
const redactor = new Redactor();
redactor.add(SECRET);
const target = { id: 'p/m', provider: { redactor } } as unknown as ResolvedTarget;

const TERMINAL: Record<string, ReadonlySet<string>> = {
  responses: new Set(['response.completed', 'response.incomplete', 'response.failed']),
  messages: new Set(['message_stop']),
};

async function relay(name: 'responses' | 'messages', bytes: Buffer, cuts: number[], watched: boolean) {
  const format = formats[name] as ClientFormat;
  const native = name === 'responses' ? nativeResponses : nativeMessages;
  let committed;
  try {
    committed = await readUntilNativeContent(native.batches!(reads(bytes, cuts), 1 << 20), 1 << 20, format);
  } catch (err) {
    return `before commit: ${(err as Error).message}`;
  }
  const seen: Record<string, unknown> = {};
  let stored: unknown;
  const stream = new NativeStream(committed, {
    signal: new AbortController().signal,
    attempts: [],
    target,
    meter: format.nativeUsage(),
    watch: watched ? format.nativeWatch : undefined,
    terminal: (event) => event !== undefined && TERMINAL[name]!.has(event),
    isError: (event, data) => format.nativeError(event, data) !== undefined,
    errorFrames: () => ['event: error\ndata: {"type":"error"}\n\n'],
    onEvent: (event, data) => {
      if (event !== undefined && TERMINAL[name]!.has(event)) stored = (JSON.parse(data) as { response?: unknown }).response;
    },
    onBreak: () => {},
    onEnd: (outcome, error) => {
      seen.outcome = outcome;
      seen.error = error?.message;
    },
  });
  const parts: Buffer[] = [];
  for await (const value of stream) parts.push(Buffer.from(value));
  await stream.return();
  return { ...seen, body: Buffer.concat(parts).toString('latin1'), usage: stream.usage(), sent: stream.sent, stored };
}

const sse = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
const response = (status: string, usage: unknown) => ({ id: 'resp_1', object: 'response', status, output: [], usage });

const responsesEvents = fc.oneof(
  fc.string({ maxLength: 6 }).map((delta) => sse('response.output_text.delta', { type: 'response.output_text.delta', item_id: 'msg_1', output_index: 0, content_index: 0, delta })),
  fc.constant(sse('response.output_text.delta', { type: 'response.output_text.delta', item_id: 'msg_1', output_index: 0, content_index: 0, delta: `key ${SECRET}` })),
  fc.constantFrom(
    sse('response.in_progress', { type: 'response.in_progress', response: response('in_progress', { input_tokens: 9, output_tokens: 9 }) }),
    sse('response.completed', { type: 'response.completed', response: response('completed', { input_tokens: 3, output_tokens: 5 }) }),
    sse('response.failed', { type: 'response.failed', response: { ...response('failed', null), error: { code: 'server_error', message: 'boom' } } }),
    sse('error', { type: 'error', code: 'x', message: 'in-band' }),
    'event: error\ndata: {"message":"nameless"}\n\n',
    'event: response.output_text.delta\ndata: {"type":"error","message":"typed"}\n\n',
    'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"\\u0065rror"}\n\n',
    'event: response.output_text.delta\ndata: {"type":"\\u0065rror","message":"escaped"}\n\n',
    'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"x","response":{"usage":{"input_tokens":1,"output_tokens":2}}}\n\n',
    'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"crlf"}\r\n\r\n',
    'data: {"type":"response.output_text.delta","delta":"no name"}\n\n',
    ': comment\n\n',
  ),
);

const messagesEvents = fc.oneof(
  fc.string({ maxLength: 6 }).map((text) => sse('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } })),
  fc.constant(sse('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: `key ${SECRET}` } })),
  fc.constantFrom(
    sse('ping', { type: 'ping' }),
    sse('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 12 } }),
    sse('message_stop', { type: 'message_stop' }),
    sse('error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }),
    'event: content_block_delta\ndata: {"type":"message_delta","usage":{"output_tokens":99}}\n\n',
    'event: message_delta\ndata: {"usage":{"output_tokens":7}}\n\n',
    'event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"type":"text_delta","text":"\\u00e9"}}\n\n',
    'event: content_block_delta\ndata: {"type":"message_delt\\u0061","usage":{"output_tokens":5}}\n\n',
  ),
);

const starts = {
  responses:
    sse('response.created', { type: 'response.created', response: response('in_progress', null) }) +
    sse('response.output_text.delta', { type: 'response.output_text.delta', item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'Hi' }),
  messages:
    sse('message_start', { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', content: [], usage: { input_tokens: 4, output_tokens: 1 } } }) +
    sse('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi' } }),
};

describe('native streams passed as bytes', () => {
  for (const [name, events] of [['responses', responsesEvents], ['messages', messagesEvents]] as const) {
    it(`${name}: reach the client as when every event is read`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(events, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 6 }), async (list, cuts) => {
          const bytes = Buffer.from(starts[name] + list.join(''));
          const fast = await relay(name, bytes, cuts, true);
          expect(fast).toEqual(await relay(name, bytes, cuts, false));
          expect(JSON.stringify(fast)).not.toContain(SECRET);
        }),
        { numRuns: 800 },
      );
    });
  }
});
