/**
 * @module
 * The part of a stream after its commit point: the held chunks, then the upstream's
 * remaining chunks as they arrive. A failure here cannot be failed over invisibly (the
 * client has seen part of an answer): it surfaces as a {@link StreamInterruptedError}
 * that the HTTP layer turns into an OpenAI error event, unless stream resume is on and
 * another target continues the answer (see `resume`). `return()` always releases the
 * upstream, even when iteration never started.
 */
import type { ResolvedTarget } from '../config.js';
import { ClientClosedError, StreamInterruptedError, type AttemptRecord } from '../errors.js';
import type { CommittedStream } from './commit.js';
import { DONE } from './sse.js';
import { redact } from '../redact.js';
import type { ResponseInfo } from '../events.js';

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
  /** Pass usage-only chunks on to the client (it asked for `include_usage`). */
  keepUsage: boolean;
  /** Receives each usage object the upstream reported. */
  onUsage?(usage: Record<string, unknown>): void;
  /** A segment's upstream broke after content was sent: count it against its target. */
  onBreak(target: ResolvedTarget): void;
  /** Fields for the `switchyard` object of the last chunk (cost), or undefined for none. */
  trailer?(): Record<string, unknown> | undefined;
  /**
   * Stream resume: asked for a segment that continues from `delivered` (the text the
   * client has received) on a target not in `broken` (every target of this stream so
   * far: each broke in turn), so a stream never goes back to a target that failed it.
   * Absent when resume is off.
   */
  resume?(delivered: string, broken: readonly ResolvedTarget[]): Promise<StreamSegment>;
  onEnd(outcome: StreamOutcome, error?: StreamInterruptedError): void;
  /** [observe] Keep the text sent (see {@link RelayStream.text}): the host opted in to content capture. */
  collectText?: boolean;
}

const FINISHED = /"finish_reason"\s*:\s*"/;
const USAGE = /"usage"\s*:\s*\{/;
const END: IteratorReturnResult<undefined> = { done: true, value: undefined };

interface Chunk {
  id?: string;
  created?: number;
  model?: string;
  choices?: { index?: number; delta?: Record<string, unknown> }[];
  usage?: Record<string, unknown> | null;
  [key: string]: unknown;
}

export class RelayStream implements AsyncIterableIterator<string> {
  private segment: StreamSegment;
  private index = 0;
  private ended = false;
  private sentDone = false;
  /** Payloads made up by the relay (the resume marker), sent before upstream ones. */
  private readonly queue: string[] = [];
  /** The last two payloads: enough to tell whether a stream that ended without [DONE] had finished. */
  private previous = '';
  private last = '';
  // Stream resume bookkeeping, used only when `hooks.resume` is set.
  private delivered = '';
  private resumable = true;
  private head: Pick<Chunk, 'id' | 'created' | 'model'> | undefined;
  private readonly served: ResolvedTarget[];
  private marked = false;
  /** The first payload of the stream, for the ids of a chunk the relay adds. */
  private readonly firstHeld: string | undefined;
  /** Payloads sent to the client so far: about one token each, for estimates. */
  sent = 0;
  /** [observe] Finish reasons seen, one per finished choice. */
  private readonly finishes: string[] = [];

  constructor(
    first: StreamSegment,
    private readonly hooks: StreamHooks,
  ) {
    this.segment = first;
    this.served = [first.target];
    this.firstHeld = first.committed.held[0];
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
      let data: string | undefined;
      try {
        data = await this.pull();
      } catch (err) {
        if (await this.recover()) continue;
        return this.fail(err);
      }
      if (data === undefined) {
        // The upstream ended without [DONE]: complete if it had finished, truncated if not.
        if (!FINISHED.test(this.last) && !FINISHED.test(this.previous)) {
          const err = new Error('upstream stream ended before it finished');
          if (await this.recover()) continue;
          return this.fail(err);
        }
        data = DONE;
      }
      if (data === DONE && !this.marked) {
        this.marked = true;
        const marker = this.marker();
        if (marker !== undefined) {
          this.queue.push(DONE);
          return this.emit(marker);
        }
      }
      if (data === DONE) return this.emit(DONE);
      const out = this.filter(data);
      if (out !== undefined) return this.emit(out);
    }
  }

  async return(): Promise<IteratorResult<string>> {
    await this.finish(this.sentDone ? 'complete' : 'aborted');
    return END;
  }

  /** The next payload: made-up ones first, then held chunks, then the live upstream. */
  private async pull(): Promise<string | undefined> {
    if (this.queue.length > 0) return this.queue.shift();
    const { held, rest } = this.segment.committed;
    if (this.index < held.length) return held[this.index++];
    const next = await rest.next();
    return next.done ? undefined : next.value;
  }

  /**
   * Drops usage-only chunks the client did not ask for (after reading their usage), and
   * keeps what resume needs. Chunks pass unparsed unless one of those needs a look.
   */
  private filter(data: string): string | undefined {
    // [observe] the rare chunk that finishes a choice is parsed for its reason.
    if (FINISHED.test(data)) this.noteFinish(data);
    const resuming = this.hooks.resume !== undefined || this.hooks.collectText === true;
    const hasUsage = data.includes('"usage"') && USAGE.test(data);
    if (!resuming && !hasUsage) return data;
    const chunk = JSON.parse(data) as Chunk;
    if (hasUsage && chunk.usage) {
      this.hooks.onUsage?.(chunk.usage);
      if (!this.hooks.keepUsage && Array.isArray(chunk.choices) && chunk.choices.length === 0) return undefined;
    }
    if (!resuming) return data;
    if (this.served.length === 1) {
      this.head ??= { id: chunk.id, created: chunk.created, model: chunk.model };
      this.track(chunk);
      return data;
    }
    // A continuation: it must look like the same answer going on.
    this.track(chunk);
    if (this.head) Object.assign(chunk, this.head);
    for (const choice of chunk.choices ?? []) delete choice.delta?.role;
    return JSON.stringify(chunk);
  }

  /** [observe] Records the finish reasons of a chunk. */
  private noteFinish(data: string): void {
    try {
      for (const choice of (JSON.parse(data) as { choices?: { finish_reason?: unknown }[] }).choices ?? []) {
        if (typeof choice?.finish_reason === 'string') this.finishes.push(choice.finish_reason);
      }
    } catch {
      // Not ours to judge here: the client gets the chunk as it came.
    }
  }

  /** [observe] Id, model and finish reasons of the answer, for telemetry. */
  info(): ResponseInfo {
    const out: ResponseInfo = {};
    let head = this.head;
    if (!head && this.firstHeld?.startsWith('{')) {
      try {
        head = JSON.parse(this.firstHeld) as Chunk;
      } catch {
        head = undefined;
      }
    }
    if (typeof head?.id === 'string') out.id = head.id;
    if (typeof head?.model === 'string') out.model = head.model;
    if (this.finishes.length > 0) out.finishReasons = [...this.finishes];
    return out;
  }

  /** [observe] The text sent so far, when `collectText` is on (else empty). */
  get text(): string {
    return this.delivered;
  }

  /** Keeps the text delivered so far; a stream with tool calls or several choices cannot be resumed. */
  private track(chunk: Chunk): void {
    for (const choice of chunk.choices ?? []) {
      if ((choice.index ?? 0) !== 0 || choice.delta?.tool_calls || choice.delta?.function_call) this.resumable = false;
      const content = choice.delta?.content;
      if (typeof content === 'string') this.delivered += content;
    }
  }

  /**
   * The relay's last chunk before `[DONE]`: what the request cost and, after a resume,
   * which targets answered. Undefined when there is nothing to say.
   */
  private marker(): string | undefined {
    const fields: Record<string, unknown> = { ...this.hooks.trailer?.() };
    if (this.served.length > 1) {
      fields.resumed = true;
      fields.targets = this.served.map((t) => ({ provider: t.provider.name, model: t.model }));
    }
    if (Object.keys(fields).length === 0) return undefined;
    if (!this.head) {
      const first = (this.firstHeld?.startsWith('{') ? JSON.parse(this.firstHeld) : {}) as Chunk;
      this.head = { id: first.id, created: first.created, model: first.model };
    }
    return JSON.stringify({ ...this.head, object: 'chat.completion.chunk', choices: [], switchyard: fields });
  }

  private emit(data: string): IteratorResult<string> {
    if (data === DONE) this.sentDone = true;
    this.sent++;
    this.previous = this.last;
    this.last = data;
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
    this.served.push(this.segment.target);
    return true;
  }

  private async fail(err: unknown): Promise<IteratorResult<string>> {
    if (this.clientGone()) {
      await this.finish('aborted');
      return END;
    }
    // An in-stream error may echo the provider's key: it is redacted like any other.
    const detail = redact(err instanceof Error ? err.message : String(err), this.segment.target.provider.secret);
    const error = new StreamInterruptedError(detail, this.hooks.attempts);
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
