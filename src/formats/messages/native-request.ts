/**
 * @module
 * A Messages request about to go to an Anthropic target natively. It passes untouched,
 * with one exception: thinking blocks the relay itself made from a chat target's
 * reasoning carry an empty `signature` (there is no Anthropic signature to give), and
 * Anthropic refuses a thinking block it did not sign. Those blocks are dropped, as
 * Anthropic itself ignores the thinking of earlier turns; signed ones stay as they are.
 */
import type { ContentBlock, MessagesRequest } from './types.js';

function unsigned(block: ContentBlock): boolean {
  return block.type === 'thinking' && block.signature === '';
}

/** `request` without relay-made thinking blocks; the same object when it has none. */
export function withoutUnsignedThinking(request: MessagesRequest): MessagesRequest {
  const has = request.messages.some((m) => Array.isArray(m.content) && m.content.some(unsigned));
  if (!has) return request;
  return {
    ...request,
    messages: request.messages.map((m) => (Array.isArray(m.content) && m.content.some(unsigned) ? { ...m, content: m.content.filter((b) => !unsigned(b)) } : m)),
  };
}
