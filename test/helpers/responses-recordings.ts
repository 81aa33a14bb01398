/**
 * The recorded Responses API traffic (test/fixtures/responses-streams, Apache-2.0, from
 * the Vercel AI SDK) and, for the translated path, the same answers as a chat target
 * would have given them: every text, reasoning-summary and function-call-argument delta
 * becomes one chat chunk carrying the same fragment, the terminal event a finish chunk
 * and a usage chunk with the same counts. Hosted tool items have no chat form and are
 * left out (a chat target cannot run them). A stream that failed becomes a chat stream
 * that fails with the recorded error.
 */
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import type { EventSourceMessage } from 'eventsource-parser';
import { UpstreamRejectedError } from '../../src/errors/index.js';
import { readEvents } from '../../src/stream/sse.js';

const dir = new URL('../fixtures/responses-streams/', import.meta.url);

/** What a Responses client must end up with (`*.expected.json`). */
export interface ResponsesExpected {
  status: 'completed' | 'incomplete' | 'failed';
  output_text: string;
  function_calls: { call_id: string; name: string; arguments: string }[];
  reasoning_items: number;
  hosted_tool_calls: string[];
  usage: { input_tokens: number; output_tokens: number } | null;
  error: { code: string; message: string } | null;
}

export interface ResponsesRecording {
  file: string;
  kind: 'responses-sse' | 'responses-json';
  bytes: Buffer;
  expected: ResponsesExpected;
}

export function responsesRecordings(): ResponsesRecording[] {
  const manifest: { file: string; kind: ResponsesRecording['kind']; expected: string }[] = JSON.parse(readFileSync(new URL('manifest.json', dir), 'utf8'));
  return manifest.map((e) => ({
    file: e.file,
    kind: e.kind,
    bytes: readFileSync(new URL(e.file, dir)),
    expected: JSON.parse(readFileSync(new URL(e.expected, dir), 'utf8')),
  }));
}

/** Every SSE event of a recording. */
export async function eventsOf(bytes: Buffer): Promise<EventSourceMessage[]> {
  const out: EventSourceMessage[] = [];
  for await (const event of readEvents(Readable.from([bytes]), 16 * 1024 * 1024)) out.push(event);
  return out;
}

type Json = Record<string, any>;

function chunk(model: string, delta: Json, finish: string | null = null): string {
  return JSON.stringify({ id: 'chatcmpl-recorded', object: 'chat.completion.chunk', created: 0, model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });
}

function chatUsage(usage: Json) {
  return {
    prompt_tokens: usage.input_tokens,
    completion_tokens: usage.output_tokens,
    total_tokens: usage.total_tokens,
    prompt_tokens_details: { cached_tokens: usage.input_tokens_details?.cached_tokens ?? 0 },
    completion_tokens_details: { reasoning_tokens: usage.output_tokens_details?.reasoning_tokens ?? 0 },
  };
}

/** A recorded Responses stream as the chat payloads a chat target would have streamed. */
export async function* responsesAsChat(bytes: Buffer): AsyncGenerator<string> {
  let model = '';
  const calls = new Map<string, number>();
  for (const event of await eventsOf(bytes)) {
    const data: Json = JSON.parse(event.data);
    switch (data.type) {
      case 'response.created':
        model = data.response.model;
        yield chunk(model, { role: 'assistant', content: '' });
        break;
      case 'response.output_text.delta':
        yield chunk(model, { content: data.delta });
        break;
      case 'response.reasoning_summary_text.delta':
        yield chunk(model, { reasoning_content: data.delta });
        break;
      case 'response.output_item.added':
        if (data.item.type === 'function_call') {
          const index = calls.size;
          calls.set(data.item.id, index);
          yield chunk(model, { tool_calls: [{ index, id: data.item.call_id, type: 'function', function: { name: data.item.name, arguments: '' } }] });
        }
        break;
      case 'response.function_call_arguments.delta':
        yield chunk(model, { tool_calls: [{ index: calls.get(data.item_id), function: { arguments: data.delta } }] });
        break;
      case 'response.completed':
      case 'response.incomplete': {
        const finish = data.type === 'response.incomplete' ? 'length' : calls.size > 0 ? 'tool_calls' : 'stop';
        yield chunk(model, {}, finish);
        yield JSON.stringify({ id: 'chatcmpl-recorded', object: 'chat.completion.chunk', created: 0, model, choices: [], usage: chatUsage(data.response.usage) });
        yield '[DONE]';
        return;
      }
      case 'error':
        throw new UpstreamRejectedError(429, data.error.message, { type: data.error.type, code: data.error.code, attempts: [] });
      default:
        break;
    }
  }
}

/** A recorded Response body as the `chat.completion` a chat target would have answered. */
export function responseAsChat(body: Json): Json {
  let text = '';
  let reasoning = '';
  const toolCalls: Json[] = [];
  for (const item of body.output as Json[]) {
    if (item.type === 'message') for (const part of item.content) if (part.type === 'output_text') text += part.text;
    if (item.type === 'reasoning') for (const s of item.summary ?? []) reasoning += s.text;
    if (item.type === 'function_call') toolCalls.push({ id: item.call_id, type: 'function', function: { name: item.name, arguments: item.arguments } });
  }
  const message: Json = { role: 'assistant', content: text === '' ? null : text };
  if (reasoning !== '') message.reasoning_content = reasoning;
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  return {
    id: 'chatcmpl-recorded',
    object: 'chat.completion',
    created: 0,
    model: body.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: toolCalls.length > 0 ? 'tool_calls' : 'stop' }],
    usage: chatUsage(body.usage),
  };
}
