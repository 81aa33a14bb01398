/**
 * @module
 * One upstream attempt: send the request, read the answer, and say how it went. A
 * streaming attempt succeeds only once it produced content (see `stream/commit.ts`),
 * so everything that can go wrong before the client sees a byte is a plain failure
 * here and the engine may still fail over.
 */
import type { Dispatcher, Pool } from 'undici';
import type { ResolvedTarget } from '../config.js';
import { InvalidRequestError, isSwitchyardError, type FailureKind } from '../errors/index.js';
import { classifyError, classifyStatus } from '../policy/classify.js';
import { parseRetryAfter } from '../policy/retry.js';
import { BadResponse, type ChatBody, type EmbeddingsBody, type Endpoint, type NativeEvent, type NativeFormat, type ProviderAdapter, type UpstreamError, type Usage, type UpstreamRequest } from '../providers/provider.js';
import { batchesOf } from '../stream/batches.js';
import { readUntilContent, readUntilNativeContent, type CommittedStream } from '../stream/commit.js';
import { linkedController } from '../policy/timeout.js';
import type { Redactor } from '../secrets/redactor.js';
import { redactUpstreamError } from '../secrets/upstream-error.js';
import { authorize } from '../auth/provider-auth.js';
import type { ResponseInfo } from '../events.js';

/** A failed attempt, classified. */
export interface AttemptFailure {
  ok: false;
  kind: FailureKind;
  status?: number;
  retryAfterMs?: number;
  error?: UpstreamError;
  detail: string;
  /** The target was slower than its `maxLatencyMs`: move on rather than retry it. */
  slow?: boolean;
}

export type AttemptResult =
  | { ok: true; stream: false; body: Buffer; usage?: Usage; info?: ResponseInfo; native?: false }
  | { ok: true; stream: true; committed: CommittedStream; native?: false }
  /** A native answer: the upstream spoke the client's format, and its answer goes as it came. */
  | { ok: true; stream: false; body: Buffer; usage?: Usage; info?: ResponseInfo; native: true }
  | { ok: true; stream: true; committed: CommittedStream<NativeEvent>; native: true }
  | AttemptFailure;

/** How to read a native answer: the provider's events, and the client format's view of them. */
export interface NativeReading {
  events: NativeFormat['events'];
  batches?: NativeFormat['batches'];
  isContent(event: string | undefined, data: string): boolean;
  nativeError(event: string | undefined, data: string): { message: string; code: string | null } | undefined;
  /** Usage of a whole JSON answer. */
  usage(json: unknown): Usage | undefined;
}

/** What an attempt needs besides its target. */
export interface AttemptInput {
  pool: Pool;
  adapter: ProviderAdapter;
  target: ResolvedTarget;
  endpoint: Endpoint;
  /** The upstream request, built once per target by {@link prepare}. */
  request: UpstreamRequest;
  stream: boolean;
  signal: AbortSignal;
  maxResponseBytes: number;
  now: () => number;
  /** Extra headers for this request only (`traceparent`). */
  headers?: Record<string, string>;
  /** Set when the request goes to the target natively (in the client's own format). */
  native?: NativeReading;
}

/** Largest upstream error body read; the rest is dropped. */
const MAX_ERROR_BYTES = 64 * 1024; // 64 KiB

/**
 * Reads a whole body up to `limit` bytes (undefined past that), aborting `controller`
 * when no data arrives for `idleMs`. Listeners rather than async iteration: this runs for
 * every non-streaming answer, and the iterator machinery showed in profiles.
 */
function readCapped(body: Dispatcher.ResponseData['body'], limit: number, idleMs: number, controller: AbortController): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => controller.abort(new AttemptTimeout('idle', idleMs)), idleMs);
    const done = (err: unknown, value?: Buffer) => {
      clearTimeout(timer);
      body.off('data', onData).off('end', onEnd).off('error', onError);
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) return done(undefined, undefined);
      parts.push(chunk);
      timer.refresh();
    };
    const onEnd = () => done(undefined, parts.length === 1 ? parts[0] : Buffer.concat(parts, size));
    const onError = (err: Error) => done(err);
    body.on('data', onData).on('end', onEnd).on('error', onError);
  });
}

/**
 * Kind of an error object sent inside a 2xx answer (a body or a stream event), read
 * from its type and code since there is no status to go by.
 */
function inbandKind(error: UpstreamError): { kind: FailureKind; status?: number } {
  const numeric = Number(error.code);
  if (Number.isInteger(numeric) && numeric >= 400 && numeric < 600) {
    return { kind: classifyStatus(numeric, error.code, error.message), status: numeric };
  }
  const label = `${error.type ?? ''} ${error.code ?? ''}`;
  if (/rate_limit/.test(label)) return { kind: 'rate_limit' };
  if (/authentication|permission|api_key|insufficient_quota|billing/.test(label)) return { kind: 'auth' };
  // The request itself was refused: classified (and, by default, returned) as a 400 would be.
  if (/invalid_request/.test(label)) return { kind: classifyStatus(400, error.code, error.message), status: 400 };
  return { kind: classifyStatus(500, error.code, error.message) };
}

function inbandFailure(err: BadResponse, status: number, redactor: Redactor): AttemptFailure {
  if (err.upstreamError) {
    const error = redactUpstreamError(err.upstreamError, redactor);
    const inband = inbandKind(error);
    return { ok: false, kind: error.kind ?? inband.kind, status: inband.status ?? status, error, detail: error.code ?? error.type ?? 'in-band error' };
  }
  return { ok: false, kind: 'bad_response', status, detail: redactor.message(err.message) };
}

/** Why an attempt's own controller aborted it. */
export class AttemptTimeout extends Error {
  constructor(readonly phase: 'first byte' | 'first token' | 'max latency' | 'idle', ms: number) {
    const what = { 'first byte': 'response headers', 'first token': 'content', 'max latency': 'answer', idle: 'data' }[phase];
    super(`no ${what} from upstream within ${ms} ms`);
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

/** Why a target cannot take a request, the field at fault, and the status a client gets when no target can. */
export interface Unsupported {
  unsupported: string;
  param?: string | null;
  status?: number;
}

/** A translation's refusal as an {@link Unsupported}; anything else is rethrown. */
export function unsupportedOf(err: unknown): Unsupported {
  // A value nested too deep to serialise cannot be sent anywhere: the request is at fault.
  if (err instanceof RangeError) throw new InvalidRequestError('The request is nested too deeply to relay.');
  if (isSwitchyardError(err)) return { unsupported: err.message, param: err.param, status: err.status };
  throw err;
}

/**
 * Builds the upstream request for `target`, once per request (retries and hedges reuse
 * it); `raw`: the bytes `body` was parsed from, when they may be sent patched. Returns why the target cannot take the request instead when its provider cannot
 * express it (a field it cannot translate, an endpoint it does not have).
 */
export function prepare(adapter: ProviderAdapter, target: ResolvedTarget, endpoint: Endpoint, body: ChatBody | EmbeddingsBody, raw?: Buffer): UpstreamRequest | Unsupported {
  if (endpoint === 'embeddings' && !adapter.embeddingsRequest) return { unsupported: `${target.provider.type} providers have no embeddings API` };
  try {
    return endpoint === 'chat' ? adapter.chatRequest(target.provider, body as ChatBody, target.model, raw) : adapter.embeddingsRequest!(target.provider, body as EmbeddingsBody, target.model, raw);
  } catch (err) {
    return unsupportedOf(err);
  }
}

/** Sends one request to `target` and classifies the outcome. Throws only if `signal` aborted. */
export async function attempt(input: AttemptInput): Promise<AttemptResult> {
  const { pool, adapter, target, signal, request } = input;
  const provider = target.provider;
  // Per-request credentials (a SigV4 signature, a refreshed token):
  // none to be had fails this attempt as `auth`, and the engine moves on.
  let headers = provider.headers();
  if (provider.auth) {
    const authorized = await authorize(provider as typeof provider & { auth: NonNullable<typeof provider.auth> }, request, signal);
    if (typeof authorized === 'string') return { ok: false, kind: 'auth', detail: authorized };
    headers = authorized;
  }
  // The attempt's own controller: its timeouts abort this attempt, not the request.
  const own = linkedController(signal);
  let streaming = false;
  const failed = (err: unknown): AttemptFailure => {
    if (signal.aborted) throw signal.reason;
    const reason = own.signal.reason;
    if (own.signal.aborted && reason instanceof AttemptTimeout) {
      return { ok: false, kind: 'timeout', detail: reason.message, slow: reason.phase === 'max latency' };
    }
    const kind = err instanceof BadResponse ? 'bad_response' : classifyError(err);
    return { ok: false, kind, detail: (err as { code?: string }).code ?? (err as Error).message ?? kind };
  };

  let response: Dispatcher.ResponseData;
  // Until the attempt has its result (a stream's first content, a whole body): the
  // first-token timeout of streams and the target's maxLatencyMs, whichever is shorter.
  let limit: [AttemptTimeout['phase'], number] | undefined = input.stream ? ['first token', target.firstTokenMs] : undefined;
  if (target.maxLatencyMs !== undefined && (!limit || target.maxLatencyMs < limit[1])) limit = ['max latency', target.maxLatencyMs];
  const firstToken = limit ? setTimeout(() => own.controller.abort(new AttemptTimeout(limit[0], limit[1])), limit[1]) : undefined;
  const firstByte = setTimeout(() => own.controller.abort(new AttemptTimeout('first byte', target.firstByteMs)), target.firstByteMs);
  try {
    response = await pool.request({
      path: request.path,
      method: 'POST',
      headers: input.headers || request.headers ? { ...input.headers, ...headers, ...request.headers } : headers,
      body: request.body,
      signal: own.signal,
      // Disabled: the relay runs its own, precise timers (above and in idleGuard).
      headersTimeout: 0,
      bodyTimeout: 0,
    });
  } catch (err) {
    clearTimeout(firstToken);
    own.dispose();
    return failed(err);
  } finally {
    clearTimeout(firstByte);
  }

  const status = response.statusCode;
  const body = response.body;
  try {
    if (status < 200 || status >= 300) {
      const raw = await readCapped(body, MAX_ERROR_BYTES, target.idleMs, own.controller);
      // [secrets] Redacted before parsing, so no field (nor a cut of the text) can carry a
      // secret; the parsed fields again, as some come from headers (`x-amzn-errortype`).
      const parsed = raw ? adapter.parseError(provider.redactor.message(raw.toString('utf8')), response.headers) : undefined;
      const error = parsed && redactUpstreamError(parsed, provider.redactor);
      // [cloud providers] Refused credentials are fetched anew for the next attempt.
      if (status === 401 || status === 403) provider.auth?.invalidate();
      return {
        ok: false,
        kind: error?.kind ?? classifyStatus(status, error?.code, error?.message),
        status,
        retryAfterMs: parseRetryAfter(response.headers['retry-after'], input.now()),
        error,
        detail: error?.code ?? error?.type ?? `HTTP ${status}`,
      };
    }
    const type = String(response.headers['content-type'] ?? '');
    if (input.stream && type.includes(adapter.streamContentType ?? 'text/event-stream') && input.native) {
      const guarded = idleGuard(body, target.idleMs, own.controller);
      const { batches, events } = input.native;
      const committed = await readUntilNativeContent(batches ? batches(guarded, input.maxResponseBytes) : batchesOf(events(guarded, input.maxResponseBytes)), input.maxResponseBytes, input.native);
      committed.dispose = own.dispose;
      streaming = true;
      return { ok: true, stream: true, committed, native: true };
    }
    if (input.stream && type.includes(adapter.streamContentType ?? 'text/event-stream')) {
      const guarded = idleGuard(body, target.idleMs, own.controller);
      // Upstream bytes as they came where the provider needs no translation; else its chunks.
      const batches = adapter.batches ? adapter.batches(guarded, input.maxResponseBytes) : batchesOf(adapter.chunks(guarded, input.maxResponseBytes, target));
      const committed = await readUntilContent(batches, input.maxResponseBytes);
      committed.dispose = own.dispose;
      streaming = true;
      return { ok: true, stream: true, committed };
    }
    // [secrets] An answer that echoes a secret (a proxy quoting its headers) is redacted
    // before anything reads it: the client, the cache, usage and telemetry all see the same.
    const raw = await readCapped(body, input.maxResponseBytes, target.idleMs, own.controller).then((b) => b && provider.redactor.buffer(b));
    if (!raw) return { ok: false, kind: 'bad_response', status, detail: 'response body too large' };
    if (input.native) {
      if (input.stream) return { ok: false, kind: 'bad_response', status, detail: 'upstream did not stream' };
      let json: unknown;
      try {
        json = JSON.parse(raw.toString('utf8'));
      } catch {
        throw new BadResponse('upstream sent a body that is not JSON');
      }
      return { ok: true, stream: false, body: raw, usage: input.native.usage(json), native: true };
    }
    const answer = input.endpoint === 'chat' ? adapter.completion(raw, target) : adapter.embeddings!(raw, target);
    // A JSON completion where a stream was asked for: the upstream ignored `stream`.
    if (input.stream) return { ok: false, kind: 'bad_response', status, detail: 'upstream did not stream' };
    return { ok: true, stream: false, body: answer.body, usage: answer.usage, info: answer.info };
  } catch (err) {
    if (err instanceof BadResponse && !signal.aborted) return { ...inbandFailure(err, status, provider.redactor) };
    return { ...failed(err), status };
  } finally {
    clearTimeout(firstToken);
    if (!streaming) {
      // Ends the body (and its socket, if unread) unless a stream now owns it.
      if (!body.readableEnded) body.destroy();
      own.dispose();
    }
  }
}
