/**
 * @module
 * Reading a client's JSON body from a raw Node request, with a size cap, or taking the
 * body a host's parser (express.json, koa-bodyparser) already produced.
 */
import type { IncomingMessage } from 'node:http';
import { BodyTooLargeError, InvalidRequestError, RequestTimeoutError } from '../errors/index.js';

/** Strict: bytes that are not UTF-8 are a bad request, not a body to guess at. */
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** What a client hears for a body that is not JSON (from the relay's parser or a host's). */
export const NOT_JSON = 'We could not parse the JSON body of your request: it is not valid JSON.';
/** What a client hears for an empty body. */
export const EMPTY_BODY = 'The request body is empty; expected a JSON object.';

function parseJson(text: string): unknown {
  if (text.trim() === '') throw new InvalidRequestError(EMPTY_BODY);
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidRequestError(NOT_JSON);
  }
}

/**
 * Returns the parsed body of `req`. A body that a host middleware already parsed
 * (`req.body`, with the stream consumed) is used as it is; otherwise the stream is read
 * up to `limit` bytes.
 */
export async function readJsonBody(req: IncomingMessage & { body?: unknown }, limit: number, parsed?: unknown, timeoutMs = 0): Promise<unknown> {
  return (await readJsonBodyRaw(req, limit, parsed, timeoutMs)).body;
}

/** {@link readJsonBody}, with the bytes it parsed when it read them itself (`raw`). */
export async function readJsonBodyRaw(req: IncomingMessage & { body?: unknown }, limit: number, parsed?: unknown, timeoutMs = 0): Promise<{ body: unknown; raw?: Buffer }> {
  // Checked before a pre-parsed body is taken too: a host parser's own limit (100 kb for
  // express.json and Nest, 1 MB for koa-bodyparser) must not replace the relay's.
  const declared = Number(req.headers['content-length']);
  if (declared > limit) throw new BodyTooLargeError(limit);
  const preParsed = parsed !== undefined ? parsed : req.readableEnded ? req.body : undefined;
  if (preParsed !== undefined) {
    if (typeof preParsed === 'string') return { body: parseJson(preParsed) };
    if (Buffer.isBuffer(preParsed)) return { body: parseJson(preParsed.toString('utf8')) };
    return { body: preParsed };
  }

  const buffer = await readAll(req, limit, timeoutMs);
  // fatal: bytes that are not UTF-8 are a bad request, not a body to guess at.
  let text: string;
  try {
    text = utf8.decode(buffer);
  } catch {
    throw new InvalidRequestError('The request body is not valid UTF-8.');
  }
  return { body: parseJson(text), raw: buffer };
}

/**
 * Reads a request stream whole, up to `limit` bytes and within `timeoutMs` (0: no limit),
 * so a client trickling its body (slowloris) cannot hold a request open for long.
 */
function readAll(req: IncomingMessage, limit: number, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    const timer = timeoutMs > 0 ? setTimeout(() => finish(new RequestTimeoutError(timeoutMs)), timeoutMs) : undefined;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) finish(new BodyTooLargeError(limit));
      else parts.push(chunk);
    };
    const onEnd = () => finish();
    const onError = (err: Error) => finish(err);
    const onClose = () => finish(new Error('request closed before its body was read'));
    function finish(err?: Error) {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      if (err) {
        req.pause();
        reject(err);
      } else {
        resolve(parts.length === 1 ? parts[0]! : Buffer.concat(parts, size));
      }
    }
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}
