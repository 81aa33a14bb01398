/**
 * @module
 * The mock's protocol for its options.
 */
import { azureProtocol } from './azure-mock.js';
import { bedrockProtocol } from './bedrock-mock.js';
import { geminiProtocol, vertexProtocol } from './google-mock.js';
import { anthropicProtocol, openaiProtocol, type MockProtocol } from './protocol.js';
import type { MockUpstreamOptions } from './types.js';

/** Default path prefix of each protocol: where its real API's paths start. */
const BASE_PATHS: Record<NonNullable<MockUpstreamOptions['protocol']>, string> = {
  openai: '/v1',
  anthropic: '/v1',
  'azure-openai': '',
  bedrock: '',
  gemini: '/v1beta',
  vertex: '',
};

export function protocolFor(options: MockUpstreamOptions, normalise: (path: string) => string): MockProtocol {
  const kind = options.protocol ?? 'openai';
  const basePath = normalise(options.basePath ?? BASE_PATHS[kind]);
  switch (kind) {
    case 'openai':
      return openaiProtocol(basePath);
    case 'anthropic':
      return anthropicProtocol(basePath);
    case 'azure-openai':
      return azureProtocol(basePath);
    case 'bedrock':
      return bedrockProtocol(basePath, options.sigv4);
    case 'gemini':
      return geminiProtocol(basePath);
    case 'vertex':
      return vertexProtocol(basePath);
  }
}
