/**
 * @module
 * A Responses request as the engine's chat request, for a target that does not speak
 * Responses. What a chat target cannot carry (a hosted tool, a `file_url`, an unresolved
 * `item_reference`, background mode, ...) throws {@link UnsupportedFeature}, so the
 * engine tries another target; what only tunes or labels the request at OpenAI
 * (`truncation`, `include`, `store`, `metadata`, `reasoning.summary`) is dropped.
 * `docs/formats.md` lists every field.
 */
import type { ChatBody } from '../../providers/provider.js';
import { isObject, type Json } from '../check.js';
import { UnsupportedFeature } from '../unsupported.js';
import type { ResponseItem, ResponsesRequest } from './types.js';

type ChatMessage = Json & { role: string };

/** Fields that change what the client gets and that no chat target can honour. */
const REFUSED: Record<string, string> = {
  background: 'Background responses are served only by OpenAI.',
  conversation: 'Conversations are stored only by OpenAI; use `previous_response_id`.',
  prompt: 'Stored prompt templates live only at OpenAI.',
};

function unsupported(field: string, reason: string): never {
  throw new UnsupportedFeature(field, reason);
}

/** A content part as a chat content part. */
function part(value: Json, path: string): Json {
  switch (value.type) {
    case 'input_text':
    case 'output_text':
      return { type: 'text', text: value.text };
    case 'refusal':
      return { type: 'text', text: value.refusal };
    case 'input_image': {
      if (typeof value.image_url !== 'string') unsupported(`${path}.file_id`, 'Images by `file_id` live in OpenAI file storage.');
      const image: Json = { url: value.image_url };
      if (typeof value.detail === 'string') image.detail = value.detail;
      return { type: 'image_url', image_url: image };
    }
    case 'input_file': {
      if (typeof value.file_url === 'string') unsupported(`${path}.file_url`, 'Files by URL are fetched only by OpenAI.');
      const file: Json = {};
      if (typeof value.file_id === 'string') file.file_id = value.file_id;
      if (typeof value.file_data === 'string') file.file_data = value.file_data;
      if (typeof value.filename === 'string') file.filename = value.filename;
      return { type: 'file', file };
    }
    default:
      unsupported(path, `Content parts of type \`${String(value.type)}\` are not translated for chat targets.`);
  }
}

/** A message's content: a string stays a string; parts become chat parts. */
function content(value: unknown, path: string, textOnly: boolean): string | Json[] {
  if (typeof value === 'string') return value;
  const parts = (value as Json[]).map((p, j) => part(p, `${path}[${j}]`));
  // Assistant and system turns take text only; joined, they read the same to any target.
  if (textOnly) return parts.map((p) => (p.type === 'text' ? String(p.text) : unsupported(path, 'Only text is translated in this role.'))).join('');
  return parts;
}

function toolOutput(value: unknown, path: string): string | Json[] {
  if (typeof value === 'string') return value;
  const parts = content(value, path, false) as Json[];
  // Chat tool messages take text parts only.
  return parts.every((p) => p.type === 'text') ? parts : unsupported(path, 'Tool outputs with images or files are not translated for chat targets.');
}

/** The input items as chat messages, system first. */
function messages(request: ResponsesRequest): ChatMessage[] {
  const out: ChatMessage[] = [];
  if (typeof request.instructions === 'string' && request.instructions !== '') out.push({ role: 'system', content: request.instructions });
  if (typeof request.input === 'string') {
    out.push({ role: 'user', content: request.input });
    return out;
  }
  request.input.forEach((item: ResponseItem, i) => {
    const path = `input[${i}]`;
    const type = item.type ?? (item.role !== undefined ? 'message' : undefined);
    switch (type) {
      case 'message': {
        const role = item.role === 'developer' ? 'system' : String(item.role);
        out.push({ role, content: content(item.content, `${path}.content`, role !== 'user') });
        break;
      }
      case 'function_call': {
        const call = { id: item.call_id, type: 'function', function: { name: item.name, arguments: item.arguments } };
        // Calls of one turn go on one assistant message, after its text, as chat expects.
        const last = out[out.length - 1];
        if (last?.role === 'assistant') last.tool_calls = [...((last.tool_calls as Json[] | undefined) ?? []), call];
        else out.push({ role: 'assistant', content: null, tool_calls: [call] });
        break;
      }
      case 'function_call_output':
        out.push({ role: 'tool', tool_call_id: item.call_id, content: toolOutput(item.output, `${path}.output`) });
        break;
      case 'reasoning':
        // Reasoning is the model's own; OpenAI's is encrypted for OpenAI. Chat targets answer without it.
        break;
      case 'item_reference':
        unsupported(path, 'An `item_reference` needs the stored item; the relay resolves it only when it keeps responses.');
        break;
      default:
        unsupported(path, `Input items of type \`${String(type)}\` come from tools only OpenAI runs.`);
    }
  });
  return out;
}

function tools(request: ResponsesRequest): Json[] | undefined {
  if (!Array.isArray(request.tools) || request.tools.length === 0) return undefined;
  return request.tools.map((tool, i) => {
    if (tool.type !== 'function') unsupported(`tools[${i}]`, `The tool \`${tool.type}\` is hosted by OpenAI; chat targets run only function tools.`);
    const fn: Json = { name: tool.name };
    if (typeof tool.description === 'string') fn.description = tool.description;
    fn.parameters = isObject(tool.parameters) ? tool.parameters : { type: 'object', properties: {} };
    if (typeof tool.strict === 'boolean') fn.strict = tool.strict;
    return { type: 'function', function: fn };
  });
}

function toolChoice(choice: ResponsesRequest['tool_choice']): unknown {
  if (choice === undefined || choice === null || typeof choice === 'string') return choice ?? undefined;
  if (choice.type === 'function') return { type: 'function', function: { name: choice.name } };
  unsupported('tool_choice', `A \`tool_choice\` of type \`${choice.type}\` is not translated for chat targets.`);
}

function responseFormat(request: ResponsesRequest): Json | undefined {
  const format = request.text?.format;
  if (!format || format.type === 'text') return undefined;
  if (format.type === 'json_object') return { type: 'json_object' };
  const schema: Json = { name: format.name, schema: format.schema };
  if (typeof format.description === 'string') schema.description = format.description;
  if (typeof format.strict === 'boolean') schema.strict = format.strict;
  return { type: 'json_schema', json_schema: schema };
}

/**
 * The chat request for `request`, whose `input` must already hold the whole history
 * (see `continueConversation`). Throws {@link UnsupportedFeature}.
 */
export function responsesToChat(request: ResponsesRequest): ChatBody {
  for (const [field, reason] of Object.entries(REFUSED)) {
    if (request[field] !== undefined && request[field] !== null && request[field] !== false) unsupported(field, reason);
  }
  if (typeof request.top_logprobs === 'number' && request.top_logprobs > 0) unsupported('top_logprobs', 'Log probabilities are not translated.');
  const body: ChatBody = { model: request.model, messages: messages(request) };
  const fnTools = tools(request);
  if (fnTools) {
    body.tools = fnTools;
    const choice = toolChoice(request.tool_choice);
    if (choice !== undefined) body.tool_choice = choice;
    if (typeof request.parallel_tool_calls === 'boolean') body.parallel_tool_calls = request.parallel_tool_calls;
  }
  const format = responseFormat(request);
  if (format) body.response_format = format;
  // `max_tokens` rather than `max_completion_tokens`: every OpenAI-compatible server knows it.
  if (typeof request.max_output_tokens === 'number') body.max_tokens = request.max_output_tokens;
  if (typeof request.temperature === 'number') body.temperature = request.temperature;
  if (typeof request.top_p === 'number') body.top_p = request.top_p;
  const effort = request.reasoning?.effort;
  if (typeof effort === 'string') body.reasoning_effort = effort;
  if (typeof request.user === 'string') body.user = request.user;
  if (request.stream === true) {
    body.stream = true;
    // The Response's usage comes from the last chunk.
    body.stream_options = { include_usage: true };
  }
  return body;
}
