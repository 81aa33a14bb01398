/**
 * @module
 * The credentials a provider used lately, as one live list that redaction reads (see
 * `Secret` in redact.ts): session tokens and bearer tokens change while the relay runs.
 */

/** Most recent credentials kept for redaction: enough for tokens still in flight after a rotation. */
const KEEP = 16;

export class LiveSecrets {
  /** Read by `redact()`; never logged. */
  readonly values: string[] = [];

  /** Remembers `items` (empty and very short values are skipped: they would redact everything). */
  add(...items: (string | undefined)[]): void {
    for (const item of items) {
      if (item === undefined || item.length < 8 || this.values.includes(item)) continue;
      this.values.push(item);
      if (this.values.length > KEEP) this.values.shift();
    }
  }
}
