/**
 * @module
 * OpenAI-compatible providers (OpenAI, Azure-style relays, DeepSeek, Moonshot/Kimi,
 * Gemini's OpenAI endpoint, vLLM, Ollama). Requests pass through untouched except for
 * `model`; answers are checked, not rewritten.
 */
import { isUtf8 } from 'node:buffer';
import type { ResponseInfo } from '../events.js';
import { patchModel } from '../json/patch-model.js';
import { ARRAY, OBJECT, STRING, member, scanJson, type JsonScan } from '../json/scan.js';
import { splitEvents, type EventBatch, type SseEvent } from '../stream/sse-split.js';
import { readEvents } from '../stream/sse.js';
import { nativeResponses } from './native.js';
import { BadResponse, infoOf, usageOf, type Answer, type ChatBody, type ProviderAdapter, type UpstreamError } from './provider.js';

function errorOf(value: unknown): UpstreamError | undefined {
  const error = (value as { error?: unknown } | null)?.error;
  if (error === undefined || error === null) return undefined;
  if (typeof error === 'string') return { message: error };
  if (typeof error !== 'object') return undefined;
  const e = error as Record<string, unknown>;
  return {
    message: typeof e.message === 'string' ? e.message : 'upstream error',
    type: typeof e.type === 'string' ? e.type : undefined,
    code: typeof e.code === 'string' ? e.code : typeof e.code === 'number' ? String(e.code) : null,
    param: typeof e.param === 'string' ? e.param : null,
  };
}

/** Returns `raw` (and its usage) if it is a JSON object with an array `field` and no in-band error. */
function checked(raw: Buffer, field: 'choices' | 'data'): Answer {
  // Bytes that are not UTF-8 would reach a client told `charset=utf-8`: send them repaired.
  if (!isUtf8(raw)) raw = Buffer.from(raw.toString('utf8'));
  return checkedByScan(raw, field) ?? checkedByParse(raw, field);
}

const ERROR = Buffer.from('error');
const USAGE = Buffer.from('usage');
const ID = Buffer.from('id');
const MODEL = Buffer.from('model');
const FIELDS = { choices: Buffer.from('choices'), data: Buffer.from('data') };

/** A member's value, parsed (only the few small ones read here are). */
function valueOf(raw: Buffer, scan: JsonScan, m: number): unknown {
  return JSON.parse(raw.toString('utf8', scan.valueStart[m], scan.valueEnd[m]));
}

/**
 * {@link checked} without parsing the whole answer (see `json/scan.ts`): only `usage`,
 * `id`, `model` and the finish reasons are read. Undefined where only a parse can tell
 * (an error member, a key with escapes, a text the scan leaves to `JSON.parse`).
 */
function checkedByScan(raw: Buffer, field: 'choices' | 'data'): Answer | undefined {
  const scan = scanJson(raw);
  if (!scan || scan.escapedKey) return undefined;
  const error = member(scan, raw, ERROR);
  // errorOf reads a string, an object or an array; null, numbers and booleans are no error.
  if (error !== -1 && (scan.kind[error] === STRING || scan.kind[error] === OBJECT || scan.kind[error] === ARRAY)) return undefined;
  const list = member(scan, raw, FIELDS[field]);
  if (list === -1 || scan.kind[list] !== ARRAY) throw new BadResponse(`upstream sent an answer without \`${field}\``);
  const u = member(scan, raw, USAGE);
  const usage = u !== -1 && (scan.kind[u] === OBJECT || scan.kind[u] === ARRAY) ? usageOf({ usage: valueOf(raw, scan, u) }) : undefined;
  if (field !== 'choices') return { body: raw, usage, info: undefined };
  const info: ResponseInfo = {};
  const id = member(scan, raw, ID);
  if (id !== -1 && scan.kind[id] === STRING) info.id = valueOf(raw, scan, id) as string;
  const model = member(scan, raw, MODEL);
  if (model !== -1 && scan.kind[model] === STRING) info.model = valueOf(raw, scan, model) as string;
  const reasons: string[] = [];
  for (let c = 0; c < scan.choices; c++) {
    if (scan.choiceKind[c] === OBJECT && scan.finishKind[c] === STRING) reasons.push(JSON.parse(raw.toString('utf8', scan.finishStart[c], scan.finishEnd[c])) as string);
  }
  if (reasons.length > 0) info.finishReasons = reasons;
  return { body: raw, usage, info };
}

function checkedByParse(raw: Buffer, field: 'choices' | 'data'): Answer {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new BadResponse('upstream sent a body that is not JSON');
  }
  const inband = errorOf(parsed);
  if (inband) throw new BadResponse(inband.message, inband);
  if (!Array.isArray((parsed as Record<string, unknown> | null)?.[field])) {
    throw new BadResponse(`upstream sent an answer without \`${field}\``);
  }
  return { body: raw, usage: usageOf(parsed), info: field === 'choices' ? infoOf(parsed) : undefined };
}

export const openaiProvider: ProviderAdapter = {
  // The Responses API, where the provider says it has one (`responses: true`).
  native: (format, provider) => (format === 'responses' && provider.responses ? nativeResponses : undefined),

  chatRequest(provider, body: ChatBody, model, raw) {
    const path = `${provider.basePath}/chat/completions`;
    const options = body.stream_options as { include_usage?: boolean } | undefined;
    if (body.stream === true && provider.streamUsage && options?.include_usage !== true) {
      // Usage is needed for cost; the relay strips the usage chunk again for this client.
      const patched = raw && options === undefined ? patchModel(raw, body.model, model, ',"stream_options":{"include_usage":true}') : undefined;
      return { path, body: patched ?? JSON.stringify({ ...body, model, stream_options: { ...options, include_usage: true } }) };
    }
    // Spread keeps every field the relay does not understand (tools, seed, logprobs, ...).
    return { path, body: (raw && patchModel(raw, body.model, model)) ?? JSON.stringify({ ...body, model }) };
  },

  parseError(text) {
    try {
      return errorOf(JSON.parse(text));
    } catch {
      return text.length > 0 ? { message: text.slice(0, 200) } : undefined;
    }
  },

  completion(raw) {
    return checked(raw, 'choices');
  },

  embeddingsRequest(provider, body, model, raw) {
    return { path: `${provider.basePath}/embeddings`, body: (raw && patchModel(raw, body.model, model)) ?? JSON.stringify({ ...body, model }) };
  },

  embeddings(raw) {
    return checked(raw, 'data');
  },

  batches: checkedBatches,

  async *chunks(body, maxEventBytes) {
    for await (const event of readEvents(body, maxEventBytes)) {
      const data = event.data;
      if (data === '[DONE]') {
        yield data;
        return;
      }
      // Chunks pass unparsed: only their first byte is checked (the engine parses those
      // it must look into), and only a payload that mentions "error" can be an in-band error.
      if (data.charCodeAt(0) !== 123 /* { */) throw new BadResponse('upstream sent an SSE event that is not JSON');
      if (data.includes('"error"')) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(data);
        } catch {
          throw new BadResponse('upstream sent an SSE event that is not JSON');
        }
        const inband = errorOf(parsed);
        if (inband) throw new BadResponse(inband.message, inband);
      }
      yield data;
    }
  },
};

const DONE_BYTES = Buffer.from('[DONE]');
const ERROR_KEY = Buffer.from('"error"');

/** Whether raw event `e` is `[DONE]`. */
function isDone(buf: Buffer, e: SseEvent): boolean {
  if (e.data !== undefined) return e.data === '[DONE]';
  return e.end - e.dataStart === DONE_BYTES.length && buf.compare(DONE_BYTES, 0, DONE_BYTES.length, e.dataStart, e.end) === 0;
}

/**
 * The checks of `chunks`, on batches of bytes: the stream ends at `[DONE]`; an event that
 * is not a JSON object, or that is an in-band error, ends it with a {@link BadResponse}
 * once the events before it are delivered. Only an event that mentions "error" is parsed.
 */
async function* checkedBatches(body: AsyncIterable<Uint8Array>, maxEventBytes: number): AsyncGenerator<EventBatch> {
  for await (const batch of splitEvents(body, maxEventBytes)) {
    const { buf, events } = batch;
    // Where "error" appears in this read, walked alongside the events (they come in order).
    let errorAt = buf.indexOf(ERROR_KEY);
    for (let k = 0; k < events.length; k++) {
      const e = events[k]!;
      if (isDone(buf, e)) {
        yield k + 1 === events.length ? batch : { buf, events: events.slice(0, k + 1) };
        return;
      }
      let problem: BadResponse | undefined;
      if (e.data !== undefined) {
        problem = inbandProblem(e.data, e.data.charCodeAt(0) === 123 /* { */, e.data.includes('"error"'));
      } else {
        while (errorAt !== -1 && errorAt < e.dataStart) errorAt = buf.indexOf(ERROR_KEY, errorAt + 1);
        const mentions = errorAt !== -1 && errorAt + ERROR_KEY.length <= e.end;
        problem = inbandProblem(mentions ? buf.toString('utf8', e.dataStart, e.end) : '', e.dataStart < e.end && buf[e.dataStart] === 123, mentions);
      }
      if (problem) {
        if (k > 0) yield { buf, events: events.slice(0, k) };
        throw problem;
      }
    }
    yield batch;
  }
}

/** Why a chunk payload ends the stream (not JSON, an in-band error), or undefined. */
function inbandProblem(data: string, object: boolean, mentionsError: boolean): BadResponse | undefined {
  if (!object) return new BadResponse('upstream sent an SSE event that is not JSON');
  if (!mentionsError) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return new BadResponse('upstream sent an SSE event that is not JSON');
  }
  const inband = errorOf(parsed);
  return inband ? new BadResponse(inband.message, inband) : undefined;
}
