/**
 * @module
 * Vertex AI (`type: 'vertex'`): Gemini models through `publishers/google` (the Gemini
 * translation, `generateContent` and `streamGenerateContent?alt=sse`), Claude through
 * `publishers/anthropic` with Anthropic's own body (`rawPredict`, `streamRawPredict`,
 * see `claude-cloud.ts`), and text embeddings through `predict`. OAuth bearer tokens come
 * from the provider's token function or Application Default Credentials.
 */
import { readEvents } from '../../stream/sse.js';
import { toMessagesRequest } from '../anthropic-request.js';
import { errorOf, toChatCompletion } from '../anthropic-response.js';
import { anthropicChunks } from '../anthropic-stream.js';
import { claudeOnCloud, isVertexClaude, vertexModelPath } from '../claude-cloud.js';
import { withoutUnsignedThinking } from '../../formats/messages/native-request.js';
import type { MessagesRequest } from '../../formats/messages/types.js';
import { betasOf, sseEvents } from '../native.js';
import type { AnswerContext, NativeFormat, ProviderAdapter } from '../provider.js';
import { googleEmbeddings, vertexEmbeddingsBody } from './embeddings.js';
import { parseGoogleError } from './gemini.js';
import { toGeminiRequest } from './gemini-request.js';
import { geminiChunks, geminiCompletion } from './gemini-response.js';

const claude = (context: AnswerContext | undefined) => context !== undefined && isVertexClaude(context.model);

/** Anthropic's Messages API on Vertex: the body through `rawPredict`, Anthropic's own events back. */
const vertexMessages: NativeFormat = {
  request: (provider, body, model, clientHeaders) =>
    claudeOnCloud(provider, withoutUnsignedThinking(body as unknown as MessagesRequest) as unknown as Record<string, unknown>, model, { betas: betasOf(clientHeaders) }),
  events: sseEvents,
};

/**
 * The adapter for `type: 'vertex'` providers.
 *
 * @example
 * ```ts
 * createRelay({
 *   providers: { gcp: { type: 'vertex', project: 'my-project', location: 'us-east5' } },
 *   models: { chat: { targets: [{ provider: 'gcp', model: 'claude-sonnet-4-5@20250929' }, { provider: 'gcp', model: 'gemini-2.5-pro' }] } },
 * });
 * ```
 */
export const vertexProvider: ProviderAdapter = {
  // Claude on Vertex takes a Messages client's own body (`rawPredict`).
  native: (format, _provider, model) => (format === 'messages' && isVertexClaude(model) ? vertexMessages : undefined),

  chatRequest(provider, body, model) {
    if (isVertexClaude(model)) return claudeOnCloud(provider, toMessagesRequest(body, model, provider.maxTokens), model);
    const method = body.stream === true ? 'streamGenerateContent?alt=sse' : 'generateContent';
    return { path: `${vertexModelPath(provider, 'google', model)}:${method}`, body: JSON.stringify(toGeminiRequest(body)) };
  },

  parseError(text) {
    // Claude's own errors come in Anthropic's shape, the platform's in Google's.
    try {
      const parsed = JSON.parse(text) as { type?: unknown };
      if (parsed?.type === 'error') return errorOf(parsed);
    } catch {
      // Not JSON: Google's reader keeps the start of the text.
    }
    return parseGoogleError(text);
  },

  completion: (raw, context) => (claude(context) ? toChatCompletion(raw) : geminiCompletion(raw, context?.model)),

  chunks: (body, maxEventBytes, context) =>
    claude(context) ? anthropicChunks(body, maxEventBytes) : geminiChunks(readEvents(body, maxEventBytes), context?.model),

  embeddingsRequest(provider, body, model) {
    return { path: `${vertexModelPath(provider, 'google', model)}:predict`, body: JSON.stringify(vertexEmbeddingsBody(body)) };
  },

  embeddings: googleEmbeddings,
};
