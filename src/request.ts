/**
 * @module
 * Checks a client's chat completion body just enough to route it: the relay never
 * rewrites fields it does not own, but a request it cannot route gets a 400 that
 * names the field.
 */
import { InvalidRequestError } from './errors/index.js';
import type { ChatBody, EmbeddingsBody } from './providers/provider.js';

function typeName(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'array' : typeof value;
}

/** Returns `body` typed as a chat request, or throws {@link InvalidRequestError}. */
export function validateChatBody(body: unknown): ChatBody {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidRequestError(`The request body must be a JSON object, got ${typeName(body)}.`);
  }
  const b = body as Record<string, unknown>;
  if (typeof b.model !== 'string' || b.model.length === 0) {
    throw new InvalidRequestError(
      b.model === undefined ? 'Missing required parameter: `model`.' : `Invalid type for \`model\`: expected a string, got ${typeName(b.model)}.`,
      'model',
    );
  }
  if (!Array.isArray(b.messages)) {
    throw new InvalidRequestError(
      b.messages === undefined ? 'Missing required parameter: `messages`.' : `Invalid type for \`messages\`: expected an array, got ${typeName(b.messages)}.`,
      'messages',
    );
  }
  if (b.messages.length === 0) {
    throw new InvalidRequestError('Invalid `messages`: expected an array with at least one message.', 'messages');
  }
  for (let i = 0; i < b.messages.length; i++) {
    const m = b.messages[i] as Record<string, unknown> | null;
    if (typeof m !== 'object' || m === null || Array.isArray(m)) {
      throw new InvalidRequestError(`Invalid \`messages[${i}]\`: expected an object, got ${typeName(m)}.`, `messages[${i}]`);
    }
    if (typeof m.role !== 'string') {
      throw new InvalidRequestError(`Missing or invalid \`messages[${i}].role\`: expected a string.`, `messages[${i}].role`);
    }
  }
  if (b.stream !== undefined && b.stream !== null && typeof b.stream !== 'boolean') {
    throw new InvalidRequestError(`Invalid type for \`stream\`: expected a boolean, got ${typeName(b.stream)}.`, 'stream');
  }
  return b as ChatBody;
}

function isNumberArray(value: unknown): boolean {
  return Array.isArray(value) && value.length > 0 && value.every((n) => typeof n === 'number');
}

/** Returns `body` typed as an embeddings request, or throws {@link InvalidRequestError}. */
export function validateEmbeddingsBody(body: unknown): EmbeddingsBody {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidRequestError(`The request body must be a JSON object, got ${typeName(body)}.`);
  }
  const b = body as Record<string, unknown>;
  if (typeof b.model !== 'string' || b.model.length === 0) {
    throw new InvalidRequestError(
      b.model === undefined ? 'Missing required parameter: `model`.' : `Invalid type for \`model\`: expected a string, got ${typeName(b.model)}.`,
      'model',
    );
  }
  const input = b.input;
  const ok =
    (typeof input === 'string' && input.length > 0) ||
    isNumberArray(input) ||
    (Array.isArray(input) && input.length > 0 && input.every((i) => (typeof i === 'string' && i.length > 0) || isNumberArray(i)));
  if (!ok) {
    throw new InvalidRequestError(
      input === undefined
        ? 'Missing required parameter: `input`.'
        : 'Invalid `input`: expected a non-empty string, an array of non-empty strings, or token arrays.',
      'input',
    );
  }
  return b as EmbeddingsBody;
}
