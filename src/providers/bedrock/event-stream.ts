/**
 * @module
 * AWS's binary event-stream framing (`application/vnd.amazon.eventstream`), as
 * Bedrock's ConverseStream and InvokeModelWithResponseStream send it. Each message is
 * decoded and CRC-checked by the AWS SDK's codec (`@smithy/core/event-streams`, loaded on
 * first use). The framing itself is read here rather than with the SDK's
 * `getChunkedStream`, which allocates whatever length the (not yet checked) prelude
 * claims, up to 4 GiB: a broken upstream must not be able to do that.
 */
import { BadResponse } from '../provider.js';

/** One decoded message. */
export interface StreamMessage {
  /** `event`, or `exception`/`error` for a failure sent in the stream. */
  messageType: string;
  /** `:event-type` of an event, `:exception-type` (or `:error-code`) of a failure. */
  type: string;
  /** The payload as text (JSON for Bedrock), or `:error-message` for an error. */
  payload: string;
}

type Codec = InstanceType<typeof import('@smithy/core/event-streams').EventStreamCodec>;
let codec: Promise<Codec> | undefined;

function loadCodec(): Promise<Codec> {
  codec ??= Promise.all([import('@smithy/core/event-streams'), import('@smithy/core/serde')]).then(
    ([{ EventStreamCodec }, { toUtf8, fromUtf8 }]) => new EventStreamCodec(toUtf8, fromUtf8),
  );
  return codec;
}

// A prelude (total and header lengths, CRC) and the message CRC.
const MIN_MESSAGE = 16;

/** Yields the messages of an event-stream body. Throws {@link BadResponse} on a broken frame. */
export async function* readEventStream(body: AsyncIterable<Uint8Array>, maxMessageBytes: number): AsyncGenerator<StreamMessage> {
  const decoder = await loadCodec();
  let buffered = Buffer.alloc(0);
  for await (const chunk of body) {
    buffered = buffered.length === 0 ? Buffer.from(chunk) : Buffer.concat([buffered, chunk]);
    while (buffered.length >= 4) {
      const total = buffered.readUInt32BE(0);
      if (total < MIN_MESSAGE) throw new BadResponse('upstream sent an event-stream message with a bad length');
      if (total > maxMessageBytes) throw new BadResponse(`upstream sent an event-stream message larger than ${maxMessageBytes} bytes`);
      if (buffered.length < total) break;
      yield decode(decoder, buffered.subarray(0, total));
      buffered = buffered.subarray(total);
    }
  }
  if (buffered.length > 0) throw new BadResponse('upstream event stream ended inside a message');
}

function decode(decoder: Codec, bytes: Uint8Array): StreamMessage {
  let message;
  try {
    message = decoder.decode(bytes);
  } catch {
    throw new BadResponse('upstream sent an event-stream message that does not decode (CRC or headers)');
  }
  const header = (name: string) => {
    const h = message.headers[name];
    return h && h.type === 'string' ? h.value : undefined;
  };
  const messageType = header(':message-type') ?? 'event';
  const payload = Buffer.from(message.body).toString('utf8');
  if (messageType === 'error') {
    return { messageType, type: header(':error-code') ?? 'error', payload: header(':error-message') ?? payload };
  }
  return { messageType, type: (messageType === 'exception' ? header(':exception-type') : header(':event-type')) ?? '', payload };
}
