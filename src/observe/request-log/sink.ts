/**
 * @module
 * Where request records go besides memory: anything with a `write`. The relay never
 * waits for a sink; a sink that fails reports through its own `onError`.
 */
import type { RequestRecord } from './record.js';

/**
 * A destination for finished request records (a file, a queue, the host's logger).
 *
 * @example
 * ```ts
 * const sink: RequestLogSink = { write: (r) => logger.info(r, 'llm request') };
 * createRelay({ ...config, requestLog: { sinks: [sink] } });
 * ```
 */
export interface RequestLogSink {
  /** Takes one record. Called in order; may return a promise, which the relay does not wait for. */
  write(record: RequestRecord): void | Promise<void>;
  /** Flushes and releases the sink; `relay.close()` calls it. */
  close?(): void | Promise<void>;
}
