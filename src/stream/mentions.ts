/**
 * @module
 * Whether an event mentions one of a few literals (`"usage"`, `"error"`, ...), asked
 * event by event over one upstream read: each literal is searched for once per read, in
 * native code, never per event. What an event's JSON can say without spelling such a
 * literal (an escape could, so `\u` is watched too) the relay need not parse it for.
 */
export class Mentions {
  private readonly at: number[];

  constructor(
    private readonly buf: Buffer,
    private readonly literals: readonly Buffer[],
  ) {
    this.at = literals.map((l) => buf.indexOf(l));
  }

  /** Whether a literal occurs inside `buf[from, to)`; ask for ranges in increasing order. */
  any(from: number, to: number): boolean {
    for (let k = 0; k < this.literals.length; k++) {
      const literal = this.literals[k]!;
      let at = this.at[k]!;
      while (at !== -1 && at < from) at = this.buf.indexOf(literal, at + 1);
      this.at[k] = at;
      if (at !== -1 && at + literal.length <= to) return true;
    }
    return false;
  }
}
