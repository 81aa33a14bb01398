/**
 * @module
 * Server-Sent Events read as bytes: each upstream read becomes one {@link EventBatch},
 * its events pointing into the bytes as they came, so a relay can forward them without
 * decoding and re-encoding them, and read only the ones it must.
 *
 * What it yields is exactly what `readEvents` (`sse.ts`, eventsource-parser over a
 * streaming UTF-8 decoder) yields for the same bytes; only the form differs. Events
 * framed the common way (`\n` line ends, one `data: ` line, optionally after one
 * `event: ` line, valid UTF-8) come as {@link RawEvent}s; any other block between blank
 * lines is decoded and read by eventsource-parser, so every corner of the SSE grammar
 * keeps its meaning. A stream that uses `\r` line ends, starts with a byte order mark or
 * grows an event past `maxEventBytes` is handed to eventsource-parser whole from there
 * on, as `readEvents` would read it.
 */
import { isUtf8 } from 'node:buffer';
import { createParser, type EventSourceMessage, type EventSourceParser } from 'eventsource-parser';
import { BadResponse } from '../providers/provider.js';
import type { EventBatch, SseEvent, TextEvent } from './event-batch.js';

export type { EventBatch, RawEvent, SseEvent, TextEvent } from './event-batch.js';

const LF = 10;
const CR = 13;
const BLANK = Buffer.from('\n\n');
const DATA = Buffer.from('data: ');
const EVENT = Buffer.from('event: ');

function startsWith(buf: Buffer, at: number, prefix: Buffer): boolean {
  for (let k = 0; k < prefix.length; k++) if (buf[at + k] !== prefix[k]) return false;
  return true;
}

/** Whether the stream starts in a way only eventsource-parser reads right: a BOM, as bytes or as decoded text. */
function oddStart(buf: Buffer): boolean {
  return (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) || (buf[0] === 0xc3 && buf[1] === 0xaf && buf[2] === 0xc2 && buf[3] === 0xbb);
}

/** Reads the blocks of an SSE stream; see the module comment. */
export async function* splitEvents(body: AsyncIterable<Uint8Array>, maxEventBytes: number): AsyncGenerator<EventBatch> {
  // Blocks framed otherwise go through one parser; it never sees a `\r` while it lives.
  let side: EventSourceParser | undefined;
  const sideEvents: EventSourceMessage[] = [];
  // Made on first use: most streams never need it.
  let text: InstanceType<typeof TextDecoder> | undefined;
  let left: Buffer | undefined;
  let first = true;
  let compat: Compat | undefined;

  for await (const chunk of body) {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (compat) {
      const events = compat.feed(bytes);
      if (events.length > 0) yield { buf: bytes, events };
      continue;
    }
    const buf = left ? Buffer.concat([left, bytes]) : bytes;
    left = undefined;
    // A first read too short to tell is read the old way too: eventsource-parser's check
    // for a decoded byte order mark looks at the first read as it came.
    if ((first && (buf.length < 4 || oddStart(buf))) || bytes.indexOf(CR) !== -1) {
      compat = new Compat(maxEventBytes, first);
      const events = compat.feed(buf);
      if (events.length > 0) yield { buf, events };
      continue;
    }
    first = false;
    const events: SseEvent[] = [];
    let pos = 0;
    // One UTF-8 check for every complete block of this read (they end at ASCII bytes).
    const complete = buf.lastIndexOf(BLANK);
    const utf8 = complete > 0 && isUtf8(buf.subarray(0, complete));
    for (;;) {
      const nl = buf.indexOf(LF, pos);
      if (nl === -1 || nl + 1 >= buf.length) break;
      let end: number;
      let event: string | undefined;
      let dataStart = -1;
      if (buf[nl + 1] === LF) {
        end = nl;
        if (startsWith(buf, pos, DATA)) dataStart = pos + 6;
      } else {
        end = buf.indexOf(BLANK, nl + 1);
        if (end === -1) break;
        // `event: name` then one `data: ` line.
        if (nl - pos > EVENT.length && startsWith(buf, pos, EVENT) && buf.indexOf(LF, nl + 1) === end && startsWith(buf, nl + 1, DATA)) {
          dataStart = nl + 7;
          event = buf.toString('utf8', pos + 7, nl);
        }
      }
      if (dataStart !== -1 && (utf8 || isUtf8(buf.subarray(pos, end)))) {
        events.push(event === undefined ? { start: pos, end, dataStart } : { start: pos, end, dataStart, event });
      } else {
        if (!side) {
          side = createParser({ onEvent: (e) => sideEvents.push(e) });
          // Its first feed would drop a leading "ï»¿", which only the stream's start may.
          side.feed('');
        }
        text ??= new TextDecoder('utf-8', { ignoreBOM: true });
        side.feed(`${text.decode(buf.subarray(pos, end))}\n\n`);
        for (const e of sideEvents) events.push(e.event === undefined ? { start: -1, data: e.data } : { start: -1, event: e.event, data: e.data });
        sideEvents.length = 0;
      }
      pos = end + 2;
    }
    if (pos < buf.length) left = buf.subarray(pos);
    if (events.length > 0) yield { buf, events };
    // An event that grows past the limit: eventsource-parser decides, as readEvents would.
    if (left && left.length > maxEventBytes) {
      compat = new Compat(maxEventBytes, false);
      const more = compat.feed(left);
      left = undefined;
      if (more.length > 0) yield { buf, events: more };
    }
  }
  if (compat) {
    const events = compat.end();
    if (events.length > 0) yield { buf: Buffer.alloc(0), events };
  }
  // Otherwise whatever is left never ended with a blank line: eventsource-parser drops it too.
}

/** The rest of a stream read exactly as `readEvents` reads it. */
class Compat {
  private readonly decoder: InstanceType<typeof TextDecoder>;
  private readonly queue: EventSourceMessage[] = [];
  private tooBig = false;
  private readonly parser: EventSourceParser;

  /** `atStart`: it reads the stream from its first byte (where a byte order mark is dropped). */
  constructor(
    private readonly maxEventBytes: number,
    atStart: boolean,
  ) {
    this.decoder = new TextDecoder('utf-8', { ignoreBOM: !atStart });
    this.parser = createParser({
      onEvent: (event) => this.queue.push(event),
      onError: (error) => {
        if (error.type === 'max-buffer-size-exceeded') this.tooBig = true;
      },
      maxBufferSize: maxEventBytes,
    });
    if (!atStart) this.parser.feed('');
  }

  feed(bytes: Buffer): TextEvent[] {
    this.parser.feed(this.decoder.decode(bytes, { stream: true }));
    if (this.tooBig) throw new BadResponse(`upstream sent an SSE event larger than ${this.maxEventBytes} bytes`);
    return this.take();
  }

  end(): TextEvent[] {
    this.parser.feed(this.decoder.decode());
    this.parser.reset({ consume: true });
    return this.take();
  }

  private take(): TextEvent[] {
    const out = this.queue.map((e): TextEvent => (e.event === undefined ? { start: -1, data: e.data } : { start: -1, event: e.event, data: e.data }));
    this.queue.length = 0;
    return out;
  }
}
