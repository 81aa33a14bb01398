/**
 * @module
 * Secrets split across stream events. Each event of a stream is redacted as a whole, but
 * an upstream that echoes a key in its answer may send it in pieces (`"sk-ca"`, `"nary…"`),
 * and no single event then holds it. The guard watches each text lane of a stream (the
 * content of a choice, a tool call's arguments) and:
 *
 * - holds back the end of a delta while it is the start of a secret (at least
 *   {@link HOLD} characters), sending it with the next delta once it is clear — or
 *   `[redacted]` if the secret completes;
 * - redacts the rest of a secret whose first one to three characters already went out
 *   (shorter starts are not held: they are in nearly every text), so at most the first
 *   three characters of a secret can reach a client, and only when an upstream splits it
 *   there.
 *
 * Held text changes only where deltas are cut, never the text; it is sent when its lane
 * finishes ({@link StreamGuard.flush}).
 */

const REDACTED = '[redacted]';

/** Tails this long that start a secret are held back. */
export const HOLD = 4;

/** What the guard needs of the redactor. */
export interface SecretList {
  values(): readonly string[];
  text(text: string): string;
  cutPrefix(text: string): string;
}

interface Lane {
  /** Not sent yet: it may be the start of a secret. */
  held: string;
  /** The last characters sent (at most HOLD - 1). */
  recent: string;
}

export class StreamGuard {
  readonly #lanes = new Map<string, Lane>();

  constructor(private readonly secrets: SecretList) {}

  /** Takes the next delta of `lane`; returns what may be sent now. */
  push(lane: string, delta: string): string {
    let state = this.#lanes.get(lane);
    if (!state) {
      state = { held: '', recent: '' };
      this.#lanes.set(lane, state);
    }
    const values = this.secrets.values();
    let text = state.held + delta;
    state.held = '';
    const continued = this.continuation(state.recent, text, values);
    if (continued === undefined) {
      state.held = text;
      return '';
    }
    text = this.secrets.text(continued);
    const cut = heldFrom(text, values);
    state.held = text.slice(cut);
    const out = text.slice(0, cut);
    state.recent = (state.recent + out).slice(-(HOLD - 1));
    return out;
  }

  /** The lane finished: what it still holds (never a whole secret; a start of one is redacted). */
  flush(lane: string): string {
    const state = this.#lanes.get(lane);
    if (!state) return '';
    this.#lanes.delete(lane);
    return state.held === '' ? '' : this.secrets.cutPrefix(state.held);
  }

  /** Flushes every lane whose name starts with `prefix`: those that held text, with it (see {@link flush}). */
  pending(prefix: string): [lane: string, text: string][] {
    const lanes = [...this.#lanes.keys()].filter((lane) => lane.startsWith(prefix));
    return lanes.map((lane) => [lane, this.flush(lane)] as [string, string]).filter(([, text]) => text !== '');
  }

  /**
   * Whether the next delta of some lane could be changed by what came before it: a lane
   * holds text, or its sent text ends with the first one to three characters of a secret.
   */
  armed(): boolean {
    if (this.#lanes.size === 0) return false;
    const values = this.secrets.values();
    for (const { held, recent } of this.#lanes.values()) {
      if (held !== '') return true;
      for (const v of values) for (let k = Math.min(recent.length, HOLD - 1); k >= 1; k--) if (recent.endsWith(v.slice(0, k))) return true;
    }
    return false;
  }

  /** Forgets every lane (a stream resumed on another target: what was held was never sent). */
  reset(): void {
    this.#lanes.clear();
  }

  /**
   * `text` with the rest of a secret redacted when `recent` ended with its start, or
   * undefined when `text` may still be that rest and must wait for more.
   */
  private continuation(recent: string, text: string, values: readonly string[]): string | undefined {
    if (recent === '') return text;
    for (const v of values) {
      for (let k = Math.min(recent.length, v.length - 1); k >= 1; k--) {
        if (!recent.endsWith(v.slice(0, k))) continue;
        const rest = v.slice(k);
        if (text.startsWith(rest)) return REDACTED + text.slice(rest.length);
        if (rest.startsWith(text) && k + text.length >= HOLD) return undefined;
      }
    }
    return text;
  }
}

/** Where the tail of `text` that starts a secret (at least HOLD characters, shorter than the secret) begins, or its length. */
function heldFrom(text: string, values: readonly string[]): number {
  let cut = text.length;
  for (const v of values) {
    for (let i = Math.max(0, text.length - v.length + 1); i <= text.length - HOLD && i < cut; i++) {
      if (text.charCodeAt(i) === v.charCodeAt(0) && v.startsWith(text.slice(i))) {
        cut = i;
        break;
      }
    }
  }
  return cut;
}
