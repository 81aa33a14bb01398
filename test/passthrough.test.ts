/**
 * Chunks that pass as bytes (`RelayStream.nextFrames`, `stream/chat-passthrough.ts`)
 * reach a chat client exactly as the parse-every-chunk path (`RelayStream.next` framed
 * as `data: <payload>`) sends them, whatever the upstream writes: the same bytes, the
 * same chunks dropped and counted, the same usage, finish reasons and cost. Random
 * upstream streams, cut into random reads, go through both.
 */
import fc from 'fast-check';
import { Redactor } from '../src/secrets/redactor.js';
import { describe, expect, it } from 'vitest';
import type { ResolvedTarget } from '../src/config.js';
import { toErrorResponse } from '../src/errors/index.js';
import { openaiProvider } from '../src/providers/openai.js';
import { chatFrames, framed } from '../src/stream/client-stream.js';
import { readUntilContent } from '../src/stream/commit.js';
import { RelayStream, type StreamHooks } from '../src/stream/relay-stream.js';
import { DONE, frame } from '../src/stream/sse.js';
import { reads } from './helpers/reads.js';

/**
 * A provider key the upstream echoes, whole or split across chunks: chunks that pass as
 * bytes must be exactly those redaction would have left alone (`secrets/byte-screen.ts`).
 */
const SECRET = 'sk-canary-7f3a9c2e41';
const redactor = new Redactor();
redactor.add(SECRET);
const target = { id: 'p/m', provider: { redactor } } as unknown as ResolvedTarget;

interface Seen {
  body: string;
  usage: unknown[];
  dropped: number;
  info: unknown;
  sentBy: number[];
  outcome?: string;
  error?: string;
  thrown?: string;
}

/** Runs `bytes` through the relay's stream path; `bytesPath` picks the new one. */
async function relay(bytes: Buffer, cuts: number[], keepUsage: boolean, bytesPath: boolean): Promise<Seen | string> {
  let committed;
  try {
    committed = await readUntilContent(openaiProvider.batches!(reads(bytes, cuts), 1 << 20), 1 << 20);
  } catch (err) {
    return `before commit: ${(err as Error).message}`;
  }
  const seen: Seen = { body: '', usage: [], dropped: 0, info: undefined, sentBy: [] };
  const hooks: StreamHooks = {
    signal: new AbortController().signal,
    attempts: [],
    keepUsage,
    onUsage: (u) => {
      seen.usage.push(u);
      return { cost_usd: 0.5 };
    },
    onBreak: () => {},
    onEnd: (outcome, error) => {
      seen.outcome = outcome;
      seen.error = error?.message;
    },
  };
  const stream = new RelayStream({ committed, target }, hooks);
  let closed = false;
  const client = bytesPath
    ? chatFrames(stream)
    : framed(stream, {
        push: (payload) => [frame(payload)],
        end: () => (closed ? [] : ((closed = true), [frame(DONE)])),
        error: (err) => [frame(JSON.stringify(toErrorResponse(err).body))],
      });
  const parts: Buffer[] = [];
  try {
    for await (const value of client) parts.push(Buffer.from(value));
  } catch (err) {
    // Both paths must fail alike, even where the old one throws what it did not mean to.
    seen.thrown = `${(err as Error).constructor.name}: ${(err as Error).message}`;
  }
  await client.return();
  seen.body = Buffer.concat(parts).toString('latin1');
  seen.dropped = stream.dropped;
  seen.info = stream.info();
  seen.sentBy = stream.sentBy;
  return seen;
}

const chunk = (content: string, extra: Record<string, unknown> = {}, finish: string | null = null) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion.chunk',
  created: 1_700_000_000,
  model: 'm',
  choices: [{ index: 0, delta: { content }, logprobs: null, finish_reason: finish }],
  ...extra,
});

/** The secret cut at random places, one chunk per piece, maybe with text around it. */
const secretPieces = fc
  .tuple(fc.array(fc.nat({ max: SECRET.length }), { maxLength: 4 }), fc.constantFrom('', 'is ', 'x'), fc.constantFrom('', ' ok', 's'))
  .map(([cuts, before, after]) => {
    const at = [0, ...[...new Set(cuts)].sort((a, b) => a - b), SECRET.length];
    const pieces = at.slice(1).map((end, i) => SECRET.slice(at[i], end)).filter((p) => p !== '');
    pieces[0] = before + (pieces[0] ?? '');
    pieces[pieces.length - 1] += after;
    return pieces.map((p) => `data: ${JSON.stringify(chunk(p, { usage: null }))}\n\n`).join('');
  });

const event = fc.oneof(
  secretPieces,
  fc.constantFrom('s', 'sk', 'sk-', 'this', 'k-c', 'anary').map((t) => `data: ${JSON.stringify(chunk(t, { usage: null }))}\n\n`),
  fc.string({ maxLength: 8 }).map((t) => `data: ${JSON.stringify(chunk(t, { usage: null }))}\n\n`),
  fc.string({ maxLength: 8 }).map((t) => `data: ${JSON.stringify(chunk(t))}\n\n`),
  fc.string({ maxLength: 8 }).map((t) => `data: ${JSON.stringify({ usage: null, ...chunk(t) })}\n\n`),
  fc.string({ maxLength: 8 }).map((t) => `data: ${JSON.stringify(chunk(t, { usage: null }), null, 1).replace(/\n/g, '')}\n\n`),
  fc.constantFrom(
    'data: {"id":"x","choices":[{"index":0,"delta":{"content":"\\u00e9t\\u00e9"},"finish_reason":null}],"usage":null}\n\n',
    'data: {"id":"x","choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}],"usage":null,"usage":null}\n\n',
    'data: {"id":"x","choices":[{"index":0,"delta":{"content":"a","content":"b"},"finish_reason":null}],"usage":null}\n\n',
    'data: {"id":"x","created":1.50,"choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}],"usage":null}\n\n',
    'data: {"id":"x","choices":[],"usage":null}\n\n',
    'data: {"id":"x","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4}}\n\n',
    'data: {"id":"x","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null}\n\n',
    'data: {"id":"x","choices":[{"index":0,"delta":{},"finish_reason":"length"}]}\n\n',
    'data: {"id":"x","choices":[null],"usage":null}\n\n',
    'data: {"id":"x","choices":null,"usage":null}\n\n',
    'data: {"id":"x","choices":[{"index":0,"delta":{"content":"a"}}],"usage":null}\n\n',
    'data: {"id":"x","choices":[{"index":0,"delta":{"content":"a"}}],"1":2,"usage":null}\n\n',
    'data: {"id":"x","choices":[{"index":0,"delta":{"content":"bad"\n\n',
    'data: {"truncated":\n\n',
    'event: chunk\ndata: {"id":"x","choices":[{"index":0,"delta":{"content":"named"},"finish_reason":null}],"usage":null}\n\n',
    'data:{"id":"x","choices":[{"index":0,"delta":{"content":"nospace"},"finish_reason":null}],"usage":null}\n\n',
    ': keep-alive\n\n',
    'data: {"id":"x","choices":[{"index":0,"delta":{"content":"crlf"},"finish_reason":null}],"usage":null}\r\n\r\n',
    'data: {"id":"x","choices":[{"index":0,"delta":{"content":"é"},"finish_reason":null}],"usage":null}\n\n',
    'data: [DONE]\n\n',
  ),
);

describe('chunks passed as bytes', () => {
  it('reach the client as the parsed path sends them, with the same accounting', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(event, { maxLength: 14 }), fc.array(fc.nat(), { maxLength: 6 }), fc.boolean(), fc.boolean(), async (events, cuts, keepUsage, done) => {
        const head = `data: ${JSON.stringify(chunk('', { usage: null }))}\n\ndata: ${JSON.stringify(chunk('Hi', { usage: null }))}\n\n`;
        const bytes = Buffer.from(head + events.join('') + (done ? 'data: [DONE]\n\n' : ''));
        const slow = await relay(bytes, cuts, keepUsage, false);
        const fast = await relay(bytes, cuts, keepUsage, true);
        expect(fast).toEqual(slow);
        expect(JSON.stringify(fast)).not.toContain(SECRET);
      }),
      { numRuns: 1_500 },
    );
  });

  it('redacts a key split across chunks, the chunks around it passing as bytes', async () => {
    const text = ['Your key is ', 'sk-can', 'ary-7f3a9c2e41', ' and more', ' text.'];
    const frames = [...text.map((t) => `data: ${JSON.stringify(chunk(t))}\n\n`), `data: ${JSON.stringify(chunk('', {}, 'stop'))}\n\n`, 'data: [DONE]\n\n'];
    // One upstream read per chunk, so the later ones meet the stream after its commit point.
    const cuts = frames.map((_, i) => frames.slice(0, i + 1).join('').length);
    const seen = (await relay(Buffer.from(frames.join('')), cuts, false, true)) as Seen;
    const sent = [...seen.body.matchAll(/"content":"([^"]*)"/g)].map((m) => m[1]).join('');
    expect(sent).toBe('Your key is [redacted] and more text.');
  });

  it('forwards the common chunk as the upstream wrote it, less the usage the client did not ask for', async () => {
    const c: Record<string, unknown> = chunk('Hi', { usage: null });
    const bytes = Buffer.from(`data: ${JSON.stringify(chunk(''))}\n\n${`data: ${JSON.stringify(c)}\n\n`.repeat(3)}data: [DONE]\n\n`);
    const seen = (await relay(bytes, [], false, true)) as Seen;
    const { usage: _, ...without } = c;
    expect(seen.body).toBe(`data: ${JSON.stringify(chunk(''))}\n\n${`data: ${JSON.stringify(without)}\n\n`.repeat(3)}data: [DONE]\n\n`);
    expect(seen.outcome).toBe('complete');
  });
});
