/**
 * @module
 * Server-Sent Events in both directions: reading an upstream's event stream (parsed
 * by `eventsource-parser`, decoded as UTF-8 across chunk boundaries) and framing
 * events for a client.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { BadResponse } from '../providers/provider.js';

/**
 * Yields the events of an SSE byte stream as they complete. Ending the iteration
 * early (break, return, throw) ends the iteration of `body`, which destroys it.
 */
export async function* readEvents(body: AsyncIterable<Uint8Array>, maxEventBytes: number): AsyncGenerator<EventSourceMessage> {
  const queue: EventSourceMessage[] = [];
  let tooBig = false;
  // A line (or an event) that never ends must not be buffered forever.
  const parser = createParser({
    onEvent: (event) => queue.push(event),
    onError: (error) => {
      if (error.type === 'max-buffer-size-exceeded') tooBig = true;
    },
    maxBufferSize: maxEventBytes,
  });
  const decoder = new TextDecoder();
  for await (const chunk of body) {
    parser.feed(decoder.decode(chunk, { stream: true }));
    if (tooBig) throw new BadResponse(`upstream sent an SSE event larger than ${maxEventBytes} bytes`);
    for (let i = 0; i < queue.length; i++) yield queue[i]!;
    queue.length = 0;
  }
  parser.feed(decoder.decode());
  // A stream that ends without a blank line still delivers its last complete event.
  parser.reset({ consume: true });
  for (const event of queue) yield event;
}

/** Frames one `data:` event for a client. */
export function frame(data: string): string {
  return `data: ${data}\n\n`;
}

/** The terminal event of an OpenAI stream. */
export const DONE = '[DONE]';
