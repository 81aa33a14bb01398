/**
 * @module
 * A JSON reader that allocates nothing: it walks the bytes of one JSON text, checks
 * them against JSON's grammar and records where the top-level object's members are,
 * so the relay can forward an upstream's bytes as they came and look only at the few
 * members it needs (`usage`, `error`, `choices[].finish_reason`, `id`, `model`).
 * `JSON.parse` builds every object and string of the text, which showed in profiles as
 * the main cost of a relayed stream event.
 *
 * It also says whether the text is *canonical*: what `JSON.stringify(JSON.parse(text))`
 * gives back, byte for byte (no whitespace, no escape `JSON.stringify` would not write,
 * numbers as JavaScript prints them, no duplicate or integer-like keys). Removing a
 * member from a canonical text then gives exactly what deleting the key and
 * re-serialising would.
 *
 * It is conservative, never wrong: `undefined` means "read it with `JSON.parse`" (the
 * text is invalid, or nested deeper or wider than this reader keeps track of); a text
 * it accepts is one `JSON.parse` accepts. It expects valid UTF-8 (the caller checks
 * with `isUtf8`). No library does this without building the values, hence its own code.
 * Longer than 300 lines because JSON's grammar is read in one place: its readers share
 * one cursor, kept in module state so the hot loops stay free of allocation.
 */

/** Kinds of JSON values. */
export const OBJECT = 1;
export const ARRAY = 2;
export const STRING = 3;
export const NUMBER = 4;
export const LITERAL = 5;
export const NULL = 6;

/** Deepest nesting tracked; deeper texts are left to `JSON.parse`. */
const MAX_DEPTH = 64;
/** Most top-level members and `choices` elements recorded. */
const MAX_MEMBERS = 256;
/** Keys remembered at once for the duplicate check (over the whole nesting). */
const MAX_KEYS = 4096;

const CHOICES = bytes('choices');
const FINISH_REASON = bytes('finish_reason');

function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** What {@link scanJson} found; valid until the next scan (the arrays are reused). */
export interface JsonScan {
  /** The text is what `JSON.stringify(JSON.parse(text))` returns. */
  canonical: boolean;
  /** A top-level key holds an escape, so keys cannot be matched as bytes. */
  escapedKey: boolean;
  /** Top-level members, in order: key (inside its quotes) and value ranges, value kind. */
  count: number;
  keyStart: Int32Array;
  keyEnd: Int32Array;
  valueStart: Int32Array;
  valueEnd: Int32Array;
  kind: Uint8Array;
  /** Elements of the last top-level `choices` array (-1 when it has none or is not an array). */
  choices: number;
  /** Per element: its kind, and the kind and range of its last `finish_reason` (0: absent). */
  choiceKind: Uint8Array;
  finishKind: Uint8Array;
  finishStart: Int32Array;
  finishEnd: Int32Array;
}

const result: JsonScan = {
  canonical: true,
  escapedKey: false,
  count: 0,
  keyStart: new Int32Array(MAX_MEMBERS),
  keyEnd: new Int32Array(MAX_MEMBERS),
  valueStart: new Int32Array(MAX_MEMBERS),
  valueEnd: new Int32Array(MAX_MEMBERS),
  kind: new Uint8Array(MAX_MEMBERS),
  choices: -1,
  choiceKind: new Uint8Array(MAX_MEMBERS),
  finishKind: new Uint8Array(MAX_MEMBERS),
  finishStart: new Int32Array(MAX_MEMBERS),
  finishEnd: new Int32Array(MAX_MEMBERS),
};

/** Key ranges of the objects being read, for the duplicate check. */
const keys = new Int32Array(MAX_KEYS * 2);
let keyTop = 0;

let b: Uint8Array = new Uint8Array(0);
let i = 0;
let end = 0;
/** Set when the text cannot be read here (invalid, or too deep or wide). */
let bad = false;

/** Reads `buf[start, stop)` as one JSON object; see the module comment. */
export function scanJson(buf: Uint8Array, start = 0, stop = buf.length): JsonScan | undefined {
  b = buf;
  i = start;
  end = stop;
  bad = false;
  keyTop = 0;
  result.canonical = true;
  result.escapedKey = false;
  result.count = 0;
  result.choices = -1;
  skipSpace();
  if (i >= end || b[i] !== 0x7b) return undefined;
  object(1, true);
  skipSpace();
  if (bad || i !== end) return undefined;
  return result;
}

/** The index of the last top-level member named `name`, or -1. */
export function member(scan: JsonScan, buf: Uint8Array, name: Uint8Array): number {
  for (let m = scan.count - 1; m >= 0; m--) if (same(buf, scan.keyStart[m]!, scan.keyEnd[m]!, name)) return m;
  return -1;
}

/** Whether `buf[from, to)` holds exactly `name`. */
export function same(buf: Uint8Array, from: number, to: number, name: Uint8Array): boolean {
  if (to - from !== name.length) return false;
  for (let k = 0; k < name.length; k++) if (buf[from + k] !== name[k]) return false;
  return true;
}

function skipSpace(): void {
  while (i < end) {
    const c = b[i]!;
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return;
    result.canonical = false;
    i++;
  }
}

/** Reads one value at `i`; returns its kind (0 when it is not valid). */
function value(depth: number): number {
  if (i >= end) return fail();
  const c = b[i]!;
  if (c === 0x22) return string(false) ? STRING : 0;
  if (c === 0x7b) return object(depth + 1, false) ? OBJECT : 0;
  if (c === 0x5b) return array(depth + 1, false) ? ARRAY : 0;
  if (c === 0x74) return word(0x72, 0x75, 0x65, -1) ? LITERAL : 0; // true
  if (c === 0x66) return word(0x61, 0x6c, 0x73, 0x65) ? LITERAL : 0; // false
  if (c === 0x6e) return word(0x75, 0x6c, 0x6c, -1) ? NULL : 0; // null
  return number() ? NUMBER : 0;
}

function fail(): number {
  bad = true;
  return 0;
}

function word(c1: number, c2: number, c3: number, c4: number): boolean {
  const n = c4 < 0 ? 4 : 5;
  if (i + n > end || b[i + 1] !== c1 || b[i + 2] !== c2 || b[i + 3] !== c3 || (c4 >= 0 && b[i + 4] !== c4)) return fail() !== 0;
  i += n;
  return true;
}

function digits(): number {
  const from = i;
  while (i < end && b[i]! >= 0x30 && b[i]! <= 0x39) i++;
  return i - from;
}

function number(): boolean {
  const from = i;
  if (b[i] === 0x2d) i++; // -
  if (i >= end) return fail() !== 0;
  if (b[i] === 0x30) i++;
  else if (b[i]! >= 0x31 && b[i]! <= 0x39) digits();
  else return fail() !== 0;
  let plain = true;
  if (i < end && b[i] === 0x2e) {
    i++;
    if (digits() === 0) return fail() !== 0;
    plain = false;
  }
  if (i < end && (b[i] === 0x65 || b[i] === 0x45)) {
    i++;
    if (i < end && (b[i] === 0x2b || b[i] === 0x2d)) i++;
    if (digits() === 0) return fail() !== 0;
    plain = false;
  }
  if (result.canonical) {
    const length = i - from;
    // An integer of up to 15 digits prints as written, except -0.
    const simple = plain && length - (b[from] === 0x2d ? 1 : 0) <= 15 && !(b[from] === 0x2d && b[from + 1] === 0x30);
    if (!simple) {
      let text = '';
      for (let k = from; k < i; k++) text += String.fromCharCode(b[k]!);
      if (String(Number(text)) !== text) result.canonical = false;
    }
  }
  return true;
}

/**
 * Reads a string at `i` (its opening quote). Escapes other than the ones
 * `JSON.stringify` writes make the text non-canonical; in a key, any escape is noted.
 */
function string(key: boolean): boolean {
  i++;
  while (i < end) {
    // Plain characters first, with locals: this loop is most of the work.
    const buf = b;
    const stop = end;
    let k = i;
    let c = buf[k]!;
    while (c !== 0x22 && c !== 0x5c && c >= 0x20 && ++k < stop) c = buf[k]!;
    i = k;
    if (k >= stop) break;
    if (c === 0x22) {
      i++;
      return true;
    }
    if (c < 0x20) return fail() !== 0;
    if (key) result.escapedKey = true;
    const e = b[i + 1];
    if (e === 0x22 || e === 0x5c || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
      i += 2;
    } else if (e === 0x2f) {
      result.canonical = false;
      i += 2;
    } else if (e === 0x75) {
      if (i + 6 > end) return fail() !== 0;
      let code = 0;
      let lower = true;
      for (let k = i + 2; k < i + 6; k++) {
        const h = b[k]!;
        const d = h >= 0x30 && h <= 0x39 ? h - 0x30 : h >= 0x61 && h <= 0x66 ? h - 0x57 : h >= 0x41 && h <= 0x46 ? ((lower = false), h - 0x37) : -1;
        if (d < 0) return fail() !== 0;
        code = code * 16 + d;
      }
      // JSON.stringify escapes only control characters without a short form (and lone
      // surrogates, left to JSON.parse here), in lower-case hex.
      if (!lower || code >= 0x20 || code === 0x08 || code === 0x09 || code === 0x0a || code === 0x0c || code === 0x0d) result.canonical = false;
      i += 6;
    } else {
      return fail() !== 0;
    }
  }
  return fail() !== 0;
}

/** Whether the key just read (`from`, `to`) repeats one of this object's, or is integer-like. */
function repeated(base: number, from: number, to: number): boolean {
  let digitsOnly = to > from;
  for (let k = from; k < to && digitsOnly; k++) digitsOnly = b[k]! >= 0x30 && b[k]! <= 0x39;
  // V8 orders integer-like keys first: JSON.stringify would move them.
  if (digitsOnly) return true;
  for (let k = base; k < keyTop; k += 2) {
    const s = keys[k]!;
    const e = keys[k + 1]!;
    if (e - s !== to - from) continue;
    let equal = true;
    for (let n = 0; n < to - from && equal; n++) equal = b[s + n] === b[from + n];
    if (equal) return true;
  }
  return false;
}

/**
 * Reads an object at `i`. At the top level its members are recorded; inside an element
 * of the top-level `choices`, its `finish_reason` (`choice` is that element's index).
 */
function object(depth: number, top: boolean, choice = -1): boolean {
  if (depth > MAX_DEPTH) return fail() !== 0;
  i++;
  const base = keyTop;
  skipSpace();
  if (i < end && b[i] === 0x7d) {
    i++;
    return true;
  }
  for (;;) {
    if (i >= end || b[i] !== 0x22) return fail() !== 0;
    const keyFrom = i + 1;
    if (!string(top)) return false;
    const keyTo = i - 1;
    if (result.canonical) {
      if (repeated(base, keyFrom, keyTo)) result.canonical = false;
      else if (keyTop + 2 <= keys.length) {
        keys[keyTop++] = keyFrom;
        keys[keyTop++] = keyTo;
      } else result.canonical = false;
    }
    skipSpace();
    if (i >= end || b[i] !== 0x3a) return fail() !== 0;
    i++;
    skipSpace();
    const valueFrom = i;
    let kind: number;
    if (top && b[i] === 0x5b && same(b, keyFrom, keyTo, CHOICES)) {
      kind = array(depth + 1, true) ? ARRAY : 0;
    } else {
      if (top && same(b, keyFrom, keyTo, CHOICES)) result.choices = -1;
      kind = value(depth);
    }
    if (kind === 0) return false;
    if (top) {
      const m = result.count++;
      if (m >= MAX_MEMBERS) return fail() !== 0;
      result.keyStart[m] = keyFrom;
      result.keyEnd[m] = keyTo;
      result.valueStart[m] = valueFrom;
      result.valueEnd[m] = i;
      result.kind[m] = kind;
    } else if (choice >= 0 && same(b, keyFrom, keyTo, FINISH_REASON)) {
      result.finishKind[choice] = kind;
      result.finishStart[choice] = valueFrom;
      result.finishEnd[choice] = i;
    }
    skipSpace();
    if (i < end && b[i] === 0x2c) {
      i++;
      skipSpace();
      continue;
    }
    if (i < end && b[i] === 0x7d) {
      i++;
      keyTop = base;
      return true;
    }
    return fail() !== 0;
  }
}

/** Reads an array at `i`; `choices`: it is the top-level `choices`, whose elements are recorded. */
function array(depth: number, choices: boolean): boolean {
  if (depth > MAX_DEPTH) return fail() !== 0;
  i++;
  let n = 0;
  skipSpace();
  if (i < end && b[i] === 0x5d) {
    i++;
    if (choices) result.choices = 0;
    return true;
  }
  for (;;) {
    let kind: number;
    if (choices) {
      if (n >= MAX_MEMBERS) return fail() !== 0;
      result.finishKind[n] = 0;
      kind = i < end && b[i] === 0x7b ? (object(depth + 1, false, n) ? OBJECT : 0) : value(depth);
      result.choiceKind[n] = kind;
    } else {
      kind = value(depth);
    }
    if (kind === 0) return false;
    n++;
    skipSpace();
    if (i < end && b[i] === 0x2c) {
      i++;
      skipSpace();
      continue;
    }
    if (i < end && b[i] === 0x5d) {
      i++;
      if (choices) result.choices = n;
      return true;
    }
    return fail() !== 0;
  }
}
