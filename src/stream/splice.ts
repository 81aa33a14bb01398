/**
 * @module
 * Joins a resumed stream's continuation to what the client already has. Asked to go on
 * from the delivered text, many models start over, or repeat its last words; forwarded
 * as they come, the client would read the answer twice, glued without a space. So the
 * start of the continuation is held until it is clear how much of it repeats the end of
 * the delivered text (all of it, when the model started over), that much is dropped,
 * and when nothing repeats and the two sides would touch mid-sentence, a space goes
 * between them.
 */

/**
 * Shortest repeat dropped, unless the continuation repeats the whole delivered text or
 * whole words of at least {@link MIN_WORD_OVERLAP_CHARS}.
 */
export const MIN_OVERLAP_CHARS = 8;
export const MIN_WORD_OVERLAP_CHARS = 4;

/** A chat completion chunk, as far as the splice looks into it. */
export interface SpliceChunk {
  choices?: { index?: number; delta?: Record<string, unknown>; finish_reason?: unknown }[];
  [key: string]: unknown;
}

/** Scripts written without spaces between words: no space is added next to them. */
const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;
const WORD_START = /^[\p{L}\p{N}]/u;

function content(chunk: SpliceChunk): string {
  const c = chunk.choices?.[0]?.delta?.content;
  return typeof c === 'string' ? c : '';
}

function setContent(chunk: SpliceChunk, text: string): void {
  const delta = chunk.choices?.[0]?.delta;
  if (delta) delta.content = text;
}

/** Whether a chunk still says something once its text is gone. */
function meaningful(chunk: SpliceChunk): boolean {
  for (const choice of chunk.choices ?? []) {
    if (choice.finish_reason !== null && choice.finish_reason !== undefined) return true;
    for (const [key, value] of Object.entries(choice.delta ?? {})) {
      if (key === 'role') continue;
      if (typeof value === 'string' ? value.length > 0 : value !== null && value !== undefined) return true;
    }
  }
  return chunk.usage !== undefined && chunk.usage !== null;
}

export class Splice {
  private held: SpliceChunk[] = [];
  private text = '';
  private decided = false;

  constructor(private readonly delivered: string) {}

  /** Takes one chunk of the continuation; returns the chunks to send now. */
  push(chunk: SpliceChunk): SpliceChunk[] {
    for (const choice of chunk.choices ?? []) delete choice.delta?.role;
    if (this.decided) return meaningful(chunk) ? [chunk] : [];
    this.held.push(chunk);
    this.text += content(chunk);
    const final = (chunk.choices ?? []).some((c) => c.finish_reason !== null && c.finish_reason !== undefined);
    return final || !this.undecided() ? this.decide() : [];
  }

  /** The continuation ended: what is still held. */
  flush(): SpliceChunk[] {
    return this.decided ? [] : this.decide();
  }

  /** Whether the held text may still turn out to repeat the end of the delivered text. */
  private undecided(): boolean {
    const d = this.delivered;
    if (this.text.length === 0) return true;
    // Some position of the delivered text starts with everything held so far.
    return this.text.length < d.length && d.includes(this.text);
  }

  /** How many leading characters of the held text repeat the end of the delivered text. */
  private overlap(): number {
    const d = this.delivered;
    const t = this.text;
    for (let k = Math.min(d.length, t.length); k >= Math.min(MIN_WORD_OVERLAP_CHARS, d.length); k--) {
      if (!d.endsWith(t.slice(0, k))) continue;
      if (k === d.length || k >= MIN_OVERLAP_CHARS) return k;
      // A short repeat counts only as whole words: "…brown" then "brown fox".
      const before = d.length - k === 0 || /\s/.test(d[d.length - k - 1]!);
      const after = k === t.length || /[\s\p{P}]/u.test(t[k]!);
      if (before && after) return k;
    }
    return 0;
  }

  private decide(): SpliceChunk[] {
    this.decided = true;
    let drop = this.overlap();
    const join = drop === 0 && this.needsSpace();
    const out: SpliceChunk[] = [];
    let first = true;
    for (const chunk of this.held) {
      let text = content(chunk);
      if (drop > 0) {
        const cut = Math.min(drop, text.length);
        text = text.slice(cut);
        drop -= cut;
      }
      if (first && text.length > 0) {
        if (join) text = ` ${text}`;
        first = false;
      }
      setContent(chunk, text);
      if (text.length > 0 || meaningful(chunk)) out.push(chunk);
    }
    this.held = [];
    return out;
  }

  /** A space is missing when the delivered text ends a word and the continuation starts one. */
  private needsSpace(): boolean {
    const last = this.delivered.at(-1);
    const next = this.text.trimStart() === this.text ? this.text : '';
    if (last === undefined || next.length === 0 || /\s/.test(last)) return false;
    if (UNSPACED.test(last) || UNSPACED.test(next[0]!)) return false;
    return WORD_START.test(next);
  }
}
