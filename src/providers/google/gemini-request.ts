/**
 * @module
 * An OpenAI chat completion request as a Gemini `generateContent` request (the same body
 * serves the Gemini API and Vertex AI): system messages become `systemInstruction`, turns
 * become `contents` with `parts` (`text`, `inlineData`, `fileData`, `functionCall`,
 * `functionResponse`), sampling goes to `generationConfig`, tools to `functionDeclarations`
 * and `tool_choice` to `toolConfig`. Fields Gemini cannot honour are refused with a 400.
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
const WHO = 'Gemini';

/**
 * Gemini 3 wants each function call of the history to carry the thought signature it
 * came with, which chat completions clients do not keep. Google documents this value for
 * calls whose signature is unknown (history from another model, or a client like these).
 */
export const SKIP_THOUGHT_SIGNATURE = 'skip_thought_signature_validator';

interface Content {
  role: 'user' | 'model';
  parts: Json[];
}

const IMAGE_TYPES: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', heic: 'image/heic', heif: 'image/heif' };

function userParts(content: unknown, param: string): Json[] {
  if (!Array.isArray(content)) return textParts(content, WHO, param).map((text) => ({ text }));
  return content.flatMap((part: unknown, j): Json[] => {
    const at = `${param}[${j}]`;
    if (isObject(part) && part.type === 'image_url') {
      const image = imageOf(part, WHO, at);
      if ('data' in image) return [{ inlineData: { mimeType: image.mediaType, data: image.data } }];
      if (!/^(https?|gs):\/\//i.test(image.url)) refuse(WHO, 'Image URLs must be base64 `data:` URLs or http(s)/gs URLs.', at);
      const extension = /\.([a-z0-9]+)(?:[?#].*)?$/i.exec(image.url)?.[1]?.toLowerCase() ?? '';
      return [{ fileData: { mimeType: IMAGE_TYPES[extension] ?? 'image/jpeg', fileUri: image.url } }];
    }
    return textParts([part], WHO, at).map((text) => ({ text }));
  });
}

function convertMessages(list: unknown[]): { system: Json[]; contents: Content[] } {
  const system: Json[] = [];
  const contents: Content[] = [];
  // functionResponse parts name their function; tool messages only name the call's id.
  const names = new Map<string, string>();
  const push = (role: Content['role'], parts: Json[]) => {
    if (parts.length === 0) return;
    const last = contents[contents.length - 1];
    if (last?.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
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
        push('user', userParts(m.content, `${at}.content`));
        break;
      case 'assistant': {
        if (present(m.function_call)) refuse(WHO, 'The deprecated `function_call` is not translated; use `tool_calls`.', `${at}.function_call`);
        const calls = m.tool_calls ?? [];
        if (!Array.isArray(calls)) refuse(WHO, '`tool_calls` must be an array.', `${at}.tool_calls`);
        const parts: Json[] = textParts(m.content, WHO, `${at}.content`).map((text) => ({ text }));
        calls.forEach((call, j) => {
          const { id, name, input } = toolArguments(call, WHO, `${at}.tool_calls[${j}]`);
          names.set(id, name);
          const part: Json = { functionCall: { name, args: input } };
          if (j === 0) part.thoughtSignature = SKIP_THOUGHT_SIGNATURE;
          parts.push(part);
        });
        push('model', parts);
        break;
      }
      case 'tool': {
        const id = m.tool_call_id;
        if (typeof id !== 'string') refuse(WHO, 'A tool message needs a string `tool_call_id`.', `${at}.tool_call_id`);
        const name = names.get(id);
        if (name === undefined) refuse(WHO, 'A tool message must answer a tool call made earlier in `messages` (Gemini needs its function name).', `${at}.tool_call_id`);
        const content = textParts(m.content, WHO, `${at}.content`).join('');
        push('user', [{ functionResponse: { name, response: { content } } }]);
        break;
      }
      default:
        refuse(WHO, `Messages with role ${JSON.stringify(m.role)} are not translated.`, `${at}.role`);
    }
  });
  return { system, contents };
}

// Google's OpenAI-compatible endpoint maps reasoning efforts to these thinking budgets.
const THINKING_BUDGET: Record<string, number> = { none: 0, minimal: 0, low: 1024, medium: 8192, high: 24576 };

function generationConfig(body: ChatBody): Json {
  const config: Json = {};
  const maxTokens = maxTokensOf(body);
  if (maxTokens !== undefined) config.maxOutputTokens = maxTokens;
  if (typeof body.temperature === 'number') config.temperature = body.temperature;
  if (typeof body.top_p === 'number') config.topP = body.top_p;
  const stops = stopsOf(body);
  if (stops) config.stopSequences = stops;
  if (typeof body.n === 'number' && body.n > 1) config.candidateCount = body.n;
  if (typeof body.seed === 'number') config.seed = body.seed;
  if (typeof body.presence_penalty === 'number') config.presencePenalty = body.presence_penalty;
  if (typeof body.frequency_penalty === 'number') config.frequencyPenalty = body.frequency_penalty;
  const format = body.response_format;
  if (isObject(format) && format.type === 'json_object') config.responseMimeType = 'application/json';
  if (isObject(format) && format.type === 'json_schema') {
    const schema = isObject(format.json_schema) ? format.json_schema.schema : undefined;
    if (!isObject(schema)) refuse(WHO, '`response_format.json_schema.schema` must be an object.', 'response_format');
    config.responseMimeType = 'application/json';
    config.responseJsonSchema = schema;
  }
  const effort = body.reasoning_effort;
  if (typeof effort === 'string') {
    const budget = THINKING_BUDGET[effort];
    if (budget === undefined) refuse(WHO, '`reasoning_effort` must be none, minimal, low, medium or high.', 'reasoning_effort');
    config.thinkingConfig = { thinkingBudget: budget };
  }
  return config;
}

/** The `generateContent` body for `body` (the model goes in the URL). Throws `InvalidRequestError`. */
export function toGeminiRequest(body: ChatBody): Json {
  refuseUntranslatable(body, WHO, { choices: true, json: true });
  const { system, contents } = convertMessages(body.messages);
  const out: Json = { contents };
  if (system.length > 0) out.systemInstruction = { parts: system };
  const config = generationConfig(body);
  if (Object.keys(config).length > 0) out.generationConfig = config;
  const hasTools = Array.isArray(body.tools) ? body.tools.length > 0 : present(body.tools);
  if (hasTools) {
    const declarations = functionTools(body.tools, WHO).map((t) => ({
      name: t.name,
      ...(t.description === undefined ? {} : { description: t.description }),
      parametersJsonSchema: t.parameters,
    }));
    out.tools = [{ functionDeclarations: declarations }];
    const choice = toolChoiceOf(body.tool_choice, WHO);
    if (choice) {
      const mode = choice.mode === 'tool' ? 'ANY' : choice.mode.toUpperCase();
      const calling: Json = { mode };
      if (choice.mode === 'tool') calling.allowedFunctionNames = [choice.name];
      out.toolConfig = { functionCallingConfig: calling };
    }
  }
  return out;
}
