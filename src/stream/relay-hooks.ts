/**
 * @module
 * What a `RelayStream` is made of and reports to: its segments (one per upstream
 * that served part of it) and the hooks of the request it belongs to.
 */
import type { ResolvedTarget } from '../config.js';
import type { AttemptRecord, StreamInterruptedError } from '../errors/index.js';
import type { CommittedStream } from './commit.js';

/** How a relayed stream ended. */
export type StreamOutcome = 'complete' | 'interrupted' | 'aborted';

/** One upstream's share of a stream. */
export interface StreamSegment {
  committed: CommittedStream;
  target: ResolvedTarget;
}

/** What a `RelayStream` reports to, and asks of, its relay. */
export interface StreamHooks {
  /** The request's signal: aborted with a `ClientClosedError` when the client left. */
  signal: AbortSignal;
  attempts: AttemptRecord[];
  /** The client asked for usage (`stream_options.include_usage`). */
  keepUsage: boolean;
  /** Receives each usage object a segment's upstream reported; returns fields for the client's usage chunk (cost). */
  onUsage?(usage: Record<string, unknown>, target: ResolvedTarget): Record<string, unknown> | undefined;
  /** A segment's upstream broke after content was sent: count it against its target. */
  onBreak(target: ResolvedTarget): void;
  /**
   * Stream resume: asked for a segment that continues from `delivered` (the text the
   * client has received) on a target not in `broken` (every target of this stream so
   * far: each broke in turn), so a stream never goes back to a target that failed it.
   * Absent when resume is off.
   */
  resume?(delivered: string, broken: readonly ResolvedTarget[]): Promise<StreamSegment>;
  /** HTTP trailers for the end of the stream (the cost). */
  trailers?(): Record<string, string>;
  /** Keep the text sent (see `RelayStream.text`): the host opted in to content capture. */
  collectText?: boolean;
  onEnd(outcome: StreamOutcome, error?: StreamInterruptedError): void;
}
