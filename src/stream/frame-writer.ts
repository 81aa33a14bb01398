/**
 * @module
 * The frames of one upstream read, gathered into one write: runs of the upstream's own
 * bytes (joined when one continues the last, so a read forwarded whole stays one
 * slice of it, never copied) and frames the relay wrote itself.
 */
export class FrameWriter {
  private parts: (Buffer | string)[] = [];
  /** The open run of bytes: `buf[from, to)`. */
  private buf: Buffer | undefined;
  private from = 0;
  private to = 0;

  /** Appends `buf[start, end)`. */
  bytes(buf: Buffer, start: number, end: number): void {
    if (this.buf === buf && this.to === start) {
      this.to = end;
      return;
    }
    this.close();
    this.buf = buf;
    this.from = start;
    this.to = end;
  }

  /** Appends a frame written as text. */
  text(frame: string): void {
    this.close();
    this.parts.push(frame);
  }

  get empty(): boolean {
    return this.buf === undefined && this.parts.length === 0;
  }

  /** Everything appended since the last call, as one piece to write, or undefined. */
  take(): Buffer | string | undefined {
    this.close();
    const parts = this.parts;
    if (parts.length === 0) return undefined;
    this.parts = [];
    if (parts.length === 1) return parts[0];
    if (parts.every((p) => typeof p === 'string')) return parts.join('');
    return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
  }

  private close(): void {
    if (!this.buf) return;
    this.parts.push(this.buf.subarray(this.from, this.to));
    this.buf = undefined;
  }
}
