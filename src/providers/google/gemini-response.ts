/**
 * @module
 * Gemini answers (Gemini API and Vertex AI) in OpenAI's terms: a `GenerateContentResponse`
 * as a `chat.completion`, an `alt=sse` stream of them as chunk payloads, and Google's
 * error bodies. Thought parts become `reasoning_content`, `functionCall` parts tool calls,
 * safety stops `finish_reason: "content_filter"`, a blocked prompt a `content_policy`
 * failure, and `usageMetadata` the usage.
 */
import { parseJson } from '../anthropic-response.js';
import { ChunkWriter, chatUsage, completionAnswer, type ChatUsage, type ChoiceParts, type ToolCall } from '../chat-output.js';
import { BadResponse, type Answer, type UpstreamError } from '../provider.js';
import { classifyStatus } from '../../policy/classify.js';

type Json = Record<string, unknown>;

const SAFETY = new Set(['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY', 'IMAGE_PROHIBITED_CONTENT', 'IMAGE_RECITATION']);

/** OpenAI `finish_reason` for a Gemini `finishReason`, given whether the candidate called functions. */
export function geminiFinish(reason: unknown, calledTools: boolean): string {
  if (reason === 'MAX_TOKENS') return 'length';
  if (typeof reason === 'string' && SAFETY.has(reason)) return 'content_filter';
  // STOP, and reasons added later: the turn is over (with calls, the client must run them).
  return calledTools ? 'tool_calls' : 'stop';
}

/** OpenAI usage for `usageMetadata`: thoughts count as completion tokens, as at OpenAI. */
export function geminiUsage(meta: unknown): ChatUsage | undefined {
  if (typeof meta !== 'object' || meta === null) return undefined;
  const u = meta as Json;
  const n = (v: unknown) => (typeof v === 'number' ? v : 0);
  if (u.promptTokenCount === undefined && u.candidatesTokenCount === undefined) return undefined;
  const thoughts = n(u.thoughtsTokenCount);
  return chatUsage(n(u.promptTokenCount) + n(u.toolUsePromptTokenCount), n(u.candidatesTokenCount) + thoughts, n(u.cachedContentTokenCount), thoughts);
}

/** Google's error object (`{"error":{"code","message","status","details"}}`) as an UpstreamError. */
export function googleError(value: unknown): UpstreamError | undefined {
  const error = (value as { error?: unknown } | null)?.error;
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as Json;
  const message = typeof e.message === 'string' ? e.message : 'upstream error';
  const status = typeof e.status === 'string' ? e.status : undefined;
  const out: UpstreamError = { message, type: status, code: status ?? (typeof e.code === 'number' ? String(e.code) : null), param: null };
  const reasons = Array.isArray(e.details) ? e.details.map((d) => (d as Json | null)?.reason) : [];
  if (reasons.includes('API_KEY_INVALID') || status === 'UNAUTHENTICATED' || status === 'PERMISSION_DENIED') out.kind = 'auth';
  else if (/input token count.*exceeds|exceeds the maximum number of tokens|too many tokens/i.test(message)) out.kind = 'context_length';
  else if (typeof e.code === 'number') out.kind = classifyStatus(e.code, status, message);
  return out;
}

/** The failure of a prompt Gemini blocked (no candidates, `promptFeedback.blockReason`). */
function blocked(response: Json): BadResponse | undefined {
  const reason = (response.promptFeedback as Json | undefined)?.blockReason;
  if (typeof reason !== 'string') return undefined;
  const error: UpstreamError = {
    message: `Gemini blocked the prompt (${reason}).`,
    type: 'invalid_request_error',
    code: 'content_filter',
    param: 'messages',
    kind: 'content_policy',
  };
  return new BadResponse(error.message, error);
}

/** A tool call id Gemini did not give: stable for one answer, distinct across answers. */
function callId(call: Json, responseId: string, n: number): string {
  return typeof call.id === 'string' && call.id !== '' ? call.id : `call_${responseId}_${n}`;
}

/** A whole `GenerateContentResponse` as a `chat.completion`. */
export function geminiCompletion(raw: Buffer, model = ''): Answer {
  const response = parseJson(raw.toString('utf8'), 'a body');
  const inband = googleError(response);
  if (inband) throw new BadResponse(inband.message, inband);
  const candidates = Array.isArray(response.candidates) ? (response.candidates as Json[]) : [];
  if (candidates.length === 0) throw blocked(response) ?? new BadResponse('upstream sent an answer without candidates');
  const id = typeof response.responseId === 'string' ? response.responseId : 'gemini';
  let n = 0;
  const choices: ChoiceParts[] = candidates.map((candidate) => {
    let text = '';
    let reasoning = '';
    const toolCalls: ToolCall[] = [];
    for (const part of ((candidate.content as Json | undefined)?.parts ?? []) as Json[]) {
      if (typeof part?.text === 'string') {
        if (part.thought === true) reasoning += part.text;
        else text += part.text;
      }
      const call = part?.functionCall as Json | undefined;
      if (call && typeof call.name === 'string') toolCalls.push({ id: callId(call, id, n++), name: call.name, arguments: JSON.stringify(call.args ?? {}) });
    }
    return { text, reasoning, toolCalls, finish: geminiFinish(candidate.finishReason, toolCalls.length > 0) };
  });
  const name = typeof response.modelVersion === 'string' ? response.modelVersion : model;
  return completionAnswer(id, name, choices, geminiUsage(response.usageMetadata));
}

/** Translates an `alt=sse` stream's events into chunk payloads. Throws {@link BadResponse}. */
export async function* geminiChunks(events: AsyncIterable<{ data: string }>, model = ''): AsyncGenerator<string> {
  let out: ChunkWriter | undefined;
  const open = new Map<number, { calls: number }>();
  const finished = new Set<number>();
  let toolCount = 0;
  let usage: ChatUsage | undefined;
  for await (const event of events) {
    if (event.data === '' || event.data === '[DONE]') continue;
    const response = parseJson(event.data, 'an SSE event');
    const inband = googleError(response);
    if (inband) throw new BadResponse(inband.message, inband);
    usage = geminiUsage(response.usageMetadata) ?? usage;
    const candidates = Array.isArray(response.candidates) ? (response.candidates as Json[]) : [];
    if (candidates.length === 0) {
      const block = blocked(response);
      if (block) throw block;
      continue;
    }
    out ??= new ChunkWriter(
      typeof response.responseId === 'string' ? response.responseId : 'gemini',
      typeof response.modelVersion === 'string' ? response.modelVersion : model,
    );
    for (const candidate of candidates) {
      const index = typeof candidate.index === 'number' ? candidate.index : 0;
      let state = open.get(index);
      if (!state) {
        state = { calls: 0 };
        open.set(index, state);
        yield out.role(index);
      }
      for (const part of ((candidate.content as Json | undefined)?.parts ?? []) as Json[]) {
        if (typeof part?.text === 'string' && part.text !== '') {
          yield out.delta(part.thought === true ? { reasoning_content: part.text } : { content: part.text }, null, index);
        }
        const call = part?.functionCall as Json | undefined;
        if (call && typeof call.name === 'string') {
          // Gemini sends each call whole: one chunk with its id, name and arguments.
          yield out.toolStart(state.calls++, callId(call, out.id, toolCount++), call.name, JSON.stringify(call.args ?? {}), index);
        }
      }
      if (candidate.finishReason !== undefined && !finished.has(index)) {
        finished.add(index);
        yield out.delta({}, geminiFinish(candidate.finishReason, state.calls > 0), index);
      }
    }
  }
  // The stream has no end marker: it is whole once every candidate has finished.
  if (!out || finished.size === 0 || finished.size < open.size) return;
  if (usage) yield out.usage(usage);
  yield '[DONE]';
}
