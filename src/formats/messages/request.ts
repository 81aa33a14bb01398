/**
 * @module
 * Validates a `POST /messages` body as Anthropic does for the fields the relay reads:
 * `model`, `max_tokens` and a non-empty `messages` are required, roles are `user` or
 * `assistant`, and each known content block has its required fields. Block and tool
 * types the relay does not translate (server tools, `search_result`, ...) are valid
 * here: an Anthropic target takes them natively, and `toChat` refuses them per target.
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
import type { MessagesRequest } from './types.js';

function checkSource(block: Json, path: string): void {
  const source = typedObject(block.source, `${path}.source`);
  if (source.type === 'base64') {
    requireString(source.media_type, `${path}.source.media_type`);
    requireString(source.data, `${path}.source.data`);
  } else if (source.type === 'url') {
    requireString(source.url, `${path}.source.url`);
  }
}

function checkBlock(value: unknown, path: string): void {
  const block = typedObject(value, path);
  switch (block.type) {
    case 'text':
      checkString(block.text, `${path}.text`);
      break;
    case 'image':
    case 'document':
      checkSource(block, path);
      break;
    case 'tool_use':
      requireString(block.id, `${path}.id`);
      requireString(block.name, `${path}.name`);
      checkObject(block.input, `${path}.input`);
      break;
    case 'tool_result':
      requireString(block.tool_use_id, `${path}.tool_use_id`);
      optional(block.content, `${path}.content`, checkContent);
      optional(block.is_error, `${path}.is_error`, checkBoolean);
      break;
    case 'thinking':
      checkString(block.thinking, `${path}.thinking`);
      checkString(block.signature, `${path}.signature`);
      break;
    case 'redacted_thinking':
      checkString(block.data, `${path}.data`);
      break;
    default:
      break;
  }
}

function checkContent(content: unknown, path: string): void {
  if (typeof content === 'string') return;
  if (!Array.isArray(content)) wrongType(path, 'a string or an array of content blocks', content);
  content.forEach((block, j) => checkBlock(block, `${path}[${j}]`));
}

function checkMessage(value: unknown, path: string): void {
  if (!isObject(value)) wrongType(path, 'an object', value);
  if (value.role !== 'user' && value.role !== 'assistant') refuse(`${path}.role`, `Invalid value for \`${path}.role\`: expected 'user' or 'assistant'.`);
  if (value.content === undefined) refuse(`${path}.content`, `Missing required parameter: \`${path}.content\`.`);
  checkContent(value.content, `${path}.content`);
}

function checkTool(value: unknown, path: string): void {
  if (!isObject(value)) wrongType(path, 'an object', value);
  requireString(value.name, `${path}.name`);
  // Custom tools have no type (or `custom`); server tools (`web_search_20250305`, ...) carry theirs.
  if (value.type === undefined || value.type === null || value.type === 'custom') {
    if (!isObject(value.input_schema)) wrongType(`${path}.input_schema`, 'an object', value.input_schema);
    optional(value.description, `${path}.description`, checkString);
  } else {
    checkString(value.type, `${path}.type`);
  }
}

function checkToolChoice(value: unknown, path: string): void {
  const choice = typedObject(value, path);
  if (!['auto', 'any', 'tool', 'none'].includes(choice.type)) {
    refuse(`${path}.type`, `Invalid value for \`${path}.type\`: expected 'auto', 'any', 'tool' or 'none'.`);
  }
  if (choice.type === 'tool') requireString(choice.name, `${path}.name`);
  optional(choice.disable_parallel_tool_use, `${path}.disable_parallel_tool_use`, checkBoolean);
}

function checkThinking(value: unknown, path: string): void {
  const thinking = typedObject(value, path);
  if (thinking.type === 'enabled') checkInteger(1024)(thinking.budget_tokens, `${path}.budget_tokens`);
}

/**
 * Returns `body` typed as a Messages request, or throws `InvalidRequestError` naming the
 * field. `countTokens`: the body of `POST /messages/count_tokens`, which has no `max_tokens`.
 */
export function validateMessagesRequest(body: unknown, options: { countTokens?: boolean } = {}): MessagesRequest {
  const b = objectBody(body);
  requireString(b.model, 'model');
  if (!options.countTokens) {
    if (b.max_tokens === undefined) refuse('max_tokens', 'Missing required parameter: `max_tokens`.');
    checkInteger(1)(b.max_tokens, 'max_tokens');
  }
  const messages = requireArray(b.messages, 'messages');
  if (messages.length === 0) refuse('messages', 'Invalid `messages`: expected at least one message.');
  messages.forEach((m, i) => checkMessage(m, `messages[${i}]`));
  optional(b.system, 'system', (system, path) => {
    if (typeof system === 'string') return;
    requireArray(system, path).forEach((block, i) => {
      const at = `${path}[${i}]`;
      if (typedObject(block, at).type !== 'text') refuse(`${at}.type`, `Invalid value for \`${at}.type\`: system blocks are 'text'.`);
      checkBlock(block, at);
    });
  });
  optional(b.tools, 'tools', (tools, path) => requireArray(tools, path).forEach((t, i) => checkTool(t, `${path}[${i}]`)));
  optional(b.tool_choice, 'tool_choice', checkToolChoice);
  optional(b.stop_sequences, 'stop_sequences', (stops, path) => requireArray(stops, path).forEach((s, i) => checkString(s, `${path}[${i}]`)));
  optional(b.temperature, 'temperature', checkNumber(0, 1));
  optional(b.top_p, 'top_p', checkNumber(0, 1));
  optional(b.top_k, 'top_k', checkInteger(0));
  optional(b.thinking, 'thinking', checkThinking);
  optional(b.metadata, 'metadata', (m, path) => {
    checkObject(m, path);
    optional((m as Json).user_id, `${path}.user_id`, checkString);
  });
  optional(b.stream, 'stream', checkBoolean);
  return b as MessagesRequest;
}
