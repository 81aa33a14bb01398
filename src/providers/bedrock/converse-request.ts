/**
 * @module
 * An OpenAI chat completion request as a Bedrock Converse request: system messages
 * become `system`, user/assistant/tool turns become `messages` with content blocks
 * (`text`, `image`, `toolUse`, `toolResult`), sampling goes to `inferenceConfig` and tools
 * to `toolConfig`. Fields that would change the answer and have no Converse equivalent
 * are refused with a 400 naming them (see `unsupported.ts`).
 */
import type { ChatBody } from '../provider.js';
import {
  functionTools,
  imageOf,
  isObject,
  maxTokensOf,
  present,
  refuse,
  refuseUntranslatable,
  stopsOf,
  textParts,
  toolArguments,
  toolChoiceOf,
} from '../unsupported.js';

type Json = Record<string, unknown>;
const WHO = 'Bedrock Converse';

interface Message {
  role: 'user' | 'assistant';
  content: Json[];
}

const IMAGE_FORMATS: Record<string, string> = { 'image/png': 'png', 'image/jpeg': 'jpeg', 'image/jpg': 'jpeg', 'image/gif': 'gif', 'image/webp': 'webp' };

function userContent(content: unknown, param: string): Json[] {
  if (!Array.isArray(content)) return textParts(content, WHO, param).map((text) => ({ text }));
  return content.flatMap((part: unknown, j): Json[] => {
    const at = `${param}[${j}]`;
    if (isObject(part) && part.type === 'image_url') {
      const image = imageOf(part, WHO, at);
      if ('url' in image) refuse(WHO, 'Images must be base64 `data:` URLs (Converse takes bytes, not links).', at);
      const format = IMAGE_FORMATS[image.mediaType.toLowerCase()];
      if (!format) refuse(WHO, `Images of type ${image.mediaType} are not supported (png, jpeg, gif, webp).`, at);
      return [{ image: { format, source: { bytes: image.data } } }];
    }
    return textParts([part], WHO, at).map((text) => ({ text }));
  });
}

/** Converse's messages and system blocks for the chat `messages`. */
function convertMessages(list: unknown[]): { system: Json[]; messages: Message[]; usesTools: boolean } {
  const system: Json[] = [];
  const messages: Message[] = [];
  let usesTools = false;
  // Converse wants user and assistant turns to alternate: consecutive ones merge.
  const push = (role: Message['role'], blocks: Json[]) => {
    if (blocks.length === 0) return;
    const last = messages[messages.length - 1];
    if (last?.role === role) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };
  list.forEach((value, i) => {
    const m = value as Json;
    const at = `messages[${i}]`;
    switch (m.role) {
      case 'system':
      case 'developer':
        system.push(...textParts(m.content, WHO, `${at}.content`).map((text) => ({ text })));
        break;
      case 'user':
        push('user', userContent(m.content, `${at}.content`));
        break;
      case 'assistant': {
        if (present(m.function_call)) refuse(WHO, 'The deprecated `function_call` is not translated; use `tool_calls`.', `${at}.function_call`);
        const calls = m.tool_calls ?? [];
        if (!Array.isArray(calls)) refuse(WHO, '`tool_calls` must be an array.', `${at}.tool_calls`);
        const blocks: Json[] = textParts(m.content, WHO, `${at}.content`).map((text) => ({ text }));
        for (const [j, call] of calls.entries()) {
          const { id, name, input } = toolArguments(call, WHO, `${at}.tool_calls[${j}]`);
          blocks.push({ toolUse: { toolUseId: id, name, input } });
          usesTools = true;
        }
        push('assistant', blocks);
        break;
      }
      case 'tool': {
        if (typeof m.tool_call_id !== 'string') refuse(WHO, 'A tool message needs a string `tool_call_id`.', `${at}.tool_call_id`);
        const text = textParts(m.content, WHO, `${at}.content`).join('');
        push('user', [{ toolResult: { toolUseId: m.tool_call_id, content: [{ text }] } }]);
        usesTools = true;
        break;
      }
      default:
        refuse(WHO, `Messages with role ${JSON.stringify(m.role)} are not translated.`, `${at}.role`);
    }
  });
  return { system, messages, usesTools };
}

/** The Converse body for `body` (the model goes in the URL). Throws `InvalidRequestError`. */
export function toConverseRequest(body: ChatBody): Json {
  refuseUntranslatable(body, WHO);
  const { system, messages, usesTools } = convertMessages(body.messages);
  const out: Json = { messages };
  if (system.length > 0) out.system = system;
  const inference: Json = {};
  const maxTokens = maxTokensOf(body);
  if (maxTokens !== undefined) inference.maxTokens = maxTokens;
  if (typeof body.temperature === 'number') inference.temperature = body.temperature;
  if (typeof body.top_p === 'number') inference.topP = body.top_p;
  const stops = stopsOf(body);
  if (stops) inference.stopSequences = stops;
  if (Object.keys(inference).length > 0) out.inferenceConfig = inference;

  const hasTools = Array.isArray(body.tools) ? body.tools.length > 0 : present(body.tools);
  const choice = toolChoiceOf(body.tool_choice, WHO);
  if (hasTools && choice?.mode !== 'none') {
    const tools = functionTools(body.tools, WHO).map((t) => ({
      toolSpec: { name: t.name, ...(t.description === undefined ? {} : { description: t.description }), inputSchema: { json: t.parameters } },
    }));
    const toolConfig: Json = { tools };
    if (choice?.mode === 'any') toolConfig.toolChoice = { any: {} };
    else if (choice?.mode === 'tool') toolConfig.toolChoice = { tool: { name: choice.name } };
    else if (choice?.mode === 'auto') toolConfig.toolChoice = { auto: {} };
    out.toolConfig = toolConfig;
  } else if (hasTools && usesTools) {
    // Converse has no "none": it needs the tools declared once the history holds tool blocks.
    refuse(WHO, '`tool_choice: "none"` cannot be honoured once the conversation holds tool calls.', 'tool_choice');
  } else if (usesTools) {
    refuse(WHO, 'A conversation with tool calls needs `tools` declared.', 'tools');
  }
  return out;
}
