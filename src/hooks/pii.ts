/**
 * @module
 * Personal data in text: e-mail addresses, phone numbers, payment card numbers (Luhn
 * checked), IBANs (mod-97 checked) and API-key-shaped secrets, found by patterns and
 * checksums rather than a library: the checks are small and exact where exactness is
 * possible (cards, IBANs), and no dependency sits on the hot path of every guarded
 * request. What it misses is documented in `docs/` (numbers written out in words, phone
 * numbers without separators shorter than 9 digits, e-mails spelled "at" and "dot").
 *
 * {@link StreamMasker} masks a stream of text deltas, holding back a short tail so a
 * value split across two chunks is still found.
 */

/** The kinds of personal data the guardrail knows. */
export type PiiKind = 'email' | 'phone' | 'card' | 'iban' | 'secret';

export const PII_KINDS: readonly PiiKind[] = ['email', 'phone', 'card', 'iban', 'secret'];

interface Match {
  kind: PiiKind;
  start: number;
  end: number;
}

const PATTERNS: { kind: PiiKind; re: RegExp; valid?: (value: string) => boolean }[] = [
  { kind: 'card', re: /\b\d(?:[ -]?\d){12,18}\b/g, valid: (v) => luhn(v.replace(/\D/g, '')) },
  { kind: 'iban', re: /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b/g, valid: (v) => ibanValid(v.replace(/ /g, '')) },
  {
    kind: 'secret',
    re: /\b(?:sk-(?:ant-|proj-)?[A-Za-z0-9_-]{20,}|(?:AKIA|ASIA)[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{30,}|xox[abprs]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{35}|eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})/g,
  },
  { kind: 'email', re: /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g },
  {
    kind: 'phone',
    re: /(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]\d{2,4}){1,5}\b/g,
    valid: (v) => {
      const digits = v.replace(/\D/g, '').length;
      // Dates and versions look like this too: ask for a phone's length and shape.
      return digits >= 9 && digits <= 15 && !/^\d{4}-\d{2}-\d{2}$/.test(v) && (/^[+(]/.test(v) || /[ .-]/.test(v));
    },
  },
];

/** The Luhn checksum of a card number. */
export function luhn(digits: string): boolean {
  if (digits.length < 13 || digits.length > 19) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** The ISO 13616 check of an IBAN (letters as numbers, mod 97 = 1). */
export function ibanValid(iban: string): boolean {
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(iban)) return false;
  const moved = iban.slice(4) + iban.slice(0, 4);
  let rest = 0;
  for (const ch of moved) {
    const n = ch >= 'A' ? String(ch.charCodeAt(0) - 55) : ch;
    for (const digit of n) rest = (rest * 10 + (digit.charCodeAt(0) - 48)) % 97;
  }
  return rest === 1;
}

/** Every piece of personal data of `kinds` in `text`, first found first, none overlapping. */
export function findPii(text: string, kinds: ReadonlySet<PiiKind>): Match[] {
  const found: Match[] = [];
  for (const { kind, re, valid } of PATTERNS) {
    if (!kinds.has(kind)) continue;
    for (const m of text.matchAll(re)) {
      const start = m.index!;
      const end = start + m[0].length;
      if (valid && !valid(m[0])) continue;
      if (found.some((f) => start < f.end && end > f.start)) continue;
      found.push({ kind, start, end });
    }
  }
  return found.sort((a, b) => a.start - b.start);
}

/** `text` with each value replaced by `[kind]`, and the kinds found. */
export function maskPii(text: string, kinds: ReadonlySet<PiiKind>): { text: string; found: PiiKind[] } {
  const matches = findPii(text, kinds);
  if (matches.length === 0) return { text, found: [] };
  let out = '';
  let at = 0;
  for (const m of matches) {
    out += `${text.slice(at, m.start)}[${m.kind}]`;
    at = m.end;
  }
  return { text: out + text.slice(at), found: [...new Set(matches.map((m) => m.kind))] };
}

/** Longest tail held back while a value may still be growing. */
const HOLD = 64;

/**
 * Masks a stream of text deltas: each `push` returns the text that is safe to send now,
 * masked; the last {@link HOLD} characters (or more, while a value straddles the cut)
 * wait for the next delta or for `flush`.
 */
export class StreamMasker {
  private buffer = '';
  readonly found = new Set<PiiKind>();

  constructor(private readonly kinds: ReadonlySet<PiiKind>) {}

  push(delta: string): string {
    this.buffer += delta;
    if (this.buffer.length <= HOLD) return '';
    let cut = this.buffer.length - HOLD;
    for (const m of findPii(this.buffer, this.kinds)) if (m.start < cut && m.end > cut) cut = m.start;
    return this.emit(cut);
  }

  flush(): string {
    return this.emit(this.buffer.length);
  }

  private emit(cut: number): string {
    const head = this.buffer.slice(0, cut);
    this.buffer = this.buffer.slice(cut);
    const { text, found } = maskPii(head, this.kinds);
    for (const k of found) this.found.add(k);
    return text;
  }
}

/** Keys whose values are names or ids, never free text: left as they are. */
const STRUCTURAL = new Set(['model', 'role', 'type', 'id', 'call_id', 'tool_call_id', 'tool_use_id', 'name', 'object', 'status', 'finish_reason', 'stop_reason', 'media_type', 'format', 'signature']);

/** Masks every free-text string in a JSON value (in place); returns the kinds found. */
export function maskJson(value: unknown, kinds: ReadonlySet<PiiKind>, found = new Set<PiiKind>()): Set<PiiKind> {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (typeof value[i] === 'string') {
        const m = maskPii(value[i] as string, kinds);
        value[i] = m.text;
        m.found.forEach((k) => found.add(k));
      } else maskJson(value[i], kinds, found);
    }
    return found;
  }
  if (value === null || typeof value !== 'object') return found;
  const o = value as Record<string, unknown>;
  for (const [key, v] of Object.entries(o)) {
    if (STRUCTURAL.has(key)) continue;
    // base64 data (images, documents) is not text to read.
    if (key === 'data' || key === 'url' || key === 'image_url' || key === 'file_data' || key === 'encrypted_content') continue;
    if (typeof v === 'string') {
      const m = maskPii(v, kinds);
      o[key] = m.text;
      m.found.forEach((k) => found.add(k));
    } else maskJson(v, kinds, found);
  }
  return found;
}
