/**
 * @module
 * Converse answers in OpenAI's terms: a `ConverseResponse` as a `chat.completion`, and a
 * ConverseStream (`messageStart`, `contentBlockStart`/`Delta`/`Stop`, `messageStop`,
 * `metadata`, in either order at the end) as chunk payloads. Reasoning becomes
 * `reasoning_content`; `toolUse` blocks become tool calls numbered from 0.
 */
import { parseJson } from '../anthropic-response.js';
import { ChunkWriter, chatUsage, completionAnswer, newId, type ChatUsage, type ToolCall } from '../chat-output.js';
import { BadResponse, type Answer } from '../provider.js';
import { streamFailure } from './errors.js';
import type { StreamMessage } from './event-stream.js';

type Json = Record<string, unknown>;

/** OpenAI `finish_reason` for a Converse `stopReason`. */
export function converseFinish(stop: unknown): string {
  switch (stop) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'guardrail_intervened':
    case 'content_filtered':
      return 'content_filter';
    default:
      // end_turn, stop_sequence and reasons added later: the turn is over.
      return 'stop';
  }
}

/** OpenAI usage for Converse's: cache reads and writes are prompt tokens, as at OpenAI. */
export function converseUsage(u: unknown): ChatUsage | undefined {
  if (typeof u !== 'object' || u === null) return undefined;
  const n = (v: unknown) => (typeof v === 'number' ? v : 0);
  const usage = u as Json;
  const cached = n(usage.cacheReadInputTokens);
  return chatUsage(n(usage.inputTokens) + cached + n(usage.cacheWriteInputTokens), n(usage.outputTokens), cached);
}

/** A whole Converse response as a `chat.completion`. */
export function converseCompletion(raw: Buffer, model = ''): Answer {
  const response = parseJson(raw.toString('utf8'), 'a body');
  const message = ((response.output as Json | undefined)?.message ?? undefined) as Json | undefined;
  if (!message || !Array.isArray(message.content)) throw new BadResponse('upstream sent a Converse answer without output.message.content');
  let text = '';
  let reasoning = '';
  const toolCalls: ToolCall[] = [];
  for (const block of message.content as Json[]) {
    if (typeof block?.text === 'string') text += block.text;
    const thought = ((block?.reasoningContent as Json | undefined)?.reasoningText as Json | undefined)?.text;
    if (typeof thought === 'string') reasoning += thought;
    const tool = block?.toolUse as Json | undefined;
    if (tool) toolCalls.push({ id: String(tool.toolUseId ?? ''), name: String(tool.name ?? ''), arguments: JSON.stringify(tool.input ?? {}) });
  }
  return completionAnswer(newId(), model, [{ text, reasoning, toolCalls, finish: converseFinish(response.stopReason) }], converseUsage(response.usage));
}

/** An open `toolUse` block of the stream. */
interface OpenTool {
  index: number;
  sentArguments: boolean;
}

/** Translates ConverseStream messages into chunk payloads. Throws {@link BadResponse}. */
export async function* converseChunks(messages: AsyncIterable<StreamMessage>, model = ''): AsyncGenerator<string> {
  const out = new ChunkWriter(newId(), model);
  let started = false;
  let finished = false;
  let usage: ChatUsage | undefined;
  const tools = new Map<number, OpenTool>();
  let toolCount = 0;
  const closeTool = (block: number): string | undefined => {
    const tool = tools.get(block);
    if (!tool) return undefined;
    tools.delete(block);
    // A tool without arguments streams none: `{}` keeps the client's arguments valid JSON.
    return tool.sentArguments ? undefined : out.toolArguments(tool.index, '{}');
  };

  for await (const m of messages) {
    if (m.messageType !== 'event') throw streamFailure(m);
    const data = parseJson(m.payload, 'an event');
    if (!started) {
      started = true;
      yield out.role();
    }
    switch (m.type) {
      case 'contentBlockStart': {
        const tool = ((data.start as Json | undefined)?.toolUse ?? undefined) as Json | undefined;
        if (tool) {
          const index = toolCount++;
          tools.set(Number(data.contentBlockIndex), { index, sentArguments: false });
          yield out.toolStart(index, String(tool.toolUseId ?? ''), String(tool.name ?? ''));
        }
        break;
      }
      case 'contentBlockDelta': {
        const delta = (data.delta ?? {}) as Json;
        if (typeof delta.text === 'string' && delta.text !== '') yield out.delta({ content: delta.text });
        const thought = (delta.reasoningContent as Json | undefined)?.text;
        if (typeof thought === 'string' && thought !== '') yield out.delta({ reasoning_content: thought });
        const input = (delta.toolUse as Json | undefined)?.input;
        const tool = tools.get(Number(data.contentBlockIndex));
        if (tool && typeof input === 'string' && input !== '') {
          tool.sentArguments = true;
          yield out.toolArguments(tool.index, input);
        }
        break;
      }
      case 'contentBlockStop': {
        const closing = closeTool(Number(data.contentBlockIndex));
        if (closing) yield closing;
        break;
      }
      case 'messageStop':
        for (const block of [...tools.keys()]) {
          const closing = closeTool(block);
          if (closing) yield closing;
        }
        finished = true;
        yield out.delta({}, converseFinish(data.stopReason));
        break;
      case 'metadata':
        usage = converseUsage(data.usage) ?? usage;
        break;
      default:
        // messageStart (the role, already sent) and event types added later.
        break;
    }
  }
  // metadata may come before or after messageStop; the answer is whole once the stream ends.
  if (!finished) return;
  if (usage) yield out.usage(usage);
  yield '[DONE]';
}
