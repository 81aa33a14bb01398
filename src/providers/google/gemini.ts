/**
 * @module
 * Google's Gemini API (`type: 'gemini'`, AI Studio): `generateContent`,
 * `streamGenerateContent?alt=sse` and `batchEmbedContents`, with the key in
 * `x-goog-api-key`. The request and answer translation is shared with Vertex AI.
 */
import { readEvents } from '../../stream/sse.js';
import type { ProviderAdapter, UpstreamError } from '../provider.js';
import { geminiEmbeddingsBody, googleEmbeddings } from './embeddings.js';
import { toGeminiRequest } from './gemini-request.js';
import { geminiChunks, geminiCompletion, googleError } from './gemini-response.js';

/** Reads a Google error body (any status). */
export function parseGoogleError(text: string): UpstreamError | undefined {
  try {
    return googleError(JSON.parse(text));
  } catch {
    return text.length > 0 ? { message: text.slice(0, 200) } : undefined;
  }
}

/** `models/gemini-2.5-flash` and `gemini-2.5-flash` name the same model. */
const modelId = (model: string) => encodeURIComponent(model.replace(/^models\//, ''));

/**
 * The adapter for `type: 'gemini'` providers.
 *
 * @example
 * ```ts
 * createRelay({
 *   providers: { google: { type: 'gemini', apiKeyEnv: 'GEMINI_API_KEY' } },
 *   models: { chat: { targets: [{ provider: 'google', model: 'gemini-2.5-flash' }] } },
 * });
 * ```
 */
export const geminiProvider: ProviderAdapter = {
  chatRequest(provider, body, model) {
    const method = body.stream === true ? 'streamGenerateContent?alt=sse' : 'generateContent';
    return { path: `${provider.basePath}/models/${modelId(model)}:${method}`, body: JSON.stringify(toGeminiRequest(body)) };
  },

  parseError: parseGoogleError,

  completion: (raw, context) => geminiCompletion(raw, context?.model),

  chunks: (body, maxEventBytes, context) => geminiChunks(readEvents(body, maxEventBytes), context?.model),

  embeddingsRequest(provider, body, model) {
    return { path: `${provider.basePath}/models/${modelId(model)}:batchEmbedContents`, body: JSON.stringify(geminiEmbeddingsBody(body, model.replace(/^models\//, ''))) };
  },

  embeddings: googleEmbeddings,
};
