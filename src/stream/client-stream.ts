/**
 * @module
 * What the HTTP layer writes for a stream: complete SSE frames in the client's format,
 * ready to send, and HTTP trailers at the end. A chat client gets the engine's payloads
 * framed as `data:`; a Responses or Messages client served by a translated target gets
 * them through its format's converter; a native target's events come as they were
 * (`native-stream.ts`). A stream that breaks after its commit point ends with the
 * format's own error event here, so the writer never has to know the format.
 */
import { StreamInterruptedError, toErrorResponse, type SwitchyardError } from '../errors/index.js';
import type { StreamConverter } from '../formats/format.js';
import type { Usage } from '../providers/provider.js';
import type { RelayStream } from './relay-stream.js';
import { DONE, frame } from './sse.js';

/**
 * A stream of SSE frames for the client. Each value is one write: one frame, or every
 * frame of one upstream read (as the upstream's bytes where they pass untouched).
 * `return()` releases the upstream.
 */
export interface ClientStream extends AsyncIterableIterator<string | Uint8Array> {
  return(): Promise<IteratorResult<string | Uint8Array>>;
  /** HTTP trailers once the stream is over (its cost, where it was resumed from). */
  trailers(): Record<string, string>;
  /** Why the stream broke after it started, once it has (its last frames said so). */
  failure?: SwitchyardError;
}

const END: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * Frames `payloads` with `convert`: each payload becomes the frames the converter
 * makes of it, `[DONE]` its closing frames (with `usage()`, the engine's total), and a
 * stream that breaks its error frames; nothing follows them.
 */
export function framed(payloads: RelayStream, convert: StreamConverter, usage: () => Usage | undefined = () => undefined): ClientStream {
  const queue: string[] = [];
  let over = false;
  const stream: ClientStream = {
    [Symbol.asyncIterator]: () => stream,
    async next() {
      for (;;) {
        if (queue.length > 0) return { done: false, value: queue.shift()! };
        if (over) return END;
        let next: IteratorResult<string>;
        try {
          next = await payloads.next();
        } catch (err) {
          if (!(err instanceof StreamInterruptedError)) throw err;
          over = true;
          stream.failure = err;
          queue.push(...convert.error(err));
          continue;
        }
        if (next.done) {
          over = true;
          continue;
        }
        if (next.value === DONE) {
          // The closing frames; the next pull lets the stream finish (and settle) on its own.
          queue.push(...convert.end(usage()));
          continue;
        }
        queue.push(...convert.push(next.value));
      }
    },
    async return() {
      over = true;
      await payloads.return();
      return END;
    },
    trailers: () => payloads.trailers(),
  };
  return stream;
}

/**
 * The chat format's framing: `data: <payload>` per chunk, the frames of one upstream
 * read together (see {@link RelayStream.nextFrames}), and OpenAI's error event when it
 * breaks.
 */
export function chatFrames(payloads: RelayStream): ClientStream {
  let over = false;
  const stream: ClientStream = {
    [Symbol.asyncIterator]: () => stream,
    async next() {
      if (over) return END;
      try {
        const next = await payloads.nextFrames();
        if (next.done) over = true;
        return next;
      } catch (err) {
        if (!(err instanceof StreamInterruptedError)) throw err;
        over = true;
        stream.failure = err;
        return { done: false, value: frame(JSON.stringify(toErrorResponse(err).body)) };
      }
    },
    async return() {
      over = true;
      await payloads.return();
      return END;
    },
    trailers: () => payloads.trailers(),
  };
  return stream;
}

/** The payloads of chat frames (one write of {@link chatFrames}): `data: <payload>` each. */
export function chatPayloads(frames: string | Uint8Array): string[] {
  const text = typeof frames === 'string' ? frames : Buffer.from(frames.buffer, frames.byteOffset, frames.byteLength).toString('utf8');
  return text.split('\n\n').filter((f) => f.startsWith('data: ')).map((f) => f.slice('data: '.length));
}
