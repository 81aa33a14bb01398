/**
 * @module
 * The relay's one redactor: every secret it holds (provider keys, credential headers,
 * tokens and AWS credentials as they rotate), replaced by `[redacted]` in whatever text
 * from an upstream or the configuration could reach a client, a listener, a log or a
 * span. One per configuration, shared by all its providers, so a key one upstream echoes
 * is caught wherever it turns up.
 *
 * - {@link Redactor.text}: answers (bodies, stream events) — the secrets by value, and
 *   SigV4 signatures. Nothing else an answer says is touched.
 * - {@link Redactor.message}: everything else (upstream error messages, attempt details,
 *   logged prompts, span attributes) — also key-shaped text, and, when the text is
 *   clipped, the start of a secret left at the cut.
 * - {@link Redactor.stream}: a guard for one stream, for secrets split across events.
 *
 * Values shorter than 8 characters are not redacted: they would blank out ordinary text.
 */
import type { LiveSecrets } from '../auth/secrets.js';
import { KEY_SHAPES, REDACTED, SIGNATURE, redactShapes } from './patterns.js';
import { StreamGuard } from './stream-guard.js';

/** A secret to redact: a value, or a live list of values a credential source keeps current. */
export type SecretSource = string | LiveSecrets | undefined;

/** Shorter values are never redacted (nor their prefixes). */
export const MIN_SECRET = 8;

/** Characters `JSON.stringify` escapes: a secret with one appears escaped in JSON text. */
const ESCAPED = /["\\\u0000-\u001f]/;

/**
 * Every secret of one configuration, by value.
 *
 * @example
 * ```ts
 * const redactor = new Redactor();
 * redactor.add(apiKey);
 * redactor.message(`Incorrect API key provided: ${apiKey}`); // 'Incorrect API key provided: [redacted]'
 * ```
 */
export class Redactor {
  readonly #fixed = new Set<string>();
  readonly #live: LiveSecrets[] = [];
  #values: readonly string[] = [];
  /** The values whole answer bodies are searched for (see `LiveSecrets.scanBodies`). */
  #bodyValues: readonly string[] = [];
  /** Versions `#values` was built from: the fixed set's, and each live list's. */
  #fixedVersion = 0;
  #builtFixed = -1;
  #builtLive: number[] = [];

  /** Adds secrets: values (too-short ones are ignored) or live lists, read at each use. */
  add(...sources: (SecretSource | readonly string[])[]): void {
    for (const source of sources) {
      if (source === undefined) continue;
      if (typeof source === 'string') {
        if (source.length >= MIN_SECRET && !this.#fixed.has(source)) {
          this.#fixed.add(source);
          this.#fixedVersion++;
        }
      } else if (Array.isArray(source)) {
        this.add(...(source as readonly string[]));
      } else if (!this.#live.includes(source as LiveSecrets)) {
        this.#live.push(source as LiveSecrets);
        this.#fixedVersion++;
      }
    }
  }

  /** Every value to look for now, longest first (a secret inside another goes after it), with JSON-escaped forms. */
  values(): readonly string[] {
    if (this.#stale()) {
      const build = (lists: readonly LiveSecrets[]) => {
        const all = new Set(this.#fixed);
        for (const live of lists) for (const v of live.values) if (v.length >= MIN_SECRET) all.add(v);
        for (const v of [...all]) if (ESCAPED.test(v)) all.add(JSON.stringify(v).slice(1, -1));
        return [...all].sort((a, b) => b.length - a.length);
      };
      this.#values = build(this.#live);
      this.#bodyValues = build(this.#live.filter((live) => live.scanBodies));
      this.#builtFixed = this.#fixedVersion;
      this.#builtLive = this.#live.map((live) => live.version);
    }
    return this.#values;
  }

  /** Whether a value was added or a live list changed since `#values` was built (no allocation: it runs per chunk). */
  #stale(): boolean {
    if (this.#builtFixed !== this.#fixedVersion || this.#builtLive.length !== this.#live.length) return true;
    for (let i = 0; i < this.#live.length; i++) if (this.#builtLive[i] !== this.#live[i]!.version) return true;
    return false;
  }

  /** Whether there is anything to redact. */
  get empty(): boolean {
    return this.values().length === 0;
  }

  /** An answer's text with every secret and SigV4 signature replaced; nothing else changes. */
  text(text: string): string {
    let out = text;
    for (const v of this.values()) if (out.includes(v)) out = out.split(v).join(REDACTED);
    if (out.includes('ignature=')) out = out.replace(SIGNATURE[0], SIGNATURE[1]);
    return out;
  }

  /**
   * An answer's bytes, redacted as {@link text}; the same buffer when there is nothing in
   * it. JSON that escapes characters (`\u0073k-...`) is looked at decoded, so an escape
   * cannot hide a secret.
   */
  buffer(bytes: Buffer): Buffer {
    this.values(); // brings #bodyValues up to date
    const hit = this.#bodyValues.some((v) => bytes.includes(v)) || bytes.includes('ignature=');
    if (!hit) {
      if (this.empty || !bytes.includes('\\u')) return bytes;
      let parsed: unknown;
      try {
        parsed = JSON.parse(bytes.toString('utf8'));
      } catch {
        return bytes;
      }
      return this.json(parsed) ? Buffer.from(JSON.stringify(parsed), 'utf8') : bytes;
    }
    const text = bytes.toString('utf8');
    const out = this.text(text);
    return out === text ? bytes : Buffer.from(out, 'utf8');
  }

  /** Redacts every string in parsed JSON in place (as {@link text}); true when any changed. */
  json(value: unknown): boolean {
    if (typeof value !== 'object' || value === null) return false;
    let changed = false;
    const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
    for (const [k, v] of entries) {
      if (typeof v === 'string') {
        const out = this.text(v);
        if (out !== v) {
          (value as Record<string | number, unknown>)[k] = out;
          changed = true;
        }
      } else if (this.json(v)) {
        changed = true;
      }
    }
    return changed;
  }

  /**
   * Text that is not an answer (an upstream's error message, an attempt detail, a logged
   * prompt): secrets and key-shaped text redacted, then clipped to `max` characters. Redacted
   * before it is clipped, so no cut can split a secret; and a tail that is the start of a
   * secret (an upstream that clipped its own echo) goes too.
   */
  message(text: string, max = Number.POSITIVE_INFINITY): string {
    let out = redactShapes(this.text(text), KEY_SHAPES);
    const clipped = out.length > max;
    if (clipped) out = out.slice(0, max);
    out = this.cutPrefix(out);
    return clipped ? `${out}…` : out;
  }

  /** `text` without a tail of at least {@link MIN_SECRET} characters that starts a secret. */
  cutPrefix(text: string): string {
    const ellipsis = /(…|\.\.\.)$/.exec(text)?.[0] ?? '';
    const body = ellipsis ? text.slice(0, -ellipsis.length) : text;
    let cut = body.length;
    for (const v of this.values()) {
      for (let i = Math.max(0, body.length - v.length + 1); i <= body.length - MIN_SECRET && i < cut; i++) {
        if (body.charCodeAt(i) === v.charCodeAt(0) && v.startsWith(body.slice(i))) {
          cut = i;
          break;
        }
      }
    }
    return cut === body.length ? text : `${body.slice(0, cut)}${REDACTED}${ellipsis}`;
  }

  /** A guard for one streamed answer: secrets split across its events. */
  stream(): StreamGuard {
    return new StreamGuard(this);
  }

  /** What a logger sees: how many secrets, never which. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Redactor { secrets: ${this.values().length} }`;
  }

  toJSON(): Record<string, unknown> {
    return { secrets: this.values().length };
  }
}
