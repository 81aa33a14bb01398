/**
 * @module
 * The commit point of a stream. Nothing reaches the client until the upstream sends
 * real content (text, a tool call, reasoning, a refusal or a finish reason): role-only
 * preamble chunks are held back. Until then a failure is invisible to the client and
 * the engine may fail over; after it, the response is the client's and cannot be
 * retried, because the client has already seen part of an answer.
 */
import { BadResponse, type NativeEvent } from '../providers/provider.js';
import { dataOf, nativeOf } from './batches.js';
import type { EventBatch } from './event-batch.js';
import { DONE } from './sse.js';

/** A stream that produced content: the events read so far and the rest of it. */
export interface CommittedStream<T = string> {
  /** Chunk payloads (or native events) read before and including the first content chunk. */
  held: T[];
  /** What was left of the batch the content came in: delivered after `held`, before `rest`. */
  pending?: EventBatch;
  /** The remaining batches; not started yet. */
  rest: AsyncGenerator<EventBatch>;
  /** True when the upstream already finished (`[DONE]` is the last held payload). */
  done: boolean;
  /** Releases the attempt's timers and signal links once the stream is over. */
  dispose?: () => void;
}

function nonEmpty(value: unknown): boolean {
  return typeof value === 'string' ? value.length > 0 : value !== undefined && value !== null;
}

/** Whether an OpenAI chunk carries something a client would display or act on. */
export function hasContent(chunk: unknown): boolean {
  const choices = (chunk as { choices?: unknown }).choices;
  if (!Array.isArray(choices)) return false;
  for (const choice of choices) {
    if (choice === null || typeof choice !== 'object') continue;
    if (nonEmpty((choice as { finish_reason?: unknown }).finish_reason)) return true;
    const delta = (choice as { delta?: Record<string, unknown> }).delta;
    if (!delta || typeof delta !== 'object') continue;
    if (nonEmpty(delta.content) || nonEmpty(delta.refusal) || nonEmpty(delta.function_call)) return true;
    if (nonEmpty(delta.reasoning_content) || nonEmpty(delta.reasoning)) return true;
    if (Array.isArray(delta.tool_calls) && delta.tool_calls.length > 0) return true;
  }
  return false;
}

/**
 * Reads `batches` until the first content chunk. Throws {@link BadResponse} for a
 * payload that is not JSON, and whatever the transport throws; in both cases the
 * upstream body is released. A stream that ends before any content is a failure too,
 * unless it ended properly with `[DONE]` (an empty answer is still an answer).
 */
export async function readUntilContent(batches: AsyncGenerator<EventBatch>, maxHeldBytes: number): Promise<CommittedStream> {
  return holdUntil(batches, maxHeldBytes, dataOf, (data) => data.length, (data) => {
    if (data === DONE) return 'done';
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      throw new BadResponse('upstream sent an SSE event that is not JSON');
    }
    return hasContent(parsed) ? 'content' : 'held';
  });
}

/** What a reader of a stream's start says of one item. */
type Verdict = 'held' | 'content' | 'done';

/**
 * Reads `batches` until `judge` finds content (or the end), holding what came before
 * (each event as `read` makes it; the rest of the batch stays bytes, in `pending`).
 * Throws what `judge` or the transport throws, and {@link BadResponse} for a stream that
 * ends before any content or holds too much; the upstream is released then.
 */
export async function holdUntil<T>(
  batches: AsyncGenerator<EventBatch>,
  maxHeldBytes: number,
  read: (buf: Buffer, e: EventBatch['events'][number]) => T,
  size: (item: T) => number,
  judge: (item: T) => Verdict,
): Promise<CommittedStream<T>> {
  const held: T[] = [];
  let heldBytes = 0;
  try {
    for (;;) {
      const next = await batches.next();
      if (next.done) throw new BadResponse('upstream stream ended before any content');
      const { buf, events } = next.value;
      for (let k = 0; k < events.length; k++) {
        const item = read(buf, events[k]!);
        held.push(item);
        // An upstream that streams preamble and never content is not buffered without end.
        heldBytes += size(item);
        if (heldBytes > maxHeldBytes) throw new BadResponse(`upstream sent over ${maxHeldBytes} bytes before any content`);
        const verdict = judge(item);
        if (verdict === 'held') continue;
        const pending = k + 1 < events.length ? { buf, events: events.slice(k + 1) } : undefined;
        return { held, pending, rest: batches, done: verdict === 'done' };
      }
    }
  } catch (err) {
    await batches.return(undefined).catch(() => {});
    throw err;
  }
}

/**
 * The commit point of a native stream (the client's own format): the first event the
 * format calls content. An in-band error event before it fails the attempt (invisibly).
 */
export function readUntilNativeContent(
  batches: AsyncGenerator<EventBatch>,
  maxHeldBytes: number,
  reading: { isContent(event: string | undefined, data: string): boolean; nativeError(event: string | undefined, data: string): { message: string; code: string | null } | undefined },
): Promise<CommittedStream<NativeEvent>> {
  return holdUntil(batches, maxHeldBytes, nativeOf, (e) => e.data.length, (e) => {
    const error = reading.nativeError(e.event, e.data);
    if (error) throw new BadResponse(error.message, { message: error.message, code: error.code, type: error.code ?? undefined });
    return reading.isContent(e.event, e.data) ? 'content' : 'held';
  });
}
