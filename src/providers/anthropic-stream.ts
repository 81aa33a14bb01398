/**
 * @module
 * An Anthropic Messages event stream as OpenAI `chat.completion.chunk` payloads:
 * `message_start` gives the role chunk, text and thinking deltas give content and
 * `reasoning_content` chunks, each `tool_use` block gives one tool call (numbered from
 * 0, whatever its block index), `message_delta` gives the finish chunk, and
 * `message_stop` the usage chunk (`choices: []`) and `[DONE]`. An `error` event throws,
 * so before the commit point the engine fails over as for any upstream error.
 */
import { readEvents } from '../stream/sse.js';
import { errorOf, finishReason, mergeUsage, openaiUsage, parseJson, type AnthropicUsage } from './anthropic-response.js';
import { BadResponse } from './provider.js';

type Json = Record<string, unknown>;

/** What the stream remembers of an open `tool_use` block. */
interface ToolBlock {
  /** OpenAI `tool_calls[].index`. */
  index: number;
  /** The block's start `input`, sent when no argument fragment comes. */
  input: unknown;
  /** Whether any non-empty `partial_json` was sent. */
  sentArguments: boolean;
}

/** Translates the SSE `body` of an Anthropic stream. Throws {@link BadResponse}. */
export function anthropicChunks(body: AsyncIterable<Uint8Array>, maxEventBytes: number): AsyncGenerator<string> {
  return anthropicEventChunks(readEvents(body, maxEventBytes));
}

/**
 * Translates Anthropic stream events, whatever carried them: SSE from Anthropic or
 * Vertex, or the `chunk` messages of Bedrock's event stream. Throws {@link BadResponse}.
 */
export async function* anthropicEventChunks(events: AsyncIterable<{ event?: string; data: string }>): AsyncGenerator<string> {
  let id = '';
  let model = '';
  const created = Math.floor(Date.now() / 1000);
  const usage: AnthropicUsage = {};
  const tools = new Map<number, ToolBlock>();
  let toolCount = 0;

  const chunk = (choices: unknown[], extra?: Json) => JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices, ...extra });
  const delta = (d: Json, finish: string | null = null) => chunk([{ index: 0, delta: d, logprobs: null, finish_reason: finish }]);
  const toolDelta = (index: number, fields: Json) => delta({ tool_calls: [{ index, ...fields }] });
  // A tool without arguments streams only `""` fragments; its start input (`{}`) stands
  // in, so the client's concatenated arguments are valid JSON.
  const closeTool = (blockIndex: number): string | undefined => {
    const tool = tools.get(blockIndex);
    if (!tool) return undefined;
    tools.delete(blockIndex);
    return tool.sentArguments ? undefined : toolDelta(tool.index, { function: { arguments: JSON.stringify(tool.input ?? {}) } });
  };

  for await (const event of events) {
    if (event.data === '') continue;
    const data = parseJson(event.data, 'an SSE event');
    switch (data.type ?? event.event) {
      case 'message_start': {
        const message = (data.message ?? {}) as Json;
        if (typeof message.id === 'string') id = message.id;
        if (typeof message.model === 'string') model = message.model;
        mergeUsage(usage, message.usage);
        yield delta({ role: 'assistant', content: '' });
        break;
      }
      case 'content_block_start': {
        const block = (data.content_block ?? {}) as Json;
        if (block.type === 'text' && typeof block.text === 'string' && block.text !== '') yield delta({ content: block.text });
        else if (block.type === 'thinking' && typeof block.thinking === 'string' && block.thinking !== '') yield delta({ reasoning_content: block.thinking });
        else if (block.type === 'tool_use') {
          const index = toolCount++;
          tools.set(Number(data.index), { index, input: block.input, sentArguments: false });
          yield toolDelta(index, { id: block.id, type: 'function', function: { name: block.name, arguments: '' } });
        }
        break;
      }
      case 'content_block_delta': {
        const d = (data.delta ?? {}) as Json;
        if (d.type === 'text_delta' && typeof d.text === 'string' && d.text !== '') yield delta({ content: d.text });
        else if (d.type === 'thinking_delta' && typeof d.thinking === 'string' && d.thinking !== '') yield delta({ reasoning_content: d.thinking });
        else if (d.type === 'input_json_delta' && typeof d.partial_json === 'string' && d.partial_json !== '') {
          const tool = tools.get(Number(data.index));
          if (tool) {
            tool.sentArguments = true;
            yield toolDelta(tool.index, { function: { arguments: d.partial_json } });
          }
        }
        // signature_delta, citations_delta and later delta types: nothing to show.
        break;
      }
      case 'content_block_stop': {
        const closing = closeTool(Number(data.index));
        if (closing) yield closing;
        break;
      }
      case 'message_delta': {
        for (const blockIndex of [...tools.keys()]) {
          const closing = closeTool(blockIndex);
          if (closing) yield closing;
        }
        mergeUsage(usage, data.usage);
        const finish = finishReason(((data.delta ?? {}) as Json).stop_reason);
        if (finish) yield delta({}, finish);
        break;
      }
      case 'message_stop':
        yield chunk([], { usage: openaiUsage(usage) });
        yield '[DONE]';
        return;
      case 'error': {
        const error = errorOf(data) ?? { message: 'upstream sent an error event', type: 'error', code: 'error' };
        throw new BadResponse(error.message, error);
      }
      default:
        // ping, and event types Anthropic adds later (its versioning policy says to ignore them).
        break;
    }
  }
}
