/**
 * @module
 * The credentials a provider used lately, as one live list that the relay's redactor
 * reads (see `secrets/redactor.ts`): session tokens and bearer tokens change while the
 * relay runs.
 */

/** Most recent credentials kept for redaction: enough for tokens still in flight after a rotation. */
const KEEP = 16;

export class LiveSecrets {
  /**
   * @param keep how many of the latest values to remember
   * @param scanBodies whether whole answer bodies are searched for them too; off for
   *   values good for one request only (SigV4 signatures): their shape is caught anyway,
   *   and searching a large body for many of them costs milliseconds
   */
  constructor(
    private readonly keep = KEEP,
    readonly scanBodies = true,
  ) {}

  /** Read by the redactor; never logged. Private, so no inspect or JSON of a holder shows it. */
  readonly #values: string[] = [];
  #version = 0;

  /** Remembers `items` (empty and very short values are skipped: they would redact everything). */
  add(...items: (string | undefined)[]): void {
    for (const item of items) {
      if (item === undefined || item.length < 8 || this.#values.includes(item)) continue;
      this.#values.push(item);
      if (this.#values.length > this.keep) this.#values.shift();
      this.#version++;
    }
  }

  /** The values, oldest first. */
  get values(): readonly string[] {
    return this.#values;
  }

  /** Changes whenever `values` does, so readers can cache what they derive from it. */
  get version(): number {
    return this.#version;
  }
}
