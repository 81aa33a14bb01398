/**
 * @module
 * Writing relay results to a Node `ServerResponse`: JSON bodies, SSE streams with
 * backpressure, and error envelopes. Every adapter ends up here.
 */
import type { ServerResponse } from 'node:http';
import { toErrorResponse, type AttemptRecord, type EnvelopeOptions } from '../errors/index.js';
import { formatUsd } from '../pricing.js';
import type { RelayMeta } from '../relay-types.js';
import { formats, type ClientFormat, type FormatName } from '../formats/index.js';
import type { ClientStream } from '../stream/client-stream.js';
import { frame } from '../stream/sse.js';

/**
 * A header value with everything outside printable ASCII written as `\uXXXX`: names and
 * upstream messages may be in any script, and Node refuses such bytes in headers.
 */
export function headerSafe(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) ? value : value.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Response headers that tell a client who served and how. */
export function metaHeaders(meta: Partial<RelayMeta> & { requestId: string; attempts: AttemptRecord[] }, debug: boolean): Record<string, string> {
  const headers: Record<string, string> = {
    'x-switchyard-request-id': meta.requestId,
    'x-switchyard-attempts': String(meta.attempts.filter((a) => a.outcome !== 'skipped').length),
  };
  if (meta.provider !== undefined) headers['x-switchyard-provider'] = headerSafe(meta.provider);
  if (meta.upstreamModel !== undefined) headers['x-switchyard-model'] = headerSafe(meta.upstreamModel);
  if (meta.chain !== undefined) headers['x-switchyard-chain'] = headerSafe(meta.chain);
  if (meta.strategy !== undefined) headers['x-switchyard-strategy'] = meta.strategy;
  if (meta.fallbacks !== undefined && meta.fallbacks.length > 0) headers['x-switchyard-fallbacks'] = headerSafe(meta.fallbacks.join(', '));
  if (meta.costUsd !== undefined) headers['x-switchyard-cost-usd'] = formatUsd(meta.costUsd);
  if (meta.cache !== undefined) headers['x-switchyard-cache'] = meta.cache;
  if (meta.headers) Object.assign(headers, meta.headers);
  if (debug) headers['x-switchyard-attempt-details'] = headerSafe(JSON.stringify(meta.attempts));
  return headers;
}

export function sendJson(res: ServerResponse, status: number, headers: Record<string, string>, body: Buffer | string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
  });
  res.end(body);
}

/**
 * Writes an error in the envelope of the client's format (OpenAI's by default, with the
 * status decided by the error catalogue; Anthropic's for a Messages client); upstream
 * messages in its attempts only with `options.upstreamMessages` (debug detail).
 */
export function sendError(res: ServerResponse, err: unknown, headers: Record<string, string>, format: FormatName = 'chat', options?: EnvelopeOptions): void {
  const { status, headers: errorHeaders, body } = format === 'chat' ? toErrorResponse(err, options) : formats[format].errorResponse(err, options);
  try {
    sendJson(res, status, { ...headers, ...errorHeaders }, JSON.stringify(body));
  } catch {
    // Nothing more can be said to this client; never leave it hanging.
    res.destroy();
  }
}

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
  // Asks nginx-style proxies in front of the host not to buffer the stream.
  'x-accel-buffering': 'no',
  // The cost is known only at the end: it follows the stream as a trailer.
  trailer: 'x-switchyard-cost-usd, x-switchyard-resumed-from',
} as const;

/**
 * Sends `: keep-alive` every `ms` until stopped. The first one commits the response as
 * a 200 event stream (see `stream.heartbeatMs`).
 */
export function startHeartbeat(res: ServerResponse, ms: number): () => void {
  const timer = setInterval(() => {
    if (res.destroyed || res.writableEnded) return;
    if (!res.headersSent) res.writeHead(200, SSE_HEADERS);
    res.write(': keep-alive\n\n');
  }, ms);
  return () => clearInterval(timer);
}

/** Ends a response whose headers are already out (heartbeats) with the format's error event. */
export function sendStreamError(res: ServerResponse, err: unknown, format: FormatName = 'chat'): void {
  if (res.destroyed || res.writableEnded) return;
  const f = format === 'embeddings' || format === 'chat' ? undefined : formats[format];
  res.write(f ? (f as ClientFormat).fromChatStream({ request: {}, model: '' }).error(err).join('') : frame(JSON.stringify(toErrorResponse(err).body)));
  res.end();
}

/** Resolves when `res` can take more data, or when it closed. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * Writes `frames` (complete SSE frames in the client's format) as they come. Waits for
 * `drain` when the client reads slower than the upstream writes, so memory stays
 * bounded. A stream that breaks after it started ends with the format's error event
 * (the frames carry it), never a hung socket.
 */
export async function sendStream(res: ServerResponse, headers: Record<string, string>, chunks: ClientStream): Promise<void> {
  try {
    if (!res.headersSent) {
      res.writeHead(200, { ...headers, ...SSE_HEADERS });
    } else {
      // Heartbeats already sent the headers: say who serves in a comment instead.
      res.write(`: ${Object.entries(headers).map(([k, v]) => `${k}=${v}`).join(' ')}\n\n`);
    }
    // Events that arrive together (one upstream read) leave in one write: corked until
    // the current tick's work is done.
    let corked = false;
    const uncork = () => {
      corked = false;
      res.uncork();
    };
    for await (const data of chunks) {
      if (!corked) {
        corked = true;
        res.cork();
        process.nextTick(uncork);
      }
      if (!res.write(data)) await drained(res);
      if (res.destroyed) break;
    }
  } catch (err) {
    await chunks.return();
    return sendStreamError(res, err);
  }
  await chunks.return();
  if (res.destroyed) return;
  // Sent with chunked framing (HTTP/1.1); Node drops them silently where there is none.
  const trailers = chunks.trailers();
  if (Object.keys(trailers).length > 0) res.addTrailers(trailers);
  res.end();
}
