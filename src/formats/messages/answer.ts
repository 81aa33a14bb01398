/**
 * @module
 * A `chat.completion` as an Anthropic message, and the mappings the stream shares: stop
 * reasons and usage. The inverse of `providers/anthropic-response.ts`, so a message that
 * goes Anthropic → chat → Messages comes back with the same text, calls, stop reason and
 * token counts.
 */
import { newId, readCompletion, type ChatUsage } from '../chat-output.js';
import type { AnswerContext } from '../format.js';
import type { ContentBlock, MessagesRequest, MessageUsage } from './types.js';

/** Anthropic `stop_reason` for a chat `finish_reason`. */
export function stopReason(finish: string | undefined): string {
  switch (finish) {
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default:
      // `stop` (chat does not say whether a stop sequence ended it) and reasons added later.
      return 'end_turn';
  }
}

/** Anthropic usage for chat usage: cached prompt tokens are reported apart, as Anthropic does. */
export function messageUsage(u: ChatUsage | undefined): MessageUsage {
  const cached = u?.cached_tokens ?? 0;
  return {
    input_tokens: Math.max(0, (u?.prompt_tokens ?? 0) - cached),
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: cached,
    output_tokens: u?.completion_tokens ?? 0,
  };
}

/** Whether the client asked for thinking, and so may be shown the target's reasoning as thinking blocks. */
export function wantsThinking(request: MessagesRequest): boolean {
  const type = request.thinking?.type;
  return type === 'enabled' || type === 'adaptive';
}

/** Parsed tool arguments; a model's malformed JSON is kept whole rather than lost. */
export function toolInput(args: string): Record<string, unknown> {
  if (args.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(args);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  return { arguments: args };
}

/** A `chat.completion` as a Messages API message. */
export function messageFromChat(completion: unknown, ctx: AnswerContext<MessagesRequest>) {
  const answer = readCompletion(completion);
  const content: ContentBlock[] = [];
  // Chat reasoning has no Anthropic signature: the block says so with an empty one.
  if (answer.reasoning !== '' && wantsThinking(ctx.request)) content.push({ type: 'thinking', thinking: answer.reasoning, signature: '' });
  const text = answer.text + answer.refusal;
  if (text !== '') content.push({ type: 'text', text });
  for (const call of answer.toolCalls) content.push({ type: 'tool_use', id: call.id, name: call.name, input: toolInput(call.arguments) });
  return {
    id: ctx.id ?? newId('msg'),
    type: 'message',
    role: 'assistant',
    model: answer.model || ctx.model,
    content,
    stop_reason: stopReason(answer.finish),
    stop_sequence: null,
    usage: messageUsage(answer.usage),
  };
}
