/**
 * @module
 * Reading a client's JSON body from a raw Node request, with a size cap, or taking the
 * body a host's parser (express.json, koa-bodyparser) already produced.
 */
import type { IncomingMessage } from 'node:http';
import { BodyTooLargeError, InvalidRequestError } from '../errors.js';

function parseJson(text: string): unknown {
  if (text.trim() === '') throw new InvalidRequestError('The request body is empty; expected a JSON object.');
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidRequestError('We could not parse the JSON body of your request: it is not valid JSON.');
  }
}

/**
 * Returns the parsed body of `req`. A body that a host middleware already parsed
 * (`req.body`, with the stream consumed) is used as it is; otherwise the stream is read
 * up to `limit` bytes.
 */
export async function readJsonBody(req: IncomingMessage & { body?: unknown }, limit: number, parsed?: unknown): Promise<unknown> {
  // Checked before a pre-parsed body is taken too: a host parser's own limit (100 kb for
  // express.json and Nest, 1 MB for koa-bodyparser) must not replace the relay's.
  const declared = Number(req.headers['content-length']);
  if (declared > limit) throw new BodyTooLargeError(limit);
  const preParsed = parsed !== undefined ? parsed : req.readableEnded ? req.body : undefined;
  if (preParsed !== undefined) {
    if (typeof preParsed === 'string') return parseJson(preParsed);
    if (Buffer.isBuffer(preParsed)) return parseJson(preParsed.toString('utf8'));
    return preParsed;
  }

  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BodyTooLargeError(limit);
    parts.push(chunk as Buffer);
  }
  const buffer = parts.length === 1 ? parts[0]! : Buffer.concat(parts, size);
  // fatal: bytes that are not UTF-8 are a bad request, not a body to guess at.
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buffer);
  } catch {
    throw new InvalidRequestError('The request body is not valid UTF-8.');
  }
  return parseJson(text);
}
