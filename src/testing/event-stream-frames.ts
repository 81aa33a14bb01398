/**
 * @module
 * AWS event-stream frames for the mock's Bedrock mode, encoded (with their CRCs) by the
 * AWS SDK's own codec, as Bedrock's ConverseStream and InvokeModelWithResponseStream send them.
 */
import { EventStreamCodec } from '@smithy/core/event-streams';
import { fromUtf8, toUtf8 } from '@smithy/core/serde';

const codec = new EventStreamCodec(toUtf8, fromUtf8);

const str = (value: string) => ({ type: 'string' as const, value });

/** An `event` message of `type` with a JSON payload. */
export function eventFrame(type: string, payload: unknown): Buffer {
  const body = fromUtf8(typeof payload === 'string' ? payload : JSON.stringify(payload));
  return Buffer.from(codec.encode({ headers: { ':event-type': str(type), ':content-type': str('application/json'), ':message-type': str('event') }, body }));
}

/** An `exception` message (`throttlingException`, `internalServerException`, ...). */
export function exceptionFrame(type: string, message: string): Buffer {
  const body = fromUtf8(JSON.stringify({ message }));
  return Buffer.from(codec.encode({ headers: { ':exception-type': str(type), ':content-type': str('application/json'), ':message-type': str('exception') }, body }));
}

/** Splits event-stream bytes at message boundaries (by each prelude's length), keeping every byte. */
export function splitEventStream(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (bytes.length - at >= 4) {
    const length = bytes.readUInt32BE(at);
    if (length < 16 || at + length > bytes.length) break;
    out.push(bytes.subarray(at, at + length));
    at += length;
  }
  if (at < bytes.length) out.push(bytes.subarray(at));
  return out;
}

/** A frame whose message CRC is wrong: the codec must refuse it. */
export function corrupt(frame: Buffer): Buffer {
  const copy = Buffer.from(frame);
  copy[copy.length - 1] = copy[copy.length - 1]! ^ 0xff;
  return copy;
}
