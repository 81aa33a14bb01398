/**
 * @module
 * A stream served natively: the target speaks the client's format (an OpenAI target with
 * the Responses API for a Responses client, Claude for a Messages client), so its events
 * go to the client as they came, framed as SSE: as the upstream's own bytes, the events
 * of one upstream read in one write. On the way the relay reads only what it must: usage
 * (for cost and budgets), in-band errors, and whether the answer finished. An event it
 * need not read (its name and bytes show none of the format's watched words, see
 * `NativeWatch`) is not even parsed.
 * After the commit point a break cannot be hidden: an upstream error event reaches the
 * client as the upstream sent it; a stream cut short ends with the format's own error
 * event. Native streams are not resumed.
 */
import type { ResolvedTarget } from '../config/resolved.js';
import { ClientClosedError, StreamInterruptedError, type AttemptRecord } from '../errors/index.js';
import type { NativeWatch, UsageMeter } from '../formats/format.js';
import type { NativeEvent, Usage } from '../providers/provider.js';
import { ByteScreen } from '../secrets/byte-screen.js';
import { nativeOf } from './batches.js';
import type { ClientStream } from './client-stream.js';
import type { CommittedStream } from './commit.js';
import { FrameWriter } from './frame-writer.js';
import { Mentions } from './mentions.js';
import type { StreamOutcome } from './relay-stream.js';
import type { EventBatch } from './event-batch.js';

/** An escape could spell any watched word. */
const ESCAPE = Buffer.from('\\u');

/** What a {@link NativeStream} reports to, and asks of, its request. */
export interface NativeHooks {
  /** The request's signal: aborted with a `ClientClosedError` when the client left. */
  signal: AbortSignal;
  attempts: AttemptRecord[];
  target: ResolvedTarget;
  /** The format's usage reader for this answer. */
  meter: UsageMeter;
  /** The events the hooks below read; without it every event is read. */
  watch?: NativeWatch;
  /** Whether an event ends the answer (`message_stop`, `response.completed`, ...). */
  terminal(event: string | undefined, data: string): boolean;
  /** Whether an event is an in-band error. */
  isError(event: string | undefined, data: string): boolean;
  /** The format's error frames for a stream that broke. */
  errorFrames(err: StreamInterruptedError): string[];
  /** Sees every event, for what the request keeps (the final Response to store). */
  onEvent?(event: string | undefined, data: string): void;
  /** The upstream broke after content was sent: count it against its target. */
  onBreak(target: ResolvedTarget): void;
  trailers?(): Record<string, string>;
  onEnd(outcome: StreamOutcome, error?: StreamInterruptedError): void;
}

const END: IteratorReturnResult<undefined> = { done: true, value: undefined };

/** One SSE frame for `e`: its event name (or the JSON's `type`, as Bedrock leaves names out), then its data. */
function frameOf(e: NativeEvent): string {
  const name = e.event ?? typeOf(e.data);
  const data = e.data.split('\n').map((line) => `data: ${line}`).join('\n');
  return name === undefined ? `${data}\n\n` : `event: ${name}\n${data}\n\n`;
}

function typeOf(data: string): string | undefined {
  const m = /^\s*\{\s*"type"\s*:\s*"([^"]+)"/.exec(data);
  return m?.[1];
}

export class NativeStream implements ClientStream {
  private index = 0;
  private ended = false;
  private finished = false;
  private failed = false;
  /** The batch being read, and the next of its events. */
  private batch: EventBatch | undefined;
  private at = 0;
  private readonly literals: readonly Buffer[] | undefined;
  /** [secrets] Whether a read's bytes hold a secret: then each of its events is redacted as text. */
  private readonly screen: ByteScreen;
  /** Events sent, for an estimate when the upstream reported no usage. */
  sent = 0;

  constructor(
    private readonly committed: CommittedStream<NativeEvent>,
    private readonly hooks: NativeHooks,
  ) {
    this.batch = committed.pending;
    this.literals = hooks.watch && [...hooks.watch.literals, ESCAPE];
    this.screen = new ByteScreen(hooks.target.provider.redactor);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Usage the upstream reported, if any. */
  usage(): Usage | undefined {
    return this.hooks.meter.usage();
  }

  trailers(): Record<string, string> {
    return { ...this.hooks.trailers?.() };
  }

  /** The frames of the held events, or of the next upstream read, as one write. */
  async next(): Promise<IteratorResult<string | Uint8Array>> {
    if (this.ended) return END;
    if (this.finished || this.failed) {
      await this.finish(this.failed ? 'interrupted' : 'complete', this.failed ? this.interruption('the upstream reported an error') : undefined);
      return END;
    }
    const out = new FrameWriter();
    const { held } = this.committed;
    while (this.index < held.length && !this.over) this.read(held[this.index++]!, out);
    while (out.empty && !this.over) {
      if (!this.batch || this.at >= this.batch.events.length) {
        let next: IteratorResult<EventBatch>;
        try {
          next = await this.committed.rest.next();
        } catch (err) {
          return this.fail(err);
        }
        if (next.done) {
          if (!this.finished) return this.fail(new Error('upstream stream ended before it finished'));
          await this.finish('complete');
          return END;
        }
        this.batch = next.value;
        this.at = 0;
      }
      const { buf, events } = this.batch;
      // A read that holds a secret is read event by event, and each is redacted.
      const mentions = this.literals && !this.screen.holdsSecret(buf, 0, buf.length) ? new Mentions(buf, this.literals) : undefined;
      while (this.at < events.length && !this.over) {
        const e = events[this.at++]!;
        // An event the format does not watch goes as its own bytes, unread.
        if (mentions && e.data === undefined && e.event !== undefined && !this.hooks.watch!.names.has(e.event) && !mentions.any(e.dataStart, e.end)) {
          out.bytes(buf, e.start, e.end + 2);
          this.sent++;
          if (this.hooks.terminal(e.event, '')) this.finished = true;
          continue;
        }
        this.read(nativeOf(buf, e), out);
      }
    }
    const value = out.take();
    return value === undefined ? this.next() : { done: false, value };
  }

  async return(): Promise<IteratorResult<string>> {
    await this.finish(this.finished ? 'complete' : this.failed ? 'interrupted' : 'aborted');
    return END;
  }

  /** The answer finished or failed: nothing after that event goes to the client. */
  private get over(): boolean {
    return this.finished || this.failed;
  }

  /** Reads one event (usage, errors, the end) and writes its frame. */
  private read(e: NativeEvent, out: FrameWriter): void {
    const name = e.event ?? typeOf(e.data);
    this.hooks.meter.event(name, e.data);
    this.hooks.onEvent?.(name, e.data);
    if (this.hooks.isError(name, e.data)) {
      this.failed = true;
      this.hooks.onBreak(this.hooks.target);
    } else if (this.hooks.terminal(name, e.data)) {
      this.finished = true;
    }
    this.sent++;
    // A secret the upstream echoes whole in one event never reaches the client.
    const data = this.hooks.target.provider.redactor.text(e.data);
    out.text(frameOf(data === e.data ? e : { ...e, data }));
  }

  private interruption(detail: string): StreamInterruptedError {
    return new StreamInterruptedError(this.hooks.target.provider.redactor.message(detail), this.hooks.attempts);
  }

  /** The upstream broke: the client gets the format's error event, then the end. */
  private async fail(err: unknown): Promise<IteratorResult<string>> {
    const clientGone = this.hooks.signal.aborted && this.hooks.signal.reason instanceof ClientClosedError;
    if (clientGone) {
      await this.finish('aborted');
      return END;
    }
    this.hooks.onBreak(this.hooks.target);
    const error = this.interruption(err instanceof Error ? err.message : String(err));
    await this.finish('interrupted', error);
    const frames = this.hooks.errorFrames(error);
    return frames.length > 0 ? { done: false, value: frames.join('') } : END;
  }

  private async finish(outcome: StreamOutcome, error?: StreamInterruptedError): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    await this.committed.rest.return(undefined).catch(() => {});
    this.committed.dispose?.();
    this.hooks.onEnd(outcome, error);
  }
}
