/**
 * @module
 * Writes a response, healthy or broken on purpose. A route decides what a
 * healthy answer would be (a {@link Payload}); the fault decides how that
 * answer goes wrong on the wire.
 */
import type { Exchange } from './exchange.js';
import { errorEnvelope, errorTypeForStatus, sseFrame } from './openai-mock.js';
import type { MockFault } from './types.js';

/** What a route would answer if nothing went wrong. */
export type Payload =
  | { type: 'json'; status: number; body: unknown; headers?: Record<string, string> }
  /** A stream: SSE frames, or binary frames with their `contentType` (AWS event streams). */
  | { type: 'sse'; frames: (string | Buffer)[]; contentType?: string };

// Enough pieces for a client to see a body arrive in parts; the count itself does not matter.
const DRIP_PIECES = 4;

/** How a protocol words its errors. */
export interface Dialect {
  /** The body of an error answer with `status`. */
  error(status: number, message: string, code?: string): unknown;
  /** The SSE event (or binary frame) `errorAfterChunks` sends. */
  /** The event(s) `errorAfterChunks` sends, or a function of how many events went before (for sequence numbers). */
  streamError: string | Buffer | ((sent: number) => string | Buffer);
  /** Extra headers of an error answer (Bedrock names the error in `x-amzn-errortype`). */
  errorHeaders?(status: number): Record<string, string>;
  /** Content type of a stream. @default 'text/event-stream' */
  streamContentType?: string;
  /** Splits raw stream bytes into frames (for `dieAfterChunks` and drips). @default after each `\n\n` */
  splitFrames?(bytes: Buffer): Buffer[];
  /** A first stream frame that cannot be decoded (`malformed`). @default half of the first event's JSON */
  malformedFrame?(first: string | Buffer): string | Buffer;
}

/** OpenAI's error envelopes. */
export const OPENAI_DIALECT: Dialect = {
  error: (status, message, code) => errorEnvelope(message, errorTypeForStatus(status), code ?? null),
  streamError: sseFrame(errorEnvelope('mock in-stream error', 'server_error')),
};

/**
 * Answer `payload`, broken as `fault` says. Rejects with an AbortError if the
 * exchange ends (client gone, server closing) while it waits or writes.
 * @param gapMs delay between SSE frames of a healthy stream
 */
export async function respond(
  ex: Exchange,
  payload: Payload,
  gapMs: number,
  fault: MockFault = {},
  dialect: Dialect = OPENAI_DIALECT,
): Promise<void> {
  await ex.sleep(fault.firstByteDelayMs ?? 0);
  if (fault.reset) return ex.resetConnection();
  if (fault.hang) return ex.hang();
  const status = fault.status ?? (fault.retryAfter !== undefined ? 429 : undefined);
  if (status !== undefined) return sendStatus(ex, status, fault, dialect);
  const streaming = payload.type === 'sse';
  if (fault.raw !== undefined) return sendRaw(ex, fault.raw, fault, streaming, dialect);
  if (fault.malformed) return sendMalformed(ex, payload, dialect);
  if (payload.type === 'sse') {
    const headers = { ...SSE_HEADERS, 'content-type': payload.contentType ?? SSE_HEADERS['content-type'], ...fault.headers };
    return sendFrames(ex, payload.frames, fault, fault.dripMs ?? gapMs, dialect.streamError, headers);
  }
  return sendJson(ex, payload, fault);
}

function sendStatus(ex: Exchange, status: number, fault: MockFault, dialect: Dialect): void {
  const { body } = fault;
  const bytes =
    body === undefined
      ? JSON.stringify(dialect.error(status, `mock error ${status}`))
      : typeof body === 'string' || Buffer.isBuffer(body)
        ? body
        : JSON.stringify(body);
  const headers: Record<string, string | number> = {
    'content-type': fault.contentType ?? 'application/json',
    'content-length': Buffer.byteLength(bytes),
    ...dialect.errorHeaders?.(status),
    ...fault.headers,
  };
  if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
  ex.res.writeHead(status, headers);
  ex.res.end(bytes);
}

const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };

/** A healthy or cut stream: `fault` may stop it early with a cut or an in-stream error. */
async function sendFrames(
  ex: Exchange,
  frames: (string | Buffer)[],
  fault: Pick<MockFault, 'dieAfterChunks' | 'errorAfterChunks'>,
  gapMs: number,
  streamError: Dialect['streamError'],
  headers: Record<string, string> = SSE_HEADERS,
): Promise<void> {
  ex.head(200, headers);
  const { dieAfterChunks: dieAt = Infinity, errorAfterChunks: errorAt = Infinity } = fault;
  const stopAt = Math.min(dieAt, errorAt, frames.length);
  for (let i = 0; i < stopAt; i++) {
    if (i > 0) await ex.sleep(gapMs);
    await ex.write(frames[i]);
  }
  // A die point past the end still cuts: the test asked for a stream that never ends cleanly.
  if (dieAt !== Infinity && dieAt <= errorAt) return ex.cut();
  if (errorAt !== Infinity) {
    if (stopAt > 0) await ex.sleep(gapMs);
    await ex.write(typeof streamError === 'function' ? streamError(stopAt) : streamError);
  }
  ex.res.end();
}

async function sendJson(
  ex: Exchange,
  payload: { status: number; body: unknown; headers?: Record<string, string> },
  fault: Pick<MockFault, 'dieAfterChunks' | 'dripMs' | 'headers'>,
): Promise<void> {
  const bytes = Buffer.from(JSON.stringify(payload.body));
  // The full length is announced even when the mock dies halfway, so the client knows it was cut.
  ex.head(payload.status, { 'content-type': 'application/json', 'content-length': bytes.length, ...payload.headers, ...fault.headers });
  if (fault.dieAfterChunks !== undefined) {
    await ex.write(bytes.subarray(0, Math.floor(bytes.length / 2)));
    return ex.cut();
  }
  const pieces = fault.dripMs !== undefined ? splitEven(bytes, DRIP_PIECES) : [bytes];
  for (let i = 0; i < pieces.length; i++) {
    if (i > 0) await ex.sleep(fault.dripMs ?? 0);
    await ex.write(pieces[i]);
  }
  ex.res.end();
}

function sendRaw(ex: Exchange, raw: string | Buffer, fault: MockFault, streaming: boolean, dialect: Dialect): Promise<void> {
  const bytes = Buffer.isBuffer(raw) ? raw : Buffer.from(raw);
  const contentType = fault.contentType ?? (streaming ? (dialect.streamContentType ?? 'text/event-stream') : 'application/json');
  const split = [fault.dripMs, fault.dieAfterChunks, fault.errorAfterChunks].some((x) => x !== undefined);
  const headers: Record<string, string> = { 'content-type': contentType, ...fault.headers };
  if (contentType.startsWith('text/event-stream')) headers['cache-control'] = 'no-cache';
  const frames = split ? (dialect.splitFrames ?? splitEvents)(bytes) : [bytes];
  return sendFrames(ex, frames, fault, fault.dripMs ?? 0, dialect.streamError, headers);
}

function sendMalformed(ex: Exchange, payload: Payload, dialect: Dialect): Promise<void> | void {
  if (payload.type === 'json') {
    // Half of a JSON object can never parse: its only valid last byte is the closing brace.
    const bytes = Buffer.from(JSON.stringify(payload.body));
    const half = bytes.subarray(0, Math.floor(bytes.length / 2));
    ex.res.writeHead(200, { 'content-type': 'application/json', 'content-length': half.length });
    ex.res.end(half);
    return;
  }
  const headers = { ...SSE_HEADERS, 'content-type': payload.contentType ?? SSE_HEADERS['content-type'] };
  if (dialect.malformedFrame) return sendFrames(ex, [dialect.malformedFrame(payload.frames[0]!)], {}, 0, '', headers);
  // Half of the first event's JSON, after its `event:` line if it has one.
  const first = String(payload.frames[0]);
  const at = first.indexOf('data: ') + 'data: '.length;
  const json = first.slice(at, -2);
  return sendFrames(ex, [`${first.slice(0, at)}${json.slice(0, Math.floor(json.length / 2))}\n\n`], {}, 0, '');
}

function splitEven(bytes: Buffer, pieces: number): Buffer[] {
  const size = Math.max(1, Math.ceil(bytes.length / pieces));
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) out.push(bytes.subarray(at, at + size));
  return out;
}

/** Split after each `\n\n`, keeping the separators, so joining the pieces gives the input back. */
export function splitEvents(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let end = bytes.indexOf('\n\n', start); end !== -1; end = bytes.indexOf('\n\n', start)) {
    out.push(bytes.subarray(start, end + 2));
    start = end + 2;
  }
  if (start < bytes.length) out.push(bytes.subarray(start));
  return out;
}
