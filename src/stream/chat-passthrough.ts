/**
 * @module
 * The chat relay's look at one upstream chunk, as bytes (see `json/scan.ts`): most
 * chunks go to the client exactly as they came, without being parsed. What the relay
 * must act on is sent the slow way (parsed, see `RelayStream.filter`): a chunk that is
 * not plainly valid, a finish reason (the end of the answer), a usage object (cost,
 * budgets, the client's usage chunk). One change is made on the bytes: the `"usage":null`
 * an upstream adds to every chunk when the relay asked for usage is cut out for a client
 * that did not, which is exactly what deleting the key and re-serialising gave, since
 * the scan checked that the chunk is already what `JSON.stringify` writes.
 */
import { ARRAY, NULL, OBJECT, same, scanJson } from '../json/scan.js';
import type { FrameWriter } from './frame-writer.js';
import type { RawEvent } from './sse-split.js';

const USAGE = Buffer.from('usage');
const CHOICES = Buffer.from('choices');
const DATA = Buffer.from('data: ');
const BLANK = Buffer.from('\n\n');

/** `sent`: written to `out`; `dropped`: nothing for the client; `slow`: parse it. */
export type Passed = 'sent' | 'dropped' | 'slow';

/**
 * Writes the client's frame of chunk `e` to `out` when that needs no parse; `keepUsage`:
 * the client asked for usage.
 */
export function passChunk(buf: Buffer, e: RawEvent, keepUsage: boolean, out: FrameWriter): Passed {
  const scan = scanJson(buf, e.dataStart, e.end);
  if (!scan || scan.escapedKey) return 'slow';
  let usage = -1;
  let choices = -1;
  for (let m = 0; m < scan.count; m++) {
    const from = scan.keyStart[m]!;
    const to = scan.keyEnd[m]!;
    if (same(buf, from, to, USAGE)) {
      if (usage !== -1) return 'slow';
      usage = m;
    } else if (same(buf, from, to, CHOICES)) {
      if (choices !== -1) return 'slow';
      choices = m;
    }
  }
  // A finished choice is read by the relay (the answer's end and finish reasons).
  if (choices !== -1 && scan.kind[choices] !== NULL) {
    if (scan.kind[choices] !== ARRAY) return 'slow';
    for (let c = 0; c < scan.choices; c++) {
      if (scan.choiceKind[c] !== OBJECT) return 'slow';
      const finish = scan.finishKind[c];
      if (finish !== 0 && finish !== NULL) return 'slow';
    }
  }
  if (usage !== -1) {
    // Real usage is read (cost, budgets); `null` matters only to a client that did not ask.
    if (scan.kind[usage] !== NULL) return 'slow';
    if (!keepUsage) {
      if (choices !== -1 && scan.kind[choices] === ARRAY && scan.choices === 0) return 'dropped';
      if (!scan.canonical) return 'slow';
      // `,"usage":null`, or `"usage":null,` when it comes first.
      const last = usage === scan.count - 1;
      const cutFrom = usage > 0 ? scan.keyStart[usage]! - 2 : scan.keyStart[usage]! - 1;
      const cutTo = usage > 0 || last ? scan.valueEnd[usage]! : scan.valueEnd[usage]! + 1;
      frame(buf, e, cutFrom, cutTo, out);
      return 'sent';
    }
  }
  frame(buf, e, e.end, e.end, out);
  return 'sent';
}

/** The client's frame of `e` without `buf[cutFrom, cutTo)`: the upstream's own bytes when it framed the chunk as chat does. */
function frame(buf: Buffer, e: RawEvent, cutFrom: number, cutTo: number, out: FrameWriter): void {
  if (e.event === undefined) {
    out.bytes(buf, e.start, cutFrom);
    out.bytes(buf, cutTo, e.end + 2);
    return;
  }
  // An `event:` line, which chat frames do not carry.
  out.bytes(DATA, 0, DATA.length);
  out.bytes(buf, e.dataStart, cutFrom);
  out.bytes(buf, cutTo, e.end);
  out.bytes(BLANK, 0, BLANK.length);
}
