/**
 * @module
 * Event batches (see `sse-split.ts`) as the one shape every stream reaches the engine
 * in: providers that read SSE as bytes yield them directly; the ones that translate (or
 * read another framing) yield one event at a time, wrapped here into batches of one.
 */
import type { NativeEvent } from '../providers/provider.js';
import type { EventBatch, SseEvent, TextEvent } from './event-batch.js';

const EMPTY = Buffer.alloc(0);

/** The payload of `e` as text. */
export function dataOf(buf: Buffer, e: SseEvent): string {
  return e.data !== undefined ? e.data : buf.toString('utf8', e.dataStart, e.end);
}

/** `e` as a native event: its name (when framed with one) and its data as text. */
export function nativeOf(buf: Buffer, e: SseEvent): NativeEvent {
  const data = dataOf(buf, e);
  return e.event === undefined ? { data } : { event: e.event, data };
}

/** Batches of one, from a generator of payloads (chat chunks) or native events. */
export async function* batchesOf(items: AsyncGenerator<string | NativeEvent>): AsyncGenerator<EventBatch> {
  // Ending this iteration (return, throw) ends `items`, which releases the upstream.
  for await (const item of items) {
    const event: TextEvent = typeof item === 'string' ? { start: -1, data: item } : item.event === undefined ? { start: -1, data: item.data } : { start: -1, event: item.event, data: item.data };
    yield { buf: EMPTY, events: [event] };
  }
}
