/**
 * @module
 * The provider adapter for each provider `type`.
 */
import type { ResolvedProvider } from '../config.js';
import { anthropicProvider } from './anthropic.js';
import { openaiProvider } from './openai.js';
import type { ProviderAdapter } from './provider.js';

const adapters: Record<ResolvedProvider['type'], ProviderAdapter> = {
  openai: openaiProvider,
  anthropic: anthropicProvider,
};

export function adapterFor(type: ResolvedProvider['type']): ProviderAdapter {
  return adapters[type];
}
