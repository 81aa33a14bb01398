/**
 * @module
 * `JSON.stringify(value).length` without building the string: the prompt estimate
 * counts tool definitions and tool calls by their JSON length on every request that
 * has them, and a serialisation per request only to measure it showed in profiles.
 * Plain JSON values (what a JSON parser makes) are walked; anything else, and values
 * nested deeper than {@link MAX_DEPTH}, are measured by `JSON.stringify` itself, so the
 * answer is always the same (0 where it throws, as the estimate wants).
 */

/** Deeper values are measured by `JSON.stringify` (which gives up around 4,000 levels). */
const MAX_DEPTH = 500;
/** Characters `JSON.stringify` escapes, or writes as `\uXXXX`. */
const SPECIAL = /["\\\u0000-\u001f\ud800-\udfff]/;

class NotPlain extends Error {}

/** `JSON.stringify(value)?.length ?? 0`, or 0 where it throws. */
export function jsonLength(value: unknown): number {
  try {
    return measure(value, 0) ?? 0;
  } catch (err) {
    if (!(err instanceof NotPlain)) throw err;
    try {
      return JSON.stringify(value)?.length ?? 0;
    } catch {
      return 0;
    }
  }
}

function stringLength(s: string): number {
  if (!SPECIAL.test(s)) return s.length + 2;
  let n = 2;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22 || c === 0x5c || c === 0x08 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d) n += 2;
    else if (c < 0x20) n += 6;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        n += 2;
        i++;
      } else n += 6;
    } else if (c >= 0xdc00 && c <= 0xdfff) n += 6;
    else n += 1;
  }
  return n;
}

/** The length, or undefined for a value `JSON.stringify` leaves out (`undefined`). */
function measure(value: unknown, depth: number): number | undefined {
  switch (typeof value) {
    case 'string':
      return stringLength(value);
    case 'number':
      return Number.isFinite(value) ? String(value).length : 4;
    case 'boolean':
      return value ? 4 : 5;
    case 'undefined':
      return undefined;
    case 'object': {
      if (value === null) return 4;
      if (depth >= MAX_DEPTH) throw new NotPlain();
      if (Array.isArray(value)) {
        let n = 2 + Math.max(0, value.length - 1);
        for (const item of value) n += measure(item, depth + 1) ?? 4;
        return n;
      }
      const proto = Object.getPrototypeOf(value) as unknown;
      if ((proto !== Object.prototype && proto !== null) || typeof (value as { toJSON?: unknown }).toJSON === 'function') throw new NotPlain();
      let n = 2;
      let members = 0;
      for (const key of Object.keys(value)) {
        const v = measure((value as Record<string, unknown>)[key], depth + 1);
        if (v === undefined) continue;
        n += stringLength(key) + 1 + v;
        members++;
      }
      return n + Math.max(0, members - 1);
    }
    default:
      // Functions, symbols, bigints: JSON.stringify decides.
      throw new NotPlain();
  }
}
