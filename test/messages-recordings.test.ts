/**
 * Recorded Anthropic Messages traffic (test/fixtures/provider-streams, Apache-2.0, from
 * the Vercel AI SDK) read natively by the Messages format: where each stream commits,
 * and the usage read for cost, stream and body, against the recordings' expected files.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { messagesFormat } from '../src/formats/messages/index.js';
import { eventsOf } from './helpers/responses-recordings.js';
import { providerRecordings } from './helpers/recordings.js';

const dir = new URL('./fixtures/provider-streams/', import.meta.url);
const anthropic = providerRecordings().filter((r) => r.kind.startsWith('anthropic'));
const bytesOf = (file: string) => readFileSync(new URL(file, dir));

/** The event each stream must commit on: its type and the type of its block or delta. */
const COMMIT: Record<string, { type: string; of: string }> = {
  'anthropic-stream-text.sse': { type: 'content_block_delta', of: 'text_delta' },
  'anthropic-stream-tool-no-args.sse': { type: 'content_block_delta', of: 'text_delta' },
  'anthropic-stream-tool-quoted-input.sse': { type: 'content_block_start', of: 'tool_use' },
  'anthropic-stream-parallel-tool-use.sse': { type: 'content_block_start', of: 'tool_use' },
  // The thinking block starts empty; its first text is the commit.
  'anthropic-stream-thinking-text.sse': { type: 'content_block_delta', of: 'thinking_delta' },
  'anthropic-stream-max-tokens-cache-read.sse': { type: 'content_block_delta', of: 'text_delta' },
  'anthropic-stream-compat-delta-input-tokens.sse': { type: 'content_block_delta', of: 'text_delta' },
};

describe('native Messages streams', () => {
  const streams = anthropic.filter((r) => r.stream);

  it('every Anthropic stream has its commit event stated', () => {
    expect(streams.map((s) => s.file).sort()).toEqual(Object.keys(COMMIT).sort());
  });

  it.each(streams.map((r) => [r.file, r] as const))('%s commits on the first event a client acts on', async (file) => {
    const events = await eventsOf(bytesOf(file));
    const want = COMMIT[file]!;
    const expectedAt = events.findIndex((e) => {
      const data = JSON.parse(e.data);
      return data.type === want.type && (data.content_block?.type ?? data.delta?.type) === want.of;
    });
    expect(expectedAt).toBeGreaterThan(0);
    expect(events.findIndex((e) => messagesFormat.isContent(e.event, e.data))).toBe(expectedAt);
  });

  it.each(streams.map((r) => [r.file, r] as const))('%s: usage read from message_start and message_delta', async (file, rec) => {
    const meter = messagesFormat.nativeUsage();
    for (const e of await eventsOf(bytesOf(file))) meter.event(e.event, e.data);
    const usage = meter.usage()!;
    expect({ prompt_tokens: usage.prompt_tokens, completion_tokens: usage.completion_tokens }).toEqual(rec.expected.usage);
  });

  it.each(anthropic.filter((r) => !r.stream).map((r) => [r.file, r] as const))('%s: usage read from the body', (file, rec) => {
    const meter = messagesFormat.nativeUsage();
    meter.body(bytesOf(file).toString('utf8'));
    const usage = meter.usage()!;
    expect({ prompt_tokens: usage.prompt_tokens, completion_tokens: usage.completion_tokens }).toEqual(rec.expected.usage);
  });

  it('an empty answer commits on its end; an error event is read as an error, not content', () => {
    expect(messagesFormat.isContent('message_delta', '{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":0}}')).toBe(true);
    expect(messagesFormat.isContent('content_block_start', '{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}')).toBe(false);
    expect(messagesFormat.isContent('content_block_delta', '{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"abc"}}')).toBe(false);
    const error = '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}';
    expect(messagesFormat.isContent('error', error)).toBe(false);
    expect(messagesFormat.nativeError('error', error)).toEqual({ message: 'Overloaded', code: 'overloaded_error' });
    expect(messagesFormat.nativeError('ping', '{"type":"ping"}')).toBeUndefined();
  });
});
