/**
 * Chains over the cloud providers: one mock per step, speaking its cloud's protocol,
 * and a relay provider of the matching type with test credentials (Bedrock's requests
 * are signed, and the mock checks the signature).
 */
import { createRelay, type NodeHandlerOptions, type ProviderConfig, type RelayConfig } from 'switchyard';
import { createMockUpstream, type MockAwsCredentials, type MockUpstream, type MockUpstreamOptions } from 'switchyard/testing';
import { serveRelay, type Harness } from './harness.js';

export type CloudProtocol = 'openai' | 'anthropic' | 'azure-openai' | 'bedrock' | 'gemini' | 'vertex';

/** The AWS credentials the relay signs with and the Bedrock mock accepts. */
export const TEST_AWS: MockAwsCredentials = {
  accessKeyId: 'AKIDTESTSWITCHYARD01',
  secretAccessKey: 'test-secret-access-key-0123456789abcdef',
  sessionToken: 'test-session-token-0123456789abcdefghij',
};

/** A step of a chain: a mock of `protocol` and the model the target names. */
export interface Step {
  protocol: CloudProtocol;
  model: string;
  /** Overrides of the relay's provider entry. */
  provider?: Record<string, unknown>;
  mock?: MockUpstreamOptions;
}

/** The provider entry that points a relay at `mock` speaking `protocol`. */
export function providerFor(name: string, protocol: CloudProtocol, mock: MockUpstream, extra: Record<string, unknown> = {}): ProviderConfig {
  const key = `sk-test-${name}-secret`;
  switch (protocol) {
    case 'openai':
    case 'anthropic':
      return { type: protocol, baseURL: mock.url, apiKey: key, ...extra } as ProviderConfig;
    case 'azure-openai':
      return { type: 'azure-openai', baseURL: mock.url, apiKey: key, apiVersion: '2024-10-21', ...extra } as ProviderConfig;
    case 'bedrock':
      return { type: 'bedrock', region: 'us-east-1', baseURL: mock.url, credentials: { ...TEST_AWS }, ...extra } as ProviderConfig;
    case 'gemini':
      return { type: 'gemini', baseURL: mock.url, apiKey: key, ...extra } as ProviderConfig;
    case 'vertex':
      return { type: 'vertex', project: 'test-project', location: 'us-east5', baseURL: mock.url, token: async () => `ya29.test-${name}-token`, ...extra } as ProviderConfig;
  }
}

/** Mocks for `steps` and a relay whose public model `chat` runs them in order. */
export async function startCloudChain(steps: Record<string, Step>, extra: Partial<RelayConfig> = {}, handler: NodeHandlerOptions = {}): Promise<Harness & { config: RelayConfig }> {
  const mocks: Record<string, MockUpstream> = {};
  const providers: RelayConfig['providers'] = {};
  for (const [name, step] of Object.entries(steps)) {
    const sigv4 = step.protocol === 'bedrock' ? { credentials: [TEST_AWS] } : undefined;
    mocks[name] = await createMockUpstream({ name, protocol: step.protocol, sigv4, ...step.mock });
    providers[name] = providerFor(name, step.protocol, mocks[name]!, step.provider);
  }
  const config: RelayConfig = {
    providers,
    models: { chat: { targets: Object.entries(steps).map(([name, step]) => ({ provider: name, model: step.model })) } },
    retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 5 },
    ...extra,
  };
  return { ...(await serveRelay(createRelay(config), mocks, handler)), config };
}
