/**
 * @module
 * The GenAI client metrics of the OpenTelemetry semantic conventions, recorded through
 * the metrics API when the host registered a meter provider (a no-op otherwise):
 * `gen_ai.client.token.usage`, `gen_ai.client.operation.duration` and
 * `gen_ai.server.time_to_first_token`. Attributes come from configuration (public model,
 * upstream model, provider, host) and error codes, so their number stays bounded.
 */
import type { Attributes, Histogram } from '@opentelemetry/api';
import type { ResolvedConfig } from '../../config/resolved.js';
import type { RelayEventMap, RelayEvents } from '../../events.js';
import { GEN_AI, providerIdentity, publicModel } from './attributes.js';
import type { OtelApi } from './otel-api.js';

// Bucket boundaries the conventions recommend for each instrument.
const TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];
const DURATION_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
const TTFT_BUCKETS = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0];

/** Records the GenAI metrics from the relay's events; returns the function that stops it. */
export function recordGenAiMetrics(api: OtelApi, events: RelayEvents, config: () => ResolvedConfig, version: string): () => void {
  // The metrics API has no proxy: a meter taken before the host registers its provider
  // stays a no-op. So the instruments follow the global provider, made again if it changes.
  let made: { provider: unknown; tokens: Histogram; duration: Histogram; ttft: Histogram } | undefined;
  const instruments = () => {
    const provider = api.metrics.getMeterProvider();
    if (made?.provider === provider) return made;
    const meter = provider.getMeter('switchyard', version);
    made = {
      provider,
      tokens: meter.createHistogram('gen_ai.client.token.usage', {
        description: 'Number of input and output tokens used.',
        unit: '{token}',
        advice: { explicitBucketBoundaries: TOKEN_BUCKETS },
      }),
      duration: meter.createHistogram('gen_ai.client.operation.duration', {
        description: 'GenAI operation duration.',
        unit: 's',
        advice: { explicitBucketBoundaries: DURATION_BUCKETS },
      }),
      ttft: meter.createHistogram('gen_ai.server.time_to_first_token', {
        description: 'Time to generate the first token for successful responses.',
        unit: 's',
        advice: { explicitBucketBoundaries: TTFT_BUCKETS },
      }),
    };
    return made;
  };
  // Only the operation of each request in flight is kept: the end events say the rest.
  const operations = new Map<string, 'chat' | 'embeddings'>();

  const base = (requestId: string, model: string, provider?: string, upstreamModel?: string): Attributes => {
    const a: Attributes = { [GEN_AI.operation]: operations.get(requestId) ?? 'chat', [GEN_AI.requestModel]: publicModel(model) };
    operations.delete(requestId);
    const resolved = provider === undefined ? undefined : config().providers.get(provider);
    if (resolved) {
      const who = providerIdentity(resolved);
      a[GEN_AI.provider] = who.name;
      a[GEN_AI.serverAddress] = who.address;
      a[GEN_AI.serverPort] = who.port;
    }
    if (upstreamModel !== undefined) a[GEN_AI.responseModel] = upstreamModel;
    return a;
  };
  const finished = (e: RelayEventMap['complete'] | RelayEventMap['abandoned'], errorType?: string) => {
    const { tokens, duration, ttft } = instruments();
    const a = base(e.requestId, e.model, e.provider, e.upstreamModel);
    if (errorType) a[GEN_AI.errorType] = errorType;
    duration.record(e.latencyMs / 1000, a);
    if (e.usage && !('cached' in e && e.cached)) {
      tokens.record(e.usage.prompt_tokens, { ...a, [GEN_AI.tokenType]: 'input' });
      tokens.record(e.usage.completion_tokens, { ...a, [GEN_AI.tokenType]: 'output' });
    }
    if (e.firstTokenMs !== undefined && !errorType) ttft.record(e.firstTokenMs / 1000, a);
  };
  const off = [
    events.on('request', (e) => operations.set(e.requestId, e.endpoint)),
    events.on('complete', (e) => finished(e)),
    events.on('abandoned', (e) => finished(e, 'ERR_SWITCHYARD_CLIENT_CLOSED')),
    events.on('error', (e) => {
      const a = base(e.requestId, e.model, e.provider, e.upstreamModel);
      a[GEN_AI.errorType] = e.code;
      instruments().duration.record(e.latencyMs / 1000, a);
    }),
  ];
  return () => {
    off.forEach((f) => f());
    operations.clear();
  };
}
