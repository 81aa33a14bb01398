/**
 * @module
 * The provider adapter for each provider `type`.
 */
import type { ResolvedProvider } from '../config.js';
import { anthropicProvider } from './anthropic.js';
import { azureOpenAIProvider } from './azure/azure.js';
import { bedrockProvider } from './bedrock/bedrock.js';
import { geminiProvider } from './google/gemini.js';
import { vertexProvider } from './google/vertex.js';
import { openaiProvider } from './openai.js';
import type { ProviderAdapter } from './provider.js';

const adapters: Record<ResolvedProvider['type'], ProviderAdapter> = {
  openai: openaiProvider,
  anthropic: anthropicProvider,
  'azure-openai': azureOpenAIProvider,
  bedrock: bedrockProvider,
  gemini: geminiProvider,
  vertex: vertexProvider,
};

export function adapterFor(type: ResolvedProvider['type']): ProviderAdapter {
  return adapters[type];
}
