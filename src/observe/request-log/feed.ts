/**
 * @module
 * `GET {prefix}/requests`: the request log over HTTP. JSON by default (the newest records,
 * filtered by `model`, `caller` and `status`, at most `limit`); Server-Sent Events with
 * `Accept: text/event-stream` or `?stream=1`, one `record` event per request as it
 * finishes. A slow SSE reader is skipped rather than buffered without bound.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { matches, type RecordFilter, type RequestLog } from './log.js';
import type { RecordStatus } from './record.js';

const DEFAULT_LIMIT = 100;
const KEEP_ALIVE_MS = 15_000; // 15 s
/** Bytes queued for one SSE reader beyond which new records are dropped for it. */
const MAX_BUFFERED = 1024 * 1024; // 1 MiB
const STATUSES: readonly RecordStatus[] = ['ok', 'error', 'abandoned'];

function filterOf(url: URL): RecordFilter | string {
  const f: RecordFilter = {};
  const model = url.searchParams.get('model');
  const caller = url.searchParams.get('caller');
  const status = url.searchParams.get('status');
  const limit = url.searchParams.get('limit');
  if (model) f.model = model;
  if (caller) f.caller = caller;
  if (status) {
    if (!STATUSES.includes(status as RecordStatus)) return `status must be one of: ${STATUSES.join(', ')}`;
    f.status = status as RecordStatus;
  }
  if (limit !== null) {
    const n = Number(limit);
    if (!Number.isInteger(n) || n < 1) return 'limit must be a positive integer';
    f.limit = n;
  }
  return f;
}

/** Serves one `GET /requests`. */
export function serveRequestLog(log: RequestLog, req: IncomingMessage | undefined, res: ServerResponse): void {
  const url = new URL(req?.url ?? '/', 'http://relay');
  const filter = filterOf(url);
  const noStore = { 'cache-control': 'no-store' };
  if (typeof filter === 'string') {
    res.writeHead(400, { 'content-type': 'application/json; charset=utf-8', ...noStore });
    res.end(JSON.stringify({ error: { message: filter, type: 'invalid_request_error', code: 'invalid_query', param: null } }));
    return;
  }
  const live = url.searchParams.get('stream') === '1' || String(req?.headers.accept ?? '').includes('text/event-stream');
  if (!live) {
    const body = JSON.stringify({ records: log.recent({ limit: DEFAULT_LIMIT, ...filter }) });
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(body)), ...noStore });
    res.end(body);
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  res.write(': switchyard request log\n\n');
  let dropped = 0;
  const stop = log.subscribe((r) => {
    if (!matches(r, filter)) return;
    if (res.writableLength > MAX_BUFFERED) {
      dropped++;
      return;
    }
    if (dropped > 0) {
      res.write(`event: dropped\ndata: ${dropped}\n\n`);
      dropped = 0;
    }
    res.write(`event: record\ndata: ${JSON.stringify(r)}\n\n`);
  });
  const timer = setInterval(() => res.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
  timer.unref();
  res.once('close', () => {
    stop();
    clearInterval(timer);
  });
}
