/**
 * @module
 * Azure OpenAI (`type: 'azure-openai'`). It speaks OpenAI's format, so bodies, answers
 * and streams are the OpenAI adapter's (content-filter results pass through to the
 * client); only the URL differs: the v1 API (`/openai/v1/chat/completions`, `model` in
 * the body) or a deployment URL with `?api-version=` (the target's `model` names the
 * deployment). A content-filter refusal is a 400 with `code: "content_filter"`, which the
 * classifier reads as `content_policy`.
 */
import type { ResolvedProvider } from '../../config.js';
import { openaiProvider } from '../openai.js';
import type { ProviderAdapter } from '../provider.js';

/** The URL of `operation` (`chat/completions`, `embeddings`) for `model` on `provider`. */
function azurePath(provider: ResolvedProvider, operation: string, model: string): string {
  const version = provider.cloud?.type === 'azure-openai' ? provider.cloud.apiVersion : 'v1';
  if (version === 'v1' || version === 'preview') {
    const query = version === 'preview' ? '?api-version=preview' : '';
    return `${provider.basePath}/openai/v1/${operation}${query}`;
  }
  return `${provider.basePath}/openai/deployments/${encodeURIComponent(model)}/${operation}?api-version=${encodeURIComponent(version)}`;
}

/**
 * The adapter for `type: 'azure-openai'` providers.
 *
 * @example
 * ```ts
 * createRelay({
 *   providers: { azure: { type: 'azure-openai', baseURL: 'https://my-resource.openai.azure.com', apiKeyEnv: 'AZURE_OPENAI_API_KEY', apiVersion: '2024-10-21' } },
 *   models: { chat: { targets: [{ provider: 'azure', model: 'my-gpt-4-1-deployment' }] } },
 * });
 * ```
 */
export const azureOpenAIProvider: ProviderAdapter = {
  ...openaiProvider,

  chatRequest(provider, body, model) {
    const request = openaiProvider.chatRequest(provider, body, model);
    return { path: azurePath(provider, 'chat/completions', model), body: request.body };
  },

  embeddingsRequest(provider, body, model) {
    return { path: azurePath(provider, 'embeddings', model), body: JSON.stringify({ ...body, model }) };
  },
};
