/**
 * @module
 * A Messages request as the engine's chat request, for a target that is not Anthropic.
 * The inverse of `providers/anthropic-request.ts`: `system` becomes a system message,
 * `tool_use` blocks become an assistant's `tool_calls`, `tool_result` blocks become tool
 * messages (placed before the rest of their user turn, as chat wants them right after
 * the calls). What chat cannot carry throws {@link UnsupportedFeature}: server tools and
 * their blocks, documents by URL, images inside tool results. `thinking` and
 * `redacted_thinking` blocks are dropped: their signatures are Anthropic's, and a chat
 * target thinks (or not) on its own. `docs/formats.md` lists every field.
 */
import type { ChatBody } from '../../providers/provider.js';
import type { Json } from '../check.js';
import { UnsupportedFeature } from '../unsupported.js';
import type { ContentBlock, MessagesRequest } from './types.js';

type ChatMessage = Json & { role: string };

function unsupported(field: string, reason: string): never {
  throw new UnsupportedFeature(field, reason);
}

function dataUrl(source: Json): string {
  return `data:${String(source.media_type)};base64,${String(source.data)}`;
}

/** A user content block as a chat content part. */
function userPart(block: ContentBlock, path: string): Json | undefined {
  switch (block.type) {
    case 'text':
      return { type: 'text', text: block.text };
    case 'image': {
      const source = block.source as Json;
      if (source.type === 'base64') return { type: 'image_url', image_url: { url: dataUrl(source) } };
      if (source.type === 'url') return { type: 'image_url', image_url: { url: source.url } };
      unsupported(`${path}.source`, `Images from a \`${String(source.type)}\` source live only at Anthropic.`);
    }
    case 'document': {
      const source = block.source as Json;
      if (source.type === 'text') return { type: 'text', text: source.data };
      if (source.type === 'base64') {
        const file: Json = { file_data: dataUrl(source) };
        if (typeof block.title === 'string') file.filename = block.title;
        return { type: 'file', file };
      }
      unsupported(`${path}.source`, `Documents from a \`${String(source.type)}\` source are read only by Anthropic.`);
    }
    case 'thinking':
    case 'redacted_thinking':
      return undefined;
    default:
      unsupported(path, `Content blocks of type \`${block.type}\` are not translated for chat targets.`);
  }
}

function toolResultContent(content: unknown, path: string): string | Json[] {
  if (content === undefined || content === null) return '';
  if (typeof content === 'string') return content;
  return (content as ContentBlock[]).map((block, j) =>
    block.type === 'text' ? { type: 'text', text: block.text } : unsupported(`${path}[${j}]`, 'Tool results carry only text to chat targets.'),
  );
}

function userTurn(content: string | ContentBlock[], path: string, out: ChatMessage[]): void {
  if (typeof content === 'string') {
    out.push({ role: 'user', content });
    return;
  }
  const parts: Json[] = [];
  content.forEach((block, j) => {
    const at = `${path}[${j}]`;
    if (block.type === 'tool_result') {
      // Chat has no error flag on a tool message; the text says what happened.
      out.push({ role: 'tool', tool_call_id: block.tool_use_id, content: toolResultContent(block.content, `${at}.content`) });
      return;
    }
    const part = userPart(block, at);
    if (part) parts.push(part);
  });
  if (parts.length > 0) out.push({ role: 'user', content: parts.every((p) => p.type === 'text') ? parts.map((p) => p.text).join('\n') : parts });
}

function assistantTurn(content: string | ContentBlock[], path: string, out: ChatMessage[]): void {
  if (typeof content === 'string') {
    out.push({ role: 'assistant', content });
    return;
  }
  let text = '';
  const calls: Json[] = [];
  content.forEach((block, j) => {
    if (block.type === 'text') text += String(block.text);
    else if (block.type === 'tool_use') calls.push({ id: block.id, type: 'function', function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) } });
    else if (block.type !== 'thinking' && block.type !== 'redacted_thinking') {
      unsupported(`${path}[${j}]`, `Content blocks of type \`${block.type}\` come from tools only Anthropic runs.`);
    }
  });
  if (text === '' && calls.length === 0) return;
  const message: ChatMessage = { role: 'assistant', content: text === '' ? null : text };
  if (calls.length > 0) message.tool_calls = calls;
  out.push(message);
}

function systemText(system: MessagesRequest['system']): string {
  if (system === undefined || system === null) return '';
  return typeof system === 'string' ? system : system.map((b) => String(b.text)).join('\n');
}

function tools(request: MessagesRequest): Json[] {
  return (request.tools ?? []).map((tool, i) => {
    if (tool.type !== undefined && tool.type !== null && tool.type !== 'custom') {
      unsupported(`tools[${i}]`, `The server tool \`${tool.type}\` runs only at Anthropic; chat targets run only function tools.`);
    }
    const fn: Json = { name: tool.name, parameters: tool.input_schema };
    if (typeof tool.description === 'string') fn.description = tool.description;
    return { type: 'function', function: fn };
  });
}

function toolChoice(choice: NonNullable<MessagesRequest['tool_choice']>): unknown {
  switch (choice.type) {
    case 'any':
      return 'required';
    case 'tool':
      return { type: 'function', function: { name: choice.name } };
    default:
      return choice.type;
  }
}

/** The chat request for `request`. Throws {@link UnsupportedFeature}. */
export function messagesToChat(request: MessagesRequest): ChatBody {
  if (request.container !== undefined && request.container !== null) unsupported('container', 'Code execution containers live only at Anthropic.');
  if (Array.isArray(request.mcp_servers) && request.mcp_servers.length > 0) unsupported('mcp_servers', 'MCP servers are called only by Anthropic.');
  const messages: ChatMessage[] = [];
  const system = systemText(request.system);
  if (system !== '') messages.push({ role: 'system', content: system });
  request.messages.forEach((m, i) => {
    if (m.role === 'user') userTurn(m.content, `messages[${i}].content`, messages);
    else assistantTurn(m.content, `messages[${i}].content`, messages);
  });
  // Anthropic's limit is required; chat's `max_tokens` is understood by every OpenAI-compatible server.
  const body: ChatBody = { model: request.model, messages, max_tokens: request.max_tokens };
  const fnTools = tools(request);
  if (fnTools.length > 0) {
    body.tools = fnTools;
    if (request.tool_choice) {
      body.tool_choice = toolChoice(request.tool_choice);
      if (request.tool_choice.disable_parallel_tool_use === true) body.parallel_tool_calls = false;
    }
  }
  if (Array.isArray(request.stop_sequences) && request.stop_sequences.length > 0) body.stop = request.stop_sequences;
  if (typeof request.temperature === 'number') body.temperature = request.temperature;
  if (typeof request.top_p === 'number') body.top_p = request.top_p;
  const user = request.metadata?.user_id;
  if (typeof user === 'string' && user !== '') body.user = user;
  if (request.stream === true) {
    body.stream = true;
    body.stream_options = { include_usage: true };
  }
  return body;
}
