/**
 * @module
 * Anthropic's Messages API (`type: 'anthropic'`). A Messages client's request passes
 * natively; every other client's is translated from the chat body in
 * `anthropic-request.ts`, answers in `anthropic-response.ts` and streams in
 * `anthropic-stream.ts`. docs/providers.md ("Anthropic targets: what is translated") says
 * what happens to every field.
 */
import { toMessagesRequest } from './anthropic-request.js';
import { errorOf, toChatCompletion } from './anthropic-response.js';
import { anthropicChunks } from './anthropic-stream.js';
import { nativeMessages } from './native.js';
import type { ProviderAdapter } from './provider.js';

/**
 * The adapter for `type: 'anthropic'` providers.
 *
 * @example
 * ```ts
 * createRelay({
 *   providers: { claude: { type: 'anthropic', apiKeyEnv: 'ANTHROPIC_API_KEY' } },
 *   models: { chat: { targets: [{ provider: 'claude', model: 'claude-sonnet-4-5' }] } },
 * });
 * ```
 */
export const anthropicProvider: ProviderAdapter = {
  // A Messages client's body goes as it came.
  native: (format) => (format === 'messages' ? nativeMessages : undefined),

  chatRequest(provider, body, model) {
    return {
      path: `${provider.basePath}/messages`,
      body: JSON.stringify(toMessagesRequest(body, model, provider.maxTokens)),
    };
  },

  parseError(text) {
    try {
      return errorOf(JSON.parse(text));
    } catch {
      return text.length > 0 ? { message: text.slice(0, 200) } : undefined;
    }
  },

  completion: toChatCompletion,

  chunks: anthropicChunks,
};
