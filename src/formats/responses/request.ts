/**
 * @module
 * Validates a `POST /responses` body: the fields the relay reads must have the types
 * OpenAI documents, and a wrong one is a 400 naming its path. Item and tool types the
 * relay does not translate (hosted tool calls, `computer_call_output`, ...) are valid
 * here: a native target takes them, and `toChat` refuses them per target.
 */
import {
  checkBoolean,
  checkInteger,
  checkNumber,
  checkObject,
  checkString,
  isObject,
  objectBody,
  optional,
  refuse,
  requireArray,
  requireString,
  typedObject,
  wrongType,
  type Json,
} from '../check.js';
import type { ResponsesRequest } from './types.js';

const ROLES = ['user', 'assistant', 'system', 'developer'];

function checkText(part: Json, key: string, path: string): void {
  if (typeof part[key] !== 'string') wrongType(`${path}.${key}`, 'a string', part[key]);
}

function checkContent(content: unknown, path: string): void {
  if (typeof content === 'string') return;
  if (!Array.isArray(content)) wrongType(path, 'a string or an array of content parts', content);
  content.forEach((value, j) => {
    const at = `${path}[${j}]`;
    const part = typedObject(value, at);
    switch (part.type) {
      case 'input_text':
      case 'output_text':
        checkText(part, 'text', at);
        break;
      case 'refusal':
        checkText(part, 'refusal', at);
        break;
      case 'input_image':
        if (typeof part.image_url !== 'string' && typeof part.file_id !== 'string') {
          refuse(at, `Invalid \`${at}\`: an \`input_image\` needs an \`image_url\` or a \`file_id\`.`);
        }
        break;
      case 'input_file':
        if (![part.file_id, part.file_data, part.file_url].some((v) => typeof v === 'string')) {
          refuse(at, `Invalid \`${at}\`: an \`input_file\` needs a \`file_id\`, \`file_data\` or \`file_url\`.`);
        }
        break;
      default:
        // input_audio and parts added later: a native target judges them.
        break;
    }
  });
}

function checkItem(value: unknown, path: string): void {
  if (!isObject(value)) wrongType(path, 'an object', value);
  // A message may leave out `type` (an "easy input message").
  const type = value.type ?? (value.role !== undefined ? 'message' : undefined);
  if (typeof type !== 'string') wrongType(`${path}.type`, 'a string', value.type);
  switch (type) {
    case 'message':
      if (typeof value.role !== 'string' || !ROLES.includes(value.role)) {
        refuse(`${path}.role`, `Invalid value for \`${path}.role\`: expected one of ${ROLES.map((r) => `'${r}'`).join(', ')}.`);
      }
      if (value.content === undefined) refuse(`${path}.content`, `Missing required parameter: \`${path}.content\`.`);
      checkContent(value.content, `${path}.content`);
      break;
    case 'function_call':
      requireString(value.call_id, `${path}.call_id`);
      requireString(value.name, `${path}.name`);
      checkText(value, 'arguments', path);
      break;
    case 'function_call_output':
      requireString(value.call_id, `${path}.call_id`);
      if (typeof value.output !== 'string') checkContent(value.output, `${path}.output`);
      break;
    case 'reasoning':
      optional(value.summary, `${path}.summary`, (s, p) => requireArray(s, p));
      break;
    case 'item_reference':
      requireString(value.id, `${path}.id`);
      break;
    default:
      break;
  }
}

function checkTool(value: unknown, path: string): void {
  const tool = typedObject(value, path);
  if (tool.type !== 'function') return;
  requireString(tool.name, `${path}.name`);
  optional(tool.description, `${path}.description`, checkString);
  optional(tool.parameters, `${path}.parameters`, checkObject);
  optional(tool.strict, `${path}.strict`, checkBoolean);
}

function checkToolChoice(value: unknown, path: string): void {
  if (typeof value === 'string') {
    if (!['auto', 'none', 'required'].includes(value)) refuse(path, `Invalid value for \`${path}\`: expected 'auto', 'none', 'required' or an object.`);
    return;
  }
  const choice = typedObject(value, path);
  if (choice.type === 'function') requireString(choice.name, `${path}.name`);
}

function checkTextOptions(value: unknown, path: string): void {
  checkObject(value, path);
  const format = (value as Json).format;
  if (format === undefined || format === null) return;
  const f = typedObject(format, `${path}.format`);
  if (f.type === 'json_schema') {
    requireString(f.name, `${path}.format.name`);
    if (!isObject(f.schema)) wrongType(`${path}.format.schema`, 'an object', f.schema);
  } else if (f.type !== 'text' && f.type !== 'json_object') {
    refuse(`${path}.format.type`, `Invalid value for \`${path}.format.type\`: expected 'text', 'json_object' or 'json_schema'.`);
  }
}

function checkStringMap(value: unknown, path: string): void {
  checkObject(value, path);
  for (const [key, v] of Object.entries(value as Json)) checkString(v, `${path}.${key}`);
}

/** Returns `body` typed as a Responses request, or throws `InvalidRequestError` naming the field. */
export function validateResponsesRequest(body: unknown): ResponsesRequest {
  const b = objectBody(body);
  requireString(b.model, 'model');
  const input = b.input;
  if (input === undefined) refuse('input', 'Missing required parameter: `input`.');
  if (typeof input !== 'string') requireArray(input, 'input').forEach((item, i) => checkItem(item, `input[${i}]`));
  optional(b.instructions, 'instructions', checkString);
  optional(b.tools, 'tools', (tools, path) => requireArray(tools, path).forEach((t, i) => checkTool(t, `${path}[${i}]`)));
  optional(b.tool_choice, 'tool_choice', checkToolChoice);
  optional(b.parallel_tool_calls, 'parallel_tool_calls', checkBoolean);
  optional(b.text, 'text', checkTextOptions);
  optional(b.max_output_tokens, 'max_output_tokens', checkInteger(1));
  optional(b.temperature, 'temperature', checkNumber(0, 2));
  optional(b.top_p, 'top_p', checkNumber(0, 1));
  optional(b.reasoning, 'reasoning', (r, path) => {
    checkObject(r, path);
    optional((r as Json).effort, `${path}.effort`, checkString);
  });
  optional(b.metadata, 'metadata', checkStringMap);
  optional(b.user, 'user', checkString);
  optional(b.stream, 'stream', checkBoolean);
  optional(b.previous_response_id, 'previous_response_id', (v, path) => requireString(v, path));
  optional(b.store, 'store', checkBoolean);
  return b as ResponsesRequest;
}
