/**
 * @module
 * An OpenAI chat completion request as an Anthropic Messages request. A field that
 * would change what the client gets back and that Anthropic cannot honour (`n` > 1,
 * `logprobs`, a JSON `response_format`, ...) is rejected with a 400 naming it, because
 * a client that asked for three choices must not silently get one. A field that only
 * tunes sampling or bookkeeping (`seed`, the penalties, `store`, ...) is dropped. The
 * table "Anthropic targets: what is translated" in docs/providers.md lists every field.
 */
import { InvalidRequestError } from '../errors/index.js';
import { UnsupportedFeature } from '../formats/unsupported.js';
import type { ChatBody } from './provider.js';

type Json = Record<string, unknown>;
/** An Anthropic content block. */
type Block = Json & { type: string };
interface Message {
  role: 'user' | 'assistant';
  content: Block[];
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function present(value: unknown): boolean {
  return value !== undefined && value !== null;
}

function reject(problem: string, param: string): never {
  throw new InvalidRequestError(`${problem} Anthropic targets cannot serve this request.`, param);
}

/** A feature Anthropic cannot carry: another target of the chain may (see `formats/unsupported.ts`). */
function unsupported(problem: string, param: string): never {
  throw new UnsupportedFeature(param, `${problem} Anthropic targets cannot serve this request.`);
}

/** Rejects the fields whose loss a client would notice; see the module comment. */
function rejectUntranslatable(body: ChatBody): void {
  if (present(body.n) && body.n !== 1) unsupported('`n` other than 1 asks for several choices; Anthropic returns one.', 'n');
  if (body.logprobs === true) unsupported('`logprobs` is not available from Anthropic.', 'logprobs');
  if (present(body.top_logprobs) && body.top_logprobs !== 0) unsupported('`top_logprobs` is not available from Anthropic.', 'top_logprobs');
  const format = body.response_format;
  if (present(format) && !(isObject(format) && format.type === 'text')) {
    unsupported('`response_format` (JSON mode or a JSON schema) has no Anthropic equivalent.', 'response_format');
  }
  if (isObject(body.logit_bias) && Object.keys(body.logit_bias).length > 0) {
    unsupported('`logit_bias` names OpenAI token ids, which mean nothing to Anthropic models.', 'logit_bias');
  }
  if (present(body.functions)) unsupported('The deprecated `functions` API is not translated; use `tools`.', 'functions');
  if (present(body.function_call)) unsupported('The deprecated `function_call` is not translated; use `tool_choice`.', 'function_call');
  if (present(body.audio) || (Array.isArray(body.modalities) && body.modalities.some((m) => m !== 'text'))) {
    unsupported('Audio output is not available from Anthropic.', present(body.audio) ? 'audio' : 'modalities');
  }
  if (present(body.web_search_options)) unsupported('`web_search_options` is not translated.', 'web_search_options');
}

function textBlock(text: unknown, param: string): Block[] {
  if (typeof text !== 'string') reject('A text part must have a string `text`.', param);
  // Anthropic refuses empty text blocks; OpenAI accepts them and they say nothing.
  return text.length > 0 ? [{ type: 'text', text }] : [];
}

function imageBlock(part: Json, param: string): Block {
  const image = part.image_url;
  const url = typeof image === 'string' ? image : isObject(image) ? image.url : undefined;
  if (typeof url !== 'string') reject('An `image_url` part must have a string `url`.', param);
  const data = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  if (data) return { type: 'image', source: { type: 'base64', media_type: data[1], data: data[2] } };
  if (/^https?:\/\//i.test(url)) return { type: 'image', source: { type: 'url', url } };
  reject('Image URLs must be base64 `data:` URLs or http(s) URLs.', param);
}

/** Content of a user, system or assistant message: a string or an array of parts. */
function contentBlocks(content: unknown, param: string, allowed: readonly string[]): Block[] {
  if (content === undefined || content === null) return [];
  if (typeof content === 'string') return textBlock(content, param);
  if (!Array.isArray(content)) reject('Message `content` must be a string or an array of parts.', param);
  const blocks: Block[] = [];
  content.forEach((part: unknown, j) => {
    const at = `${param}[${j}]`;
    const type = isObject(part) ? part.type : undefined;
    if (!isObject(part) || typeof type !== 'string' || !allowed.includes(type)) {
      unsupported(`Content parts of type ${JSON.stringify(type)} are not translated here.`, at);
    }
    if (type === 'text') blocks.push(...textBlock(part.text, at));
    else if (type === 'refusal') blocks.push(...textBlock(part.refusal, at));
    else blocks.push(imageBlock(part, at));
  });
  return blocks;
}

function toolUse(call: unknown, param: string): Block {
  const fn = isObject(call) ? call.function : undefined;
  if (!isObject(call) || typeof call.id !== 'string' || !isObject(fn) || typeof fn.name !== 'string') {
    reject('A tool call needs a string `id` and `function.name`.', param);
  }
  const args = fn.arguments ?? '';
  let input: unknown;
  try {
    input = args === '' ? {} : JSON.parse(String(args));
  } catch {
    reject('Tool call `arguments` must be a JSON object.', `${param}.function.arguments`);
  }
  if (!isObject(input)) reject('Tool call `arguments` must be a JSON object.', `${param}.function.arguments`);
  return { type: 'tool_use', id: call.id, name: fn.name, input };
}

function toolResult(message: Json, param: string): Block {
  if (typeof message.tool_call_id !== 'string') reject('A tool message needs a string `tool_call_id`.', `${param}.tool_call_id`);
  const block: Block = { type: 'tool_result', tool_use_id: message.tool_call_id };
  const content = contentBlocks(message.content, `${param}.content`, ['text']);
  if (content.length > 0) block.content = content;
  return block;
}

/** System and developer messages become `system`, wherever they stand; the rest alternate. */
function convertMessages(list: unknown[]): { system: Block[]; messages: Message[] } {
  const system: Block[] = [];
  const messages: Message[] = [];
  // Anthropic wants user and assistant turns to alternate, so consecutive messages of one
  // role (several tool results, or tool results then a user message) become one turn.
  const push = (role: Message['role'], blocks: Block[]) => {
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
        system.push(...contentBlocks(m.content, `${at}.content`, ['text']));
        break;
      case 'user':
        push('user', contentBlocks(m.content, `${at}.content`, ['text', 'image_url']));
        break;
      case 'assistant': {
        if (present(m.function_call)) reject('The deprecated `function_call` is not translated; use `tool_calls`.', `${at}.function_call`);
        const calls = m.tool_calls ?? [];
        if (!Array.isArray(calls)) reject('`tool_calls` must be an array.', `${at}.tool_calls`);
        const blocks = contentBlocks(m.content, `${at}.content`, ['text', 'refusal']);
        push('assistant', [...blocks, ...calls.map((c, j) => toolUse(c, `${at}.tool_calls[${j}]`))]);
        break;
      }
      case 'tool':
        push('user', [toolResult(m, at)]);
        break;
      default:
        reject(`Messages with role ${JSON.stringify(m.role)} are not translated.`, `${at}.role`);
    }
  });
  return { system, messages };
}

function convertTools(tools: unknown): Json[] {
  if (!Array.isArray(tools)) reject('`tools` must be an array.', 'tools');
  return tools.map((tool: unknown, i) => {
    const fn = isObject(tool) ? tool.function : undefined;
    if (!isObject(tool) || tool.type !== 'function' || !isObject(fn) || typeof fn.name !== 'string') {
      reject('Only `function` tools with a `name` are translated.', `tools[${i}]`);
    }
    const out: Json = { name: fn.name };
    if (typeof fn.description === 'string') out.description = fn.description;
    // Anthropic requires a schema; OpenAI lets a tool without arguments leave it out.
    out.input_schema = fn.parameters ?? { type: 'object', properties: {} };
    return out;
  });
}

function convertToolChoice(choice: unknown, parallel: unknown): Json | undefined {
  let out: Json | undefined;
  if (choice === 'auto') out = { type: 'auto' };
  else if (choice === 'none') out = { type: 'none' };
  else if (choice === 'required') out = { type: 'any' };
  else if (isObject(choice) && choice.type === 'function' && isObject(choice.function) && typeof choice.function.name === 'string') {
    out = { type: 'tool', name: choice.function.name };
  } else if (present(choice)) {
    reject('`tool_choice` must be "auto", "none", "required" or a named function.', 'tool_choice');
  }
  if (parallel === false && out?.type !== 'none') out = { ...(out ?? { type: 'auto' }), disable_parallel_tool_use: true };
  return out;
}

/**
 * The Messages API body for `body` on `model`. Throws {@link InvalidRequestError} for a
 * request that cannot be translated without changing what the client would get.
 */
export function toMessagesRequest(body: ChatBody, model: string, defaultMaxTokens: number): Json {
  rejectUntranslatable(body);
  const { system, messages } = convertMessages(body.messages);
  const out: Json = {
    model,
    // Required by Anthropic; OpenAI's newer name wins over the deprecated one, as at OpenAI.
    max_tokens: body.max_completion_tokens ?? body.max_tokens ?? defaultMaxTokens,
  };
  if (system.length > 0) out.system = system;
  out.messages = messages;
  const stop = body.stop;
  if (typeof stop === 'string') out.stop_sequences = [stop];
  else if (Array.isArray(stop) && stop.length > 0) out.stop_sequences = stop;
  // OpenAI's range is 0-2, Anthropic's 0-1: above 1 is sent as Anthropic's most random.
  if (typeof body.temperature === 'number') out.temperature = Math.min(body.temperature, 1);
  if (present(body.top_p)) out.top_p = body.top_p;
  if (present(body.tools) && !(Array.isArray(body.tools) && body.tools.length === 0)) {
    out.tools = convertTools(body.tools);
    const choice = convertToolChoice(body.tool_choice, body.parallel_tool_calls);
    if (choice) out.tool_choice = choice;
  }
  const user = body.user ?? body.safety_identifier;
  if (typeof user === 'string' && user.length > 0) out.metadata = { user_id: user };
  if (body.stream === true) out.stream = true;
  return out;
}
