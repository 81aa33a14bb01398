/**
 * @module
 * A request log sink that appends one JSON object per line to a file and rotates it by
 * size and by age, keeping the newest rotated files: a 24-hour (or longer) audit trail
 * on disk. Writes are queued and batched; the relay never waits for them.
 */
import { open, readdir, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DEFAULTS } from '../../options.js';
import type { RequestRecord } from './record.js';
import type { RequestLogSink } from './sink.js';

/** Options of {@link JsonLinesFileSink}. */
export interface JsonLinesFileSinkOptions {
  /** The file written to; rotated files get a timestamp suffix (`requests.jsonl.2026-11-30T19-04-31.000Z`). */
  path: string;
  /**
   * Rotate before a write would take the file past this size, in bytes.
   * @default 67108864 (64 MiB)
   */
  maxBytes?: number;
  /**
   * Rotate once the file has been written to for this long (counted from when this sink opened it).
   * @default 86400000 (1 day)
   */
  maxAgeMs?: number;
  /**
   * Rotated files kept; older ones are deleted.
   * @default 7
   */
  keep?: number;
  /**
   * Clock in ms, for tests.
   * @default Date.now
   */
  now?: () => number;
  /**
   * Told about a failed write or rotation (the record is lost; the sink goes on).
   * @default emits a process warning, at most once a minute
   */
  onError?: (err: unknown) => void;
}

const WARN_EVERY_MS = 60_000; // 1 min

/**
 * JSON lines on disk, rotated by size and age.
 *
 * @example
 * ```ts
 * const audit = new JsonLinesFileSink({ path: '/var/log/switchyard/requests.jsonl', maxAgeMs: 86_400_000, keep: 30 });
 * createRelay({ ...config, requestLog: { sinks: [audit] } });
 * ```
 */
export class JsonLinesFileSink implements RequestLogSink {
  private readonly path: string;
  private readonly maxBytes: number;
  private readonly maxAgeMs: number;
  private readonly keep: number;
  private readonly now: () => number;
  private readonly onError: (err: unknown) => void;
  private file: FileHandle | undefined;
  private size = 0;
  private openedAt = 0;
  private pending: string[] = [];
  private flushing: Promise<void> | undefined;
  private closed = false;
  private warnedAt = -Infinity;

  constructor(options: JsonLinesFileSinkOptions) {
    this.path = options.path;
    this.maxBytes = options.maxBytes ?? DEFAULTS.fileSink.maxBytes;
    this.maxAgeMs = options.maxAgeMs ?? DEFAULTS.fileSink.maxAgeMs;
    this.keep = options.keep ?? DEFAULTS.fileSink.keep;
    this.now = options.now ?? Date.now;
    this.onError =
      options.onError ??
      ((err) => {
        if (Date.now() - this.warnedAt < WARN_EVERY_MS) return;
        this.warnedAt = Date.now();
        process.emitWarning(`switchyard request log: ${(err as Error)?.message ?? String(err)}`, 'SwitchyardRequestLogWarning');
      });
  }

  write(record: RequestRecord): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.pending.push(`${JSON.stringify(record)}\n`);
    return this.flush();
  }

  /** Resolves once every record written so far is on disk. */
  flush(): Promise<void> {
    this.flushing ??= this.drain().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const lines = this.pending;
      this.pending = [];
      try {
        await this.append(lines);
      } catch (err) {
        this.onError(err);
      }
    }
  }

  private async append(lines: string[]): Promise<void> {
    for (const line of lines) {
      const bytes = Buffer.byteLength(line);
      if (this.file && this.size > 0 && (this.size + bytes > this.maxBytes || this.now() - this.openedAt >= this.maxAgeMs)) await this.rotate();
      if (!this.file) await this.openFile();
      await this.file!.write(line);
      this.size += bytes;
    }
  }

  private async openFile(): Promise<void> {
    this.file = await open(this.path, 'a');
    this.size = (await this.file.stat()).size;
    this.openedAt = this.now();
  }

  private async rotate(): Promise<void> {
    await this.file?.close();
    this.file = undefined;
    const stamp = new Date(this.now()).toISOString().replace(/:/g, '-');
    const dir = dirname(this.path);
    const name = basename(this.path);
    const existing = new Set(await readdir(dir));
    let target = `${name}.${stamp}`;
    for (let n = 1; existing.has(target); n++) target = `${name}.${stamp}.${n}`;
    await rename(this.path, join(dir, target));
    // ISO stamps sort by time: the oldest come first.
    const rotated = [...existing, target].filter((f) => f.startsWith(`${name}.`)).sort();
    for (const old of rotated.slice(0, Math.max(0, rotated.length - this.keep))) await unlink(join(dir, old)).catch(this.onError);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
    await this.file?.close();
    this.file = undefined;
  }
}
