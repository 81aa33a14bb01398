/**
 * @module
 * One upstream attempt: send the request, read the answer, and say how it went. A
 * streaming attempt succeeds only once it produced content (see `stream/commit.ts`),
 * so everything that can go wrong before the client sees a byte is a plain failure
 * here and the engine may still fail over.
 */
import type { Dispatcher, Pool } from 'undici';
import type { ResolvedTarget } from './config.js';
import type { FailureKind } from './errors.js';
import { classifyError, classifyStatus } from './policy/classify.js';
import { parseRetryAfter } from './policy/retry.js';
import { BadResponse, type ChatBody, type ProviderAdapter, type UpstreamError } from './providers/provider.js';
import { readUntilContent, type CommittedStream } from './stream/commit.js';
import { linkedController } from './policy/timeout.js';

/** A failed attempt, classified. */
export interface AttemptFailure {
  ok: false;
  kind: FailureKind;
  status?: number;
  retryAfterMs?: number;
  error?: UpstreamError;
  detail: string;
}

export type AttemptResult =
  | { ok: true; stream: false; body: Buffer }
  | { ok: true; stream: true; committed: CommittedStream }
  | AttemptFailure;

/** What an attempt needs besides its target. */
export interface AttemptInput {
  pool: Pool;
  adapter: ProviderAdapter;
  target: ResolvedTarget;
  body: ChatBody;
  stream: boolean;
  signal: AbortSignal;
  maxResponseBytes: number;
  now: () => number;
}

/** Largest upstream error body read; the rest is dropped. */
const MAX_ERROR_BYTES = 64 * 1024; // 64 KiB

/** Reads a body up to `limit` bytes; returns undefined past that. */
async function readCapped(body: AsyncIterable<Uint8Array>, limit: number): Promise<Buffer | undefined> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limit) return undefined;
    parts.push(chunk as Buffer);
  }
  return parts.length === 1 ? parts[0] : Buffer.concat(parts, size);
}

function redact(text: string, secret: string | undefined): string {
  return secret && secret.length >= 4 ? text.split(secret).join('[redacted]') : text;
}

function inbandFailure(err: BadResponse, status: number, secret: string | undefined): AttemptFailure {
  if (err.upstreamError) {
    const error = { ...err.upstreamError, message: redact(err.upstreamError.message, secret) };
    // An error object inside a 200 answer: classify it as if it had come with a status.
    const code = Number(error.code);
    const kind = Number.isInteger(code) && code >= 400 && code < 600 ? classifyStatus(code, error.code, error.message) : classifyStatus(500, error.code, error.message);
    return { ok: false, kind: kind === 'bad_request' ? 'server' : kind, status, error, detail: error.message };
  }
  return { ok: false, kind: 'bad_response', status, detail: err.message };
}

/** Why an attempt's own controller aborted it. */
export class AttemptTimeout extends Error {
  constructor(readonly phase: 'first byte' | 'idle', ms: number) {
    super(`no ${phase === 'first byte' ? 'response headers' : 'data'} from upstream within ${ms} ms`);
  }
}

/**
 * Yields `body`'s chunks, aborting `controller` when none arrives for `ms`. Our own
 * timer rather than undici's `bodyTimeout`, whose coarse timer wheel rounds short
 * timeouts up to about a second.
 */
async function* idleGuard(body: AsyncIterable<Uint8Array>, ms: number, controller: AbortController): AsyncGenerator<Uint8Array> {
  const timer = setTimeout(() => controller.abort(new AttemptTimeout('idle', ms)), ms);
  try {
    for await (const chunk of body) {
      timer.refresh();
      yield chunk;
    }
  } finally {
    clearTimeout(timer);
  }
}

/** Sends one request to `target` and classifies the outcome. Throws only if `signal` aborted. */
export async function attempt(input: AttemptInput): Promise<AttemptResult> {
  const { pool, adapter, target, signal } = input;
  const provider = target.provider;
  const request = adapter.chatRequest(provider.basePath, input.body, target.model);
  // The attempt's own controller: its timeouts abort this attempt, not the request.
  const own = linkedController(signal);
  let streaming = false;
  const failed = (err: unknown): AttemptFailure => {
    if (signal.aborted) throw signal.reason;
    const reason = own.signal.reason;
    if (own.signal.aborted && reason instanceof AttemptTimeout) return { ok: false, kind: 'timeout', detail: reason.message };
    const kind = err instanceof BadResponse ? 'bad_response' : classifyError(err);
    return { ok: false, kind, detail: (err as { code?: string }).code ?? (err as Error).message ?? kind };
  };

  let response: Dispatcher.ResponseData;
  const firstByte = setTimeout(() => own.controller.abort(new AttemptTimeout('first byte', target.firstByteMs)), target.firstByteMs);
  try {
    response = await pool.request({
      path: request.path,
      method: 'POST',
      headers: provider.headers,
      body: request.body,
      signal: own.signal,
      // Disabled: the relay runs its own, precise timers (above and in idleGuard).
      headersTimeout: 0,
      bodyTimeout: 0,
    });
  } catch (err) {
    own.dispose();
    return failed(err);
  } finally {
    clearTimeout(firstByte);
  }

  const status = response.statusCode;
  const body = idleGuard(response.body, target.idleMs, own.controller);
  try {
    if (status < 200 || status >= 300) {
      const raw = await readCapped(body, MAX_ERROR_BYTES);
      const error = raw ? adapter.parseError(raw.toString('utf8')) : undefined;
      if (error) error.message = redact(error.message, provider.secret);
      return {
        ok: false,
        kind: classifyStatus(status, error?.code, error?.message),
        status,
        retryAfterMs: parseRetryAfter(response.headers['retry-after'], input.now()),
        error,
        detail: error?.message ?? `HTTP ${status}`,
      };
    }
    const type = String(response.headers['content-type'] ?? '');
    if (input.stream && type.includes('text/event-stream')) {
      const committed = await readUntilContent(adapter.chunks(body));
      committed.dispose = own.dispose;
      streaming = true;
      return { ok: true, stream: true, committed };
    }
    const raw = await readCapped(body, input.maxResponseBytes);
    if (!raw) return { ok: false, kind: 'bad_response', status, detail: 'response body too large' };
    const completion = adapter.completion(raw);
    // A JSON completion where a stream was asked for: the upstream ignored `stream`.
    if (input.stream) return { ok: false, kind: 'bad_response', status, detail: 'upstream did not stream' };
    return { ok: true, stream: false, body: completion };
  } catch (err) {
    if (err instanceof BadResponse && !signal.aborted) return { ...inbandFailure(err, status, provider.secret) };
    return { ...failed(err), status };
  } finally {
    if (!streaming) {
      // Ends the body (and its socket, if unread) unless a stream now owns it.
      await body.return(undefined).catch(() => {});
      response.body.destroy();
      own.dispose();
    }
  }
}
