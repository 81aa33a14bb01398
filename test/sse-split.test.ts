/**
 * The byte-level SSE splitter (`src/stream/sse-split.ts`) yields the same events as
 * `readEvents` (eventsource-parser over a streaming decoder) for any stream cut into
 * any reads: common frames as raw bytes, everything else read by the parser.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitEvents, type EventBatch } from '../src/stream/sse-split.js';
import { readEvents } from '../src/stream/sse.js';
import { reads } from './helpers/reads.js';

type Plain = { event?: string; data: string };

async function viaParser(bytes: Buffer, cuts: number[], max: number): Promise<Plain[] | string> {
  const out: Plain[] = [];
  try {
    for await (const e of readEvents(reads(bytes, cuts), max)) out.push(e.event === undefined ? { data: e.data } : { event: e.event, data: e.data });
  } catch (err) {
    return (err as Error).message;
  }
  return out;
}

async function viaSplitter(bytes: Buffer, cuts: number[], max: number, raw: { count: number }): Promise<Plain[] | string> {
  const out: Plain[] = [];
  try {
    for await (const batch of splitEvents(reads(bytes, cuts), max) as AsyncGenerator<EventBatch>) {
      for (const e of batch.events) {
        if (e.data !== undefined) out.push(e.event === undefined ? { data: e.data } : { event: e.event, data: e.data });
        else {
          raw.count++;
          const data = batch.buf.toString('utf8', e.dataStart, e.end);
          out.push(e.event === undefined ? { data } : { event: e.event, data });
        }
      }
    }
  } catch (err) {
    return (err as Error).message;
  }
  return out;
}

const pieces = fc.constantFrom(
  'data: {"a":1}\n\n',
  'data: {"a":"é"}\n\n',
  'event: message_start\ndata: {"type":"message_start"}\n\n',
  'event: x\ndata: a\ndata: b\n\n',
  'data:{"nospace":1}\n\n',
  'data:  two spaces\n\n',
  ': comment\n\n',
  'id: 7\ndata: x\n\n',
  'data: [DONE]\n\n',
  '\n',
  'data: crlf\r\n\r\n',
  'data: cr\r\r',
  'event:\ndata: empty name\n\n',
  'retry: 10\n\n',
  'data\n\n',
  'data: no end\n',
  'event: only\n\n',
  '\ufeffdata: bom\n\n',
  'ï»¿data: chars\n\n',
);

describe('splitEvents', () => {
  it('yields what readEvents yields, whatever the framing and the reads', async () => {
    let raw = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(pieces, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 8 }), fc.boolean(), async (parts, cuts, badByte) => {
        let bytes = Buffer.from(parts.join(''));
        // A byte that is not UTF-8, somewhere.
        if (badByte && bytes.length > 0) bytes = Buffer.concat([bytes.subarray(0, cuts[0]! % bytes.length), Buffer.from([0xff]), bytes.subarray(cuts[0]! % bytes.length)]);
        const counter = { count: 0 };
        const expected = await viaParser(bytes, cuts, 64);
        expect(await viaSplitter(bytes, cuts, 64, counter)).toEqual(expected);
        raw += counter.count;
      }),
      { numRuns: 3_000 },
    );
    // The common frames really came as bytes.
    expect(raw).toBeGreaterThan(1_000);
  });

  it('refuses an event past the limit as readEvents does', async () => {
    const big = Buffer.from(`data: ${'x'.repeat(100)}`);
    expect(await viaSplitter(big, [10, 50], 64, { count: 0 })).toBe('upstream sent an SSE event larger than 64 bytes');
    expect(await viaParser(big, [10, 50], 64)).toBe('upstream sent an SSE event larger than 64 bytes');
  });
});
