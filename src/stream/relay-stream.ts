/**
 * @module
 * The part of a stream after its commit point: the held chunks, then the upstream's
 * remaining chunks as they arrive. A failure here cannot be failed over invisibly (the
 * client has seen part of an answer): it surfaces as a {@link StreamInterruptedError}
 * that the HTTP layer turns into an error event, unless stream resume is on and another
 * target continues the answer (see `engine/resume.ts`). `return()` always releases the
 * upstream, even when iteration never started.
 *
 * The client gets nothing it did not ask for: usage (the relay asks upstreams for it to
 * count cost) reaches it only when it sent `stream_options.include_usage`, and then
 * carries the cost; an event that is not valid JSON is dropped and counted, never
 * forwarded. Cost and resume details also go out as HTTP trailers (see `summary`).
 */
import type { ResolvedTarget } from '../config.js';
import { ClientClosedError, StreamInterruptedError, type AttemptRecord } from '../errors/index.js';
import { ChunkGuard } from '../secrets/chunk-guard.js';
import type { ResponseInfo } from '../events.js';
import type { CommittedStream } from './commit.js';
import { DONE } from './sse.js';
import { Splice, type SpliceChunk } from './splice.js';

/** How a relayed stream ended. */
export type StreamOutcome = 'complete' | 'interrupted' | 'aborted';

/** One upstream's share of a stream. */
export interface StreamSegment {
  committed: CommittedStream;
  target: ResolvedTarget;
}

/** What a {@link RelayStream} reports to, and asks of, its relay. */
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
  /** Keep the text sent (see {@link RelayStream.text}): the host opted in to content capture. */
  collectText?: boolean;
  onEnd(outcome: StreamOutcome, error?: StreamInterruptedError): void;
}

const END: IteratorReturnResult<undefined> = { done: true, value: undefined };

interface Chunk extends SpliceChunk {
  id?: string;
  created?: number;
  model?: string;
  usage?: Record<string, unknown> | null;
}

export class RelayStream implements AsyncIterableIterator<string> {
  private segment: StreamSegment;
  private index = 0;
  private ended = false;
  private sentDone = false;
  /** Payloads ready to send, ahead of the upstream (a spliced continuation's held chunks). */
  private readonly queue: string[] = [];
  /** Whether the current segment sent a finish reason: a stream that ends without [DONE] after one is complete. */
  private finished = false;
  // Stream resume bookkeeping.
  private delivered = '';
  private resumable = true;
  private head: Pick<Chunk, 'id' | 'created' | 'model'> | undefined;
  private splice: Splice | undefined;
  private readonly served: ResolvedTarget[];
  /** Payloads sent to the client by each segment: about one token each, for estimates. */
  readonly sentBy: number[] = [0];
  /** Upstream events dropped because they were not valid JSON. */
  dropped = 0;
  /** Finish reasons seen, one per finished choice. */
  private readonly finishes: string[] = [];
  private readonly secrets: ChunkGuard; // [secrets] what an upstream echoes (secrets/chunk-guard.ts)

  constructor(
    first: StreamSegment,
    private readonly hooks: StreamHooks,
  ) {
    this.segment = first;
    this.served = [first.target];
    this.secrets = new ChunkGuard(first.target.provider.redactor);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** The targets that produced this stream, in order (more than one after a resume). */
  get targets(): readonly ResolvedTarget[] {
    return this.served;
  }

  async next(): Promise<IteratorResult<string>> {
    if (this.ended) return END;
    if (this.sentDone) {
      await this.finish('complete');
      return END;
    }
    for (;;) {
      if (this.queue.length > 0) return this.emit(this.queue.shift()!);
      let data: string | undefined;
      try {
        data = await this.pull();
      } catch (err) {
        if (await this.recover()) continue;
        return this.fail(err);
      }
      if (data === undefined) {
        this.flushSplice();
        if (this.queue.length > 0) continue;
        // The upstream ended without [DONE]: complete if it had finished, truncated if not.
        if (!this.finished) {
          const err = new Error('upstream stream ended before it finished');
          if (await this.recover()) continue;
          return this.fail(err);
        }
        data = DONE;
      }
      if (data === DONE) {
        this.flushSplice();
        this.queue.push(...this.secrets.end(this.head), DONE);
        continue;
      }
      this.filter(data);
    }
  }

  async return(): Promise<IteratorResult<string>> {
    await this.finish(this.sentDone ? 'complete' : 'aborted');
    return END;
  }

  /**
   * HTTP trailers for the end of the stream: its cost, and after a resume which targets
   * answered (`x-switchyard-resumed-from`, in order).
   */
  trailers(): Record<string, string> {
    const out = { ...this.hooks.trailers?.() };
    if (this.served.length > 1) out['x-switchyard-resumed-from'] = this.served.map((t) => t.id).join(', ');
    return out;
  }

  /** Id, model and finish reasons of the answer, for telemetry. */
  info(): ResponseInfo {
    const out: ResponseInfo = {};
    if (typeof this.head?.id === 'string') out.id = this.head.id;
    if (typeof this.head?.model === 'string') out.model = this.head.model;
    if (this.finishes.length > 0) out.finishReasons = [...this.finishes];
    return out;
  }

  /** The text sent so far, when stream resume or `collectText` keeps it (else empty). */
  get text(): string {
    return this.delivered;
  }

  /** The next payload: held chunks first, then the live upstream. */
  private async pull(): Promise<string | undefined> {
    const { held, rest } = this.segment.committed;
    if (this.index < held.length) return held[this.index++];
    const next = await rest.next();
    return next.done ? undefined : next.value;
  }

  /** Looks at one upstream payload and queues what the client gets of it. */
  private filter(data: string): void {
    data = this.secrets.text(data);
    let chunk: Chunk;
    try {
      chunk = JSON.parse(data) as Chunk;
      if (chunk === null || typeof chunk !== 'object') throw new Error('not an object');
    } catch {
      this.dropped++;
      return;
    }
    for (const choice of chunk.choices ?? []) {
      if (choice.finish_reason === null || choice.finish_reason === undefined) continue;
      this.finished = true;
      if (typeof choice.finish_reason === 'string') this.finishes.push(choice.finish_reason);
    }
    let out: string | undefined = data;
    let changed = false;
    if (chunk.usage !== undefined) {
      const usage = chunk.usage;
      if (usage) {
        const extra = this.hooks.onUsage?.(usage, this.segment.target);
        if (this.hooks.keepUsage && extra) {
          chunk.switchyard = extra;
          changed = true;
        }
      }
      if (!this.hooks.keepUsage) {
        // The relay asked for usage; this client did not.
        if (Array.isArray(chunk.choices) && chunk.choices.length === 0) return;
        delete chunk.usage;
        changed = true;
      }
    }
    if (this.secrets.chunk(data, chunk)) changed = true;
    this.head ??= { id: chunk.id, created: chunk.created, model: chunk.model };
    if (this.hooks.resume || this.hooks.collectText) {
      if (this.served.length === 1) {
        this.track(chunk);
      } else {
        // A continuation: it must look like the same answer going on.
        if (this.head) Object.assign(chunk, this.head);
        for (const c of this.splice!.push(chunk)) this.queue.push(this.track(c));
        return;
      }
    }
    if (changed) out = JSON.stringify(chunk);
    this.queue.push(out);
  }

  /** Keeps the text delivered so far; a stream with tool calls or several choices cannot be resumed. Returns the payload. */
  private track(chunk: Chunk): string {
    for (const choice of chunk.choices ?? []) {
      if ((choice.index ?? 0) !== 0 || choice.delta?.tool_calls || choice.delta?.function_call) this.resumable = false;
      const content = choice.delta?.content;
      if (typeof content === 'string') this.delivered += content;
    }
    return JSON.stringify(chunk);
  }

  private flushSplice(): void {
    if (!this.splice) return;
    for (const c of this.splice.flush()) this.queue.push(this.track(c));
  }

  private emit(data: string): IteratorResult<string> {
    if (data === DONE) this.sentDone = true;
    else this.sentBy[this.served.length - 1]!++;
    return { done: false, value: data };
  }

  private clientGone(): boolean {
    return this.hooks.signal.aborted && this.hooks.signal.reason instanceof ClientClosedError;
  }

  /** After a break: true when another target took over (resume), false when the stream is lost. */
  private async recover(): Promise<boolean> {
    if (this.clientGone()) return false;
    const failed = this.segment.target;
    this.hooks.onBreak(failed);
    if (!this.hooks.resume || !this.resumable || this.delivered.length === 0) return false;
    await this.release();
    try {
      this.segment = await this.hooks.resume(this.delivered, this.served);
    } catch {
      return false;
    }
    this.index = 0;
    this.finished = false;
    this.secrets.reset();
    this.splice = new Splice(this.delivered);
    this.served.push(this.segment.target);
    this.sentBy.push(0);
    return true;
  }

  private async fail(err: unknown): Promise<IteratorResult<string>> {
    if (this.clientGone()) {
      await this.finish('aborted');
      return END;
    }
    const error = new StreamInterruptedError(this.secrets.error(err), this.hooks.attempts);
    await this.finish('interrupted', error);
    throw error;
  }

  /** Ends the current upstream iteration, which destroys its body and frees the socket. */
  private async release(): Promise<void> {
    const { committed } = this.segment;
    await committed.rest.return(undefined).catch(() => {});
    committed.dispose?.();
  }

  private async finish(outcome: StreamOutcome, error?: StreamInterruptedError): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    await this.release();
    this.hooks.onEnd(outcome, error);
  }
}
