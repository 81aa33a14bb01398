/**
 * @module
 * Chat completion fields that a translating provider (Bedrock's Converse, Gemini) cannot
 * honour. A field whose loss a client would notice is refused with a 400 naming it, as
 * `anthropic-request.ts` does for Anthropic; fields that only tune sampling are dropped.
 */
import { InvalidRequestError } from '../errors/index.js';
import type { ChatBody } from './provider.js';

type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function present(value: unknown): boolean {
  return value !== undefined && value !== null;
}

/** Throws the 400 for a request `who` cannot serve, naming `param`. */
export function refuse(who: string, problem: string, param: string): never {
  throw new InvalidRequestError(`${problem} ${who} targets cannot serve this request.`, param);
}

/** What a provider can do beyond plain chat. */
export interface Abilities {
  /** `n` > 1. */
  choices?: boolean;
  /** `response_format` JSON mode and JSON schemas. */
  json?: boolean;
}

/** Refuses the fields `who` cannot honour (see the module comment). */
export function refuseUntranslatable(body: ChatBody, who: string, can: Abilities = {}): void {
  if (!can.choices && present(body.n) && body.n !== 1) refuse(who, '`n` other than 1 asks for several choices; only one is returned.', 'n');
  if (body.logprobs === true) refuse(who, '`logprobs` is not translated.', 'logprobs');
  if (present(body.top_logprobs) && body.top_logprobs !== 0) refuse(who, '`top_logprobs` is not translated.', 'top_logprobs');
  const format = body.response_format;
  if (present(format) && !(isObject(format) && format.type === 'text') && !can.json) {
    refuse(who, '`response_format` (JSON mode or a JSON schema) is not translated.', 'response_format');
  }
  if (isObject(body.logit_bias) && Object.keys(body.logit_bias).length > 0) refuse(who, '`logit_bias` names OpenAI token ids.', 'logit_bias');
  if (present(body.functions)) refuse(who, 'The deprecated `functions` API is not translated; use `tools`.', 'functions');
  if (present(body.function_call)) refuse(who, 'The deprecated `function_call` is not translated; use `tool_choice`.', 'function_call');
  if (present(body.audio) || (Array.isArray(body.modalities) && body.modalities.some((m) => m !== 'text'))) {
    refuse(who, 'Audio output is not translated.', present(body.audio) ? 'audio' : 'modalities');
  }
  if (present(body.web_search_options)) refuse(who, '`web_search_options` is not translated.', 'web_search_options');
}

/** A text part's string (empty text is allowed and carries nothing). */
export function partText(text: unknown, who: string, param: string): string {
  if (typeof text !== 'string') refuse(who, 'A text part must have a string `text`.', param);
  return text;
}

/** System, user or tool content as plain text parts (strings or `text` parts only). */
export function textParts(content: unknown, who: string, param: string): string[] {
  if (content === undefined || content === null) return [];
  if (typeof content === 'string') return content === '' ? [] : [content];
  if (!Array.isArray(content)) refuse(who, 'Message `content` must be a string or an array of parts.', param);
  return content
    .map((part: unknown, j) => {
      if (!isObject(part) || (part.type !== 'text' && part.type !== 'refusal')) refuse(who, 'Only text parts are translated here.', `${param}[${j}]`);
      return partText(part.type === 'text' ? part.text : part.refusal, who, `${param}[${j}]`);
    })
    .filter((t) => t !== '');
}

/** An image part's URL split into a data URL's media type and base64, or the URL itself. */
export function imageOf(part: Json, who: string, param: string): { mediaType: string; data: string } | { url: string } {
  const image = part.image_url;
  const url = typeof image === 'string' ? image : isObject(image) ? image.url : undefined;
  if (typeof url !== 'string') refuse(who, 'An `image_url` part must have a string `url`.', param);
  const data = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  return data ? { mediaType: data[1]!, data: data[2]! } : { url };
}

/** Parses a tool call's `arguments` into an object. */
export function toolArguments(call: unknown, who: string, param: string): { id: string; name: string; input: Json } {
  const fn = isObject(call) ? call.function : undefined;
  if (!isObject(call) || typeof call.id !== 'string' || !isObject(fn) || typeof fn.name !== 'string') {
    refuse(who, 'A tool call needs a string `id` and `function.name`.', param);
  }
  const args = fn.arguments ?? '';
  let input: unknown;
  try {
    input = args === '' ? {} : JSON.parse(String(args));
  } catch {
    refuse(who, 'Tool call `arguments` must be a JSON object.', `${param}.function.arguments`);
  }
  if (!isObject(input)) refuse(who, 'Tool call `arguments` must be a JSON object.', `${param}.function.arguments`);
  return { id: call.id, name: fn.name, input };
}

/** The `function` tools of a request, as name, description and JSON schema. */
export function functionTools(tools: unknown, who: string): { name: string; description?: string; parameters: Json }[] {
  if (!Array.isArray(tools)) refuse(who, '`tools` must be an array.', 'tools');
  return tools.map((tool: unknown, i) => {
    const fn = isObject(tool) ? tool.function : undefined;
    if (!isObject(tool) || tool.type !== 'function' || !isObject(fn) || typeof fn.name !== 'string') {
      refuse(who, 'Only `function` tools with a `name` are translated.', `tools[${i}]`);
    }
    // A tool without arguments may leave its schema out; the clouds want one.
    const parameters = isObject(fn.parameters) ? fn.parameters : { type: 'object', properties: {} };
    return typeof fn.description === 'string' ? { name: fn.name, description: fn.description, parameters } : { name: fn.name, parameters };
  });
}

/** The client's `tool_choice`: auto, none, required (any tool) or one named function. */
export function toolChoiceOf(choice: unknown, who: string): { mode: 'auto' | 'none' | 'any' } | { mode: 'tool'; name: string } | undefined {
  if (!present(choice)) return undefined;
  if (choice === 'auto') return { mode: 'auto' };
  if (choice === 'none') return { mode: 'none' };
  if (choice === 'required') return { mode: 'any' };
  if (isObject(choice) && choice.type === 'function' && isObject(choice.function) && typeof choice.function.name === 'string') {
    return { mode: 'tool', name: choice.function.name };
  }
  refuse(who, '`tool_choice` must be "auto", "none", "required" or a named function.', 'tool_choice');
}

/** `max_completion_tokens`, else `max_tokens`, as OpenAI reads them. */
export function maxTokensOf(body: ChatBody): number | undefined {
  const value = body.max_completion_tokens ?? body.max_tokens;
  return typeof value === 'number' ? value : undefined;
}

/** `stop` as a list. */
export function stopsOf(body: ChatBody): string[] | undefined {
  if (typeof body.stop === 'string') return [body.stop];
  return Array.isArray(body.stop) && body.stop.length > 0 ? (body.stop as string[]) : undefined;
}
