/**
 * @module
 * The part of a stream after its commit point: the held chunks, then the upstream's
 * remaining chunks as they arrive. A failure here cannot be failed over (the client has
 * seen part of an answer), so it surfaces as a {@link StreamInterruptedError} that the
 * HTTP layer turns into an OpenAI error event. `return()` always releases the upstream,
 * even when iteration never started.
 */
import { ClientClosedError, StreamInterruptedError, type AttemptRecord } from '../errors.js';
import type { CommittedStream } from './commit.js';
import { DONE } from './sse.js';

/** How a relayed stream ended. */
export type StreamOutcome = 'complete' | 'interrupted' | 'aborted';

const FINISHED = /"finish_reason"\s*:\s*"/;

export class RelayStream implements AsyncIterableIterator<string> {
  private index = 0;
  private ended = false;
  private sentDone = false;
  /** The last two payloads: enough to tell whether a stream that ended without [DONE] had finished. */
  private previous = '';
  private last = '';

  constructor(
    private readonly committed: CommittedStream,
    private readonly attempts: AttemptRecord[],
    private readonly signal: AbortSignal,
    private readonly onEnd: (outcome: StreamOutcome, error?: StreamInterruptedError) => void,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<string>> {
    if (this.ended) return { done: true, value: undefined };
    if (this.sentDone) {
      await this.finish('complete');
      return { done: true, value: undefined };
    }
    const { held } = this.committed;
    if (this.index < held.length) return this.emit(held[this.index++]!);
    if (this.committed.done) return this.emit(DONE);

    let next: IteratorResult<string>;
    try {
      next = await this.committed.rest.next();
    } catch (err) {
      return this.fail(err);
    }
    if (!next.done) return this.emit(next.value);
    // The upstream ended without [DONE]: complete if it had finished, truncated if not.
    if (FINISHED.test(this.last) || FINISHED.test(this.previous)) return this.emit(DONE);
    return this.fail(new Error('upstream stream ended before it finished'));
  }

  async return(): Promise<IteratorResult<string>> {
    await this.finish(this.sentDone ? 'complete' : 'aborted');
    return { done: true, value: undefined };
  }

  private emit(data: string): IteratorResult<string> {
    if (data === DONE) this.sentDone = true;
    this.previous = this.last;
    this.last = data;
    return { done: false, value: data };
  }

  private async fail(err: unknown): Promise<IteratorResult<string>> {
    if (this.signal.aborted && this.signal.reason instanceof ClientClosedError) {
      await this.finish('aborted');
      return { done: true, value: undefined };
    }
    const detail = err instanceof Error ? err.message : String(err);
    const error = new StreamInterruptedError(detail, this.attempts, err);
    await this.finish('interrupted', error);
    throw error;
  }

  private async finish(outcome: StreamOutcome, error?: StreamInterruptedError): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    // Ends the upstream iteration, which destroys its body and frees the socket.
    await this.committed.rest.return(undefined).catch(() => {});
    this.committed.dispose?.();
    this.onEnd(outcome, error);
  }
}
