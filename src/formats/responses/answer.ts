/**
 * @module
 * A Response object made from the engine's answer: the skeleton that echoes the request
 * (shared with the stream, whose `response.created` carries it), the output items of a
 * whole `chat.completion`, and the usage and status mappings both paths use.
 */
import { newId, readCompletion, type ChatUsage } from '../chat-output.js';
import type { AnswerContext } from '../format.js';
import type { ResponseItem, ResponseObject, ResponsesRequest, ResponseUsage } from './types.js';

/** Responses usage for chat usage. */
export function responseUsage(u: ChatUsage): ResponseUsage {
  return {
    input_tokens: u.prompt_tokens,
    input_tokens_details: { cached_tokens: u.cached_tokens },
    output_tokens: u.completion_tokens,
    output_tokens_details: { reasoning_tokens: u.reasoning_tokens },
    total_tokens: u.total_tokens,
  };
}

/** Why a Response is incomplete, for a chat `finish_reason`, or undefined when it completed. */
export function incompleteReason(finish: string | undefined): string | undefined {
  if (finish === 'length') return 'max_output_tokens';
  if (finish === 'content_filter') return 'content_filter';
  return undefined;
}

/** Seconds since the epoch. */
export function seconds(now: () => number): number {
  return Math.floor(now() / 1000);
}

/** An in-progress Response echoing `ctx.request`, as OpenAI echoes it. */
export function responseSkeleton(ctx: AnswerContext<ResponsesRequest>, id: string, model: string): ResponseObject {
  const r = ctx.request;
  return {
    id,
    object: 'response',
    created_at: seconds(ctx.now ?? Date.now),
    status: 'in_progress',
    background: false,
    error: null,
    incomplete_details: null,
    instructions: r.instructions ?? null,
    max_output_tokens: r.max_output_tokens ?? null,
    max_tool_calls: null,
    model: model || ctx.model,
    output: [],
    parallel_tool_calls: r.parallel_tool_calls ?? true,
    previous_response_id: r.previous_response_id ?? null,
    reasoning: { effort: r.reasoning?.effort ?? null, summary: r.reasoning?.summary ?? null },
    store: r.store ?? true,
    temperature: r.temperature ?? 1,
    text: { format: { type: 'text' }, ...r.text },
    tool_choice: r.tool_choice ?? 'auto',
    tools: r.tools ?? [],
    top_p: r.top_p ?? 1,
    truncation: 'disabled',
    usage: null,
    user: r.user ?? null,
    metadata: r.metadata ?? {},
  };
}

/** Marks `response` finished: status, `completed_at`, `incomplete_details`, usage. */
export function finish(response: ResponseObject, finishReason: string | undefined, usage: ChatUsage | undefined, now: () => number): void {
  const reason = incompleteReason(finishReason);
  response.status = reason ? 'incomplete' : 'completed';
  if (reason) response.incomplete_details = { reason };
  else response.completed_at = seconds(now);
  response.usage = usage ? responseUsage(usage) : null;
}

/** An `output_text` content part. */
export function textPart(text: string) {
  return { type: 'output_text', annotations: [], logprobs: [], text };
}

/** A `chat.completion` as a Response object. */
export function responseFromChat(completion: unknown, ctx: AnswerContext<ResponsesRequest>): ResponseObject {
  const answer = readCompletion(completion);
  const response = responseSkeleton(ctx, ctx.id ?? newId('resp'), answer.model);
  const reason = incompleteReason(answer.finish);
  const output: ResponseItem[] = [];
  if (answer.reasoning !== '') {
    output.push({ id: newId('rs'), type: 'reasoning', summary: [{ type: 'summary_text', text: answer.reasoning }] });
  }
  if (answer.text !== '' || answer.refusal !== '') {
    const content: unknown[] = [];
    if (answer.text !== '') content.push(textPart(answer.text));
    if (answer.refusal !== '') content.push({ type: 'refusal', refusal: answer.refusal });
    output.push({ id: newId('msg'), type: 'message', status: reason ? 'incomplete' : 'completed', role: 'assistant', content });
  }
  for (const call of answer.toolCalls) {
    output.push({ id: newId('fc'), type: 'function_call', status: 'completed', call_id: call.id, name: call.name, arguments: call.arguments });
  }
  response.output = output;
  finish(response, answer.finish, answer.usage, ctx.now ?? Date.now);
  return response;
}
