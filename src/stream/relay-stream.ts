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
 *
 * Two readers share this state: {@link RelayStream.next}, payload by payload (for a
 * format's converter), and {@link RelayStream.nextFrames}, a whole upstream read at a
 * time as the chat client's frames, with the upstream's own bytes wherever the relay
 * need not look into a chunk. Longer than 300 lines because both must meet the end, a
 * break, a resume and the accounting in the one place that decides them.
 */
import type { ResolvedTarget } from '../config.js';
import { ClientClosedError, StreamInterruptedError } from '../errors/index.js';
import { ByteScreen } from '../secrets/byte-screen.js';
import { ChunkGuard } from '../secrets/chunk-guard.js';
import type { ResponseInfo } from '../events.js';
import { dataOf } from './batches.js';
import { passChunk } from './chat-passthrough.js';
import { FrameWriter } from './frame-writer.js';
import type { StreamHooks, StreamOutcome, StreamSegment } from './relay-hooks.js';
import type { EventBatch } from './event-batch.js';
import { DONE, frame } from './sse.js';
import { Splice, type SpliceChunk } from './splice.js';

export type { StreamHooks, StreamOutcome, StreamSegment } from './relay-hooks.js';

const END: IteratorReturnResult<undefined> = { done: true, value: undefined };
const DONE_FRAME = frame(DONE);

interface Chunk extends SpliceChunk {
  id?: string;
  created?: number;
  model?: string;
  usage?: Record<string, unknown> | null;
}

export class RelayStream implements AsyncIterableIterator<string> {
  private segment: StreamSegment;
  private index = 0;
  /** The batch being read, and the next of its events. */
  private batch: EventBatch | undefined;
  /** Thrown while reading a batch, after frames that go first. */
  private thrown: { err: unknown } | undefined;
  private at = 0;
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
  /** [secrets] Which chunks may pass as bytes without the guard (secrets/byte-screen.ts). */
  private readonly screen: ByteScreen;
  /** [secrets] The guard's state could change the next chunk: none passes as bytes. */
  private armed = false;

  constructor(
    first: StreamSegment,
    private readonly hooks: StreamHooks,
  ) {
    this.segment = first;
    this.batch = first.committed.pending;
    this.served = [first.target];
    this.secrets = new ChunkGuard(first.target.provider.redactor);
    this.screen = new ByteScreen(first.target.provider.redactor);
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

  /**
   * For a chat client: the frames of the next upstream read (or the held chunks), ready
   * to write, as one piece. Chunks the relay need not look into go as the upstream's own
   * bytes (`chat-passthrough.ts`); the others through {@link filter}, as in {@link next}.
   * Throws a {@link StreamInterruptedError} where `next` does.
   */
  async nextFrames(): Promise<IteratorResult<Buffer | string>> {
    if (this.thrown) {
      const err = this.thrown.err;
      this.thrown = undefined;
      throw err;
    }
    if (this.ended) return END;
    if (this.sentDone) {
      await this.finish('complete');
      return END;
    }
    const out = new FrameWriter();
    // Everything this stream needs to know shows in the chunks the fast path leaves alone.
    const fast = !this.hooks.resume && !this.hooks.collectText;
    for (;;) {
      // Held chunks (a continuation's too, after a resume) are text already.
      const { held } = this.segment.committed;
      while (this.index < held.length && !this.sentDone) if (!this.taken(held[this.index++]!, out)) break;
      this.drain(out);
      if (!out.empty || this.sentDone || this.thrown) break;
      if (!this.batch || this.at >= this.batch.events.length) {
        let next: IteratorResult<EventBatch>;
        try {
          next = await this.segment.committed.rest.next();
        } catch (err) {
          if (await this.recover()) continue;
          await this.fail(err);
          return END;
        }
        this.batch = next.done ? undefined : next.value;
        this.at = 0;
        if (next.done) {
          this.flushSplice();
          if (this.queue.length > 0) {
            this.drain(out);
            continue;
          }
          // The upstream ended without [DONE]: complete if it had finished, truncated if not.
          if (!this.finished) {
            if (await this.recover()) continue;
            await this.fail(new Error('upstream stream ended before it finished'));
            return END;
          }
          this.queue.push(...this.secrets.end(this.head), DONE);
          this.drain(out);
          break;
        }
      }
      const { buf, events } = this.batch!;
      while (this.at < events.length && !this.sentDone && !this.thrown) {
        const e = events[this.at++]!;
        // A chunk passes as bytes only where redaction could not have changed it (secrets/byte-screen.ts).
        if (fast && e.data === undefined && this.head && !this.armed && this.screen.clear(buf, e.start, e.end)) {
          const passed = passChunk(buf, e, this.hooks.keepUsage, out);
          if (passed === 'sent') this.sentBy[this.served.length - 1]!++;
          if (passed !== 'slow') continue;
        }
        if (!this.taken(dataOf(buf, e), out)) break;
        this.drain(out);
      }
    }
    const value = out.take();
    return value === undefined ? this.nextFrames() : { done: false, value };
  }

  /**
   * {@link take}, for {@link nextFrames}: what it throws goes out after the frames before
   * it, as it did one chunk at a time. Returns false then.
   */
  private taken(data: string, out: FrameWriter): boolean {
    try {
      this.take(data);
      this.armed = this.secrets.armed();
      return true;
    } catch (err) {
      this.drain(out);
      if (out.empty) throw err;
      this.thrown = { err };
      return false;
    }
  }

  /** Takes one payload the slow way: `[DONE]` ends the answer, the rest is filtered. */
  private take(data: string): void {
    if (data !== DONE) return this.filter(data);
    this.flushSplice();
    this.queue.push(...this.secrets.end(this.head), DONE);
  }

  /** Moves the queued payloads to `out` as chat frames. */
  private drain(out: FrameWriter): void {
    while (this.queue.length > 0 && !this.sentDone) {
      const data = this.emit(this.queue.shift()!).value;
      out.text(data === DONE ? DONE_FRAME : frame(data));
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
    while (!this.batch || this.at >= this.batch.events.length) {
      const next = await rest.next();
      if (next.done) return undefined;
      this.batch = next.value;
      this.at = 0;
    }
    return dataOf(this.batch.buf, this.batch.events[this.at++]!);
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
    this.batch = this.segment.committed.pending;
    this.at = 0;
    this.finished = false;
    this.secrets.reset();
    this.armed = false;
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
