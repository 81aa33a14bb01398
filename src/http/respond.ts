/**
 * @module
 * Writing relay results to a Node `ServerResponse`: JSON bodies, SSE streams with
 * backpressure, and error envelopes. Every adapter ends up here.
 */
import type { ServerResponse } from 'node:http';
import { toErrorResponse, type AttemptRecord } from '../errors.js';
import type { RelayMeta } from '../relay.js';
import type { RelayStream } from '../stream/relay-stream.js';
import { frame } from '../stream/sse.js';

/** Response headers that tell a client who served and how. */
export function metaHeaders(meta: Partial<RelayMeta> & { requestId: string; attempts: AttemptRecord[] }, debug: boolean): Record<string, string> {
  const headers: Record<string, string> = {
    'x-switchyard-request-id': meta.requestId,
    'x-switchyard-attempts': String(meta.attempts.filter((a) => a.outcome !== 'skipped').length),
  };
  if (meta.provider !== undefined) headers['x-switchyard-provider'] = meta.provider;
  if (meta.upstreamModel !== undefined) headers['x-switchyard-model'] = meta.upstreamModel;
  if (debug) headers['x-switchyard-attempt-details'] = JSON.stringify(meta.attempts);
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

/** Writes an error as OpenAI's envelope with the status decided in `errors.ts`. */
export function sendError(res: ServerResponse, err: unknown, headers: Record<string, string>): void {
  const { status, headers: errorHeaders, body } = toErrorResponse(err);
  sendJson(res, status, { ...headers, ...errorHeaders }, JSON.stringify(body));
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
 * Streams `chunks` as Server-Sent Events. Waits for `drain` when the client reads slower
 * than the upstream writes, so memory stays bounded. A stream that breaks after it
 * started ends with an OpenAI error event, never a hung socket.
 */
export async function sendStream(res: ServerResponse, headers: Record<string, string>, chunks: RelayStream): Promise<void> {
  res.writeHead(200, {
    ...headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    // Asks nginx-style proxies in front of the host not to buffer the stream.
    'x-accel-buffering': 'no',
  });
  try {
    for await (const data of chunks) {
      if (!res.write(frame(data))) await drained(res);
      if (res.destroyed) break;
    }
  } catch (err) {
    if (!res.destroyed) res.write(frame(JSON.stringify(toErrorResponse(err).body)));
  } finally {
    await chunks.return();
  }
  if (!res.destroyed) res.end();
}
