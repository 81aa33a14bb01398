/**
 * @module
 * The upstream body of an OpenAI-compatible target is the client's own body with
 * `model` replaced. When the relay read the client's bytes itself, it patches them
 * instead of serialising the parsed body again (which grows with the prompt: a 1 MB
 * prompt costs milliseconds to stringify). The upstream reads the same JSON values
 * either way; the bytes it gets are the client's, whitespace and number spellings kept.
 *
 * Patched only where that is safe by construction: the bytes hold no `\u` escape (so
 * every key is spelled as it reads) and the literal `"model"` exactly once, which must
 * then be the top-level key every request has; its value must be spelled exactly as
 * `JSON.stringify` spells the parsed one; and it holds fewer than {@link MAX_BRACKETS}
 * brackets, so it is not nested deeper than `JSON.stringify` goes (a body it cannot
 * serialise is refused as before). Anything else is serialised as before.
 */
const MODEL = Buffer.from('"model"');
/** Fewer brackets than this cannot nest deep enough to overflow `JSON.stringify` (about 4,000 levels). */
export const MAX_BRACKETS = 1_000;
const ESCAPE = Buffer.from('\\u');

function space(c: number | undefined): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * `raw` (the JSON object the request was parsed from, whose `model` is `current`) with
 * `model` in its place and `append` (members, each led by a comma) added at its end;
 * undefined when the bytes cannot be patched safely (see the module comment).
 */
export function patchModel(raw: Buffer, current: string, model: string, append = ''): Buffer | undefined {
  let open = 0;
  while (space(raw[open])) open++;
  // Not an object as written (a byte order mark, say): serialise.
  if (raw[open] !== 0x7b /* { */) return undefined;
  const at = raw.indexOf(MODEL);
  if (at === -1 || raw.indexOf(MODEL, at + 1) !== -1 || raw.indexOf(ESCAPE) !== -1 || !shallow(raw)) return undefined;
  let i = at + MODEL.length;
  while (space(raw[i])) i++;
  if (raw[i] !== 0x3a /* : */) return undefined;
  i++;
  while (space(raw[i])) i++;
  const was = Buffer.from(JSON.stringify(current));
  if (i + was.length > raw.length || raw.compare(was, 0, was.length, i, i + was.length) !== 0) return undefined;
  const after = i + was.length;
  let close = raw.length - 1;
  while (close > after && space(raw[close])) close--;
  if (raw[close] !== 0x7d /* } */) return undefined;
  const parts = [raw.subarray(0, i), Buffer.from(JSON.stringify(model))];
  if (append === '') parts.push(raw.subarray(after));
  else parts.push(raw.subarray(after, close), Buffer.from(append), raw.subarray(close));
  return Buffer.concat(parts);
}

/** Whether `raw` holds fewer than {@link MAX_BRACKETS} opening brackets. */
function shallow(raw: Buffer): boolean {
  let n = 0;
  for (const bracket of [0x7b, 0x5b]) {
    for (let i = raw.indexOf(bracket); i !== -1; i = raw.indexOf(bracket, i + 1)) if (++n >= MAX_BRACKETS) return false;
  }
  return true;
}
