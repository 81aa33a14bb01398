/**
 * @module
 * `POST {prefix}/messages/count_tokens` answered by the relay: an **estimate**, made by
 * the relay's one prompt estimate (`tokens/estimate.ts`: one token per 3.5 characters of
 * text, tool inputs and tool definitions, plus a few per message), and Anthropic's
 * allowance per image or binary document there (1,600 tokens, an image of about 1.15
 * megapixels; large images and long PDFs cost more). An Anthropic target can answer exactly instead (passthrough).
 */
import type { ChatBody } from '../../providers/provider.js';
import { MEDIA_TOKENS, measurePrompt, promptTokens } from '../../tokens/estimate.js';
import type { ContentBlock, MessagesRequest } from './types.js';

/** Tokens counted for one image or binary document. */
const IMAGE_TOKENS = MEDIA_TOKENS.anthropic.image;

/** The text of a block as the model reads it, and how many images it holds. */
function blockText(block: ContentBlock): { text: string; images: number } {
  switch (block.type) {
    case 'text':
      return { text: String(block.text), images: 0 };
    case 'thinking':
      return { text: String(block.thinking), images: 0 };
    case 'tool_use':
      return { text: `${String(block.name)} ${JSON.stringify(block.input ?? {})}`, images: 0 };
    case 'tool_result': {
      if (typeof block.content === 'string') return { text: block.content, images: 0 };
      const inner = (Array.isArray(block.content) ? block.content : []).map((b) => blockText(b as ContentBlock));
      return { text: inner.map((b) => b.text).join('\n'), images: inner.reduce((n, b) => n + b.images, 0) };
    }
    case 'document': {
      const source = block.source as { type?: string; data?: unknown } | undefined;
      return source?.type === 'text' ? { text: String(source.data), images: 0 } : { text: '', images: 1 };
    }
    case 'image':
      return { text: '', images: 1 };
    default:
      // Server tool blocks and the like: their JSON is what the model reads.
      return { text: JSON.stringify(block), images: 0 };
  }
}

/**
 * The relay's estimate of the input tokens of `request` (a validated Messages request
 * without `max_tokens`, as `count_tokens` takes it).
 *
 * @example
 * ```ts
 * const { input_tokens } = await countTokens({ model: 'claude', messages: [{ role: 'user', content: 'Hi' }] });
 * ```
 */
export async function countTokens(request: Pick<MessagesRequest, 'model' | 'messages' | 'system' | 'tools'>): Promise<{ input_tokens: number }> {
  let images = 0;
  const messages: { role: string; content: string }[] = [];
  if (request.system !== undefined) {
    const system = typeof request.system === 'string' ? request.system : request.system.map((b) => String(b.text)).join('\n');
    messages.push({ role: 'system', content: system });
  }
  for (const m of request.messages) {
    if (typeof m.content === 'string') {
      messages.push({ role: m.role, content: m.content });
      continue;
    }
    const parts = m.content.map(blockText);
    images += parts.reduce((n, p) => n + p.images, 0);
    messages.push({ role: m.role, content: parts.map((p) => p.text).join('\n') });
  }
  const body: ChatBody = { model: request.model, messages };
  if (request.tools && request.tools.length > 0) body.tools = request.tools;
  return { input_tokens: promptTokens(measurePrompt(body)) + images * IMAGE_TOKENS };
}
