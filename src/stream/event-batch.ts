/**
 * @module
 * The events of one upstream read (see `sse-split.ts`): as the upstream's own bytes
 * where it framed them the common way, else as text.
 */

/** An event as the upstream framed it: `[data: payload]` or `[event: name, data: payload]`. */
export interface RawEvent {
  /** The block, without the blank line that ends it: `buf[start, end)`; the frame is `buf[start, end + 2)`. */
  start: number;
  end: number;
  /** The payload: `buf[dataStart, end)`. */
  dataStart: number;
  /** The `event:` name, when the block has one. */
  event?: string;
  /** Never set: a {@link TextEvent} has its data as text (this is what tells them apart). */
  data?: undefined;
}

/** An event read by eventsource-parser (a block framed some other way). */
export interface TextEvent {
  start: -1;
  event?: string;
  data: string;
}

export type SseEvent = RawEvent | TextEvent;

/** The events completed by one upstream read, in order. */
export interface EventBatch {
  buf: Buffer;
  events: SseEvent[];
}
