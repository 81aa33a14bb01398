/**
 * @module
 * The request log: the last N finished requests in memory (for `GET {prefix}/requests`
 * and the dashboard), live subscribers (its SSE feed), the sinks and running analytics,
 * fed by the engine's `requestEnd` records. Starts when configured or mounted.
 */
import type { RelayEvents } from '../../events.js';
import { Analytics, type AnalyticsSnapshot } from './analytics.js';
import type { RecordStatus, RequestRecord } from './record.js';
import type { RequestLogSink } from './sink.js';

/** Which records `recent()` returns. */
export interface RecordFilter {
  model?: string;
  caller?: string;
  status?: RecordStatus;
  /** At most this many, newest first. */
  limit?: number;
}

/** Whether `r` passes `f`. */
export function matches(r: RequestRecord, f: RecordFilter): boolean {
  return (f.model === undefined || r.model === f.model) && (f.caller === undefined || r.caller === f.caller) && (f.status === undefined || r.status === f.status);
}

export class RequestLog {
  private readonly ring: (RequestRecord | undefined)[];
  private next = 0;
  private count = 0;
  private readonly subscribers = new Set<(r: RequestRecord) => void>();
  private readonly analytics = new Analytics();
  private readonly stopListening: () => void;

  constructor(
    events: RelayEvents,
    options: { size: number },
    private sinks: RequestLogSink[],
    private readonly onSinkError: (err: unknown) => void,
  ) {
    this.ring = new Array<RequestRecord | undefined>(options.size);
    this.stopListening = events.on('requestEnd', (r) => this.add(r));
  }

  /** Replaces the sinks (a configuration update); the old ones are closed by their owner. */
  setSinks(sinks: RequestLogSink[]): void {
    this.sinks = sinks;
  }

  private add(r: RequestRecord): void {
    this.ring[this.next] = r;
    this.next = (this.next + 1) % this.ring.length;
    this.count = Math.min(this.count + 1, this.ring.length);
    this.analytics.add(r);
    for (const sink of this.sinks) {
      try {
        const done = sink.write(r);
        if (done) done.catch(this.onSinkError);
      } catch (err) {
        this.onSinkError(err);
      }
    }
    for (const fn of this.subscribers) fn(r);
  }

  /** The newest records first, filtered. */
  recent(filter: RecordFilter = {}): RequestRecord[] {
    const out: RequestRecord[] = [];
    const limit = filter.limit ?? this.ring.length;
    for (let i = 1; i <= this.count && out.length < limit; i++) {
      const r = this.ring[(this.next - i + this.ring.length) % this.ring.length]!;
      if (matches(r, filter)) out.push(r);
    }
    return out;
  }

  /** Calls `fn` with each new record; returns the function that stops it. */
  subscribe(fn: (r: RequestRecord) => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }

  /** Subscribers of the live feed, for leak checks. */
  get listeners(): number {
    return this.subscribers.size;
  }

  snapshot(): AnalyticsSnapshot {
    return this.analytics.snapshot();
  }

  /** Stops taking records and closes the sinks. */
  async close(): Promise<void> {
    this.stopListening();
    this.subscribers.clear();
    await Promise.all(this.sinks.map(async (s) => s.close?.())).catch(this.onSinkError);
  }
}
