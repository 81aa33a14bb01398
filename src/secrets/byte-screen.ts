/**
 * @module
 * Secrets, looked for in bytes. A stream event may pass to the client as the upstream's
 * own bytes, unparsed, only when the redaction it skips could not have changed it: the
 * {@link ByteScreen} says so from a few `indexOf`s, and sends the event the slow way
 * (parsed, through the {@link ChunkGuard}) whenever it cannot be sure.
 *
 * Why its patterns are enough for the chat guard (`stream-guard.ts`), given a guard that
 * is not {@link ChunkGuard.armed} (no lane holds text, no lane's sent text ends with the
 * first one to three characters of a secret):
 * - the guard holds back a tail of four or more characters that starts a secret, and
 *   redacts a whole secret: either way the event holds the secret's first three
 *   characters;
 * - it redacts a continuation only after a lane's sent text ended with a secret's start,
 *   which an unarmed guard excludes; and an event whose own text ends with one (its
 *   first one, two or three characters before the quote that closes a value, not a key
 *   such as `"choices"`) is screened out, so the
 *   events that pass cannot arm the guard behind its back;
 * - escapes (`\u0073k-…`, `\/`) could spell any of this, and a SigV4 `Signature=` is
 *   redacted by pattern: bytes with either go the slow way.
 */
import type { Redactor } from './redactor.js';

/** Always looked for: escapes that could hide a secret, and SigV4 signatures. */
const ALWAYS = ['\\u', '\\/', 'ignature='];

export class ByteScreen {
  #built: readonly string[] | undefined;
  #starts: Buffer[] = [];
  /** A secret's first one or two characters and a quote: a hit only where the quote closes a value. */
  #ends: Buffer[] = [];
  #whole: Buffer[] = [];

  constructor(private readonly redactor: Redactor) {}

  /**
   * Whether `buf[from, to)` is clear of every secret's start (see the module): the
   * chat guard, unarmed, would pass it unchanged and stay unarmed.
   */
  clear(buf: Buffer, from: number, to: number): boolean {
    this.#build();
    const bytes = from === 0 && to === buf.length ? buf : buf.subarray(from, to);
    if (hits(bytes, this.#starts)) return false;
    for (const p of this.#ends) if (endsValue(bytes, p)) return false;
    return true;
  }

  /** Whether `buf[from, to)` holds a whole secret or a signature (what `Redactor.text` replaces), or an escape that may spell one. */
  holdsSecret(buf: Buffer, from: number, to: number): boolean {
    this.#build();
    return hits(from === 0 && to === buf.length ? buf : buf.subarray(from, to), this.#whole);
  }

  #build(): void {
    const values = this.redactor.values();
    if (values === this.#built) return;
    this.#built = values;
    const starts = new Set(ALWAYS);
    const ends = new Set<string>();
    for (const v of values) {
      starts.add(v.slice(0, 3));
      ends.add(`${v.slice(0, 1)}"`);
      ends.add(`${v.slice(0, 2)}"`);
    }
    this.#starts = [...starts].map((s) => Buffer.from(s, 'utf8'));
    this.#ends = [...ends].map((s) => Buffer.from(s, 'utf8'));
    this.#whole = [...ALWAYS, ...values].map((s) => Buffer.from(s, 'utf8'));
  }
}

function hits(bytes: Buffer, patterns: readonly Buffer[]): boolean {
  for (const p of patterns) if (bytes.indexOf(p) !== -1) return true;
  return false;
}

const COLON = 0x3a;

/** Whether `p` (ending in a quote) occurs where the quote ends a string that is not a key: what follows it, past whitespace, is not a colon. */
function endsValue(bytes: Buffer, p: Buffer): boolean {
  for (let at = bytes.indexOf(p); at !== -1; at = bytes.indexOf(p, at + 1)) {
    let i = at + p.length;
    while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)) i++;
    if (bytes[i] !== COLON) return true;
  }
  return false;
}
