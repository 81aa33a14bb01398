/**
 * @module
 * Claude on a cloud: Anthropic's Messages body sent to Claude on Bedrock (InvokeModel,
 * InvokeModelWithResponseStream) or on Vertex AI (rawPredict, streamRawPredict). The body
 * is Anthropic's own, so thinking, signatures and `cache_control` survive; only the
 * envelope differs: the model is in the URL, `anthropic_version` names the platform,
 * and on Bedrock the URL (not `stream`) chooses streaming.
 *
 * This is the one path for both front formats: chat completions clients get here
 * through `anthropic-request.ts`, and a Messages client can hand its body over as is.
 * Answers are Anthropic's too: a message (read by `anthropic-response.ts`), SSE on
 * Vertex (`anthropic-stream.ts`), and Anthropic's events wrapped in Bedrock's event
 * stream (`bedrockClaudeEvents`).
 */
import type { ResolvedProvider } from '../config.js';
import { DEFAULTS } from '../options.js';
import { streamFailure } from './bedrock/errors.js';
import type { StreamMessage } from './bedrock/event-stream.js';
import { BadResponse, type UpstreamRequest } from './provider.js';

type Json = Record<string, unknown>;

/** Whether a Bedrock model id (or inference profile or foundation-model ARN) names Claude. */
export function isBedrockClaude(model: string): boolean {
  return /(^|[./:])anthropic\.claude/.test(model);
}

/** Whether a Vertex model id names Claude (`claude-sonnet-4-5@20250929`). */
export function isVertexClaude(model: string): boolean {
  return model.startsWith('claude');
}

/** `/model/{id}` of a Bedrock model, the id escaped (ARNs hold `:` and `/`). */
export function bedrockModelPath(provider: ResolvedProvider, model: string): string {
  return `${provider.basePath}/model/${encodeURIComponent(model)}`;
}

/** The Vertex path of `model` by `publisher` (`google`, `anthropic`). */
export function vertexModelPath(provider: ResolvedProvider, publisher: string, model: string): string {
  const cloud = provider.cloud?.type === 'vertex' ? provider.cloud : undefined;
  if (!cloud) throw new Error('vertexModelPath: not a vertex provider');
  // Vertex writes versions as `model@date`; `@` stays readable in the path.
  const id = encodeURIComponent(model).replace(/%40/g, '@');
  return `${provider.basePath}/v1/projects/${encodeURIComponent(cloud.project)}/locations/${cloud.location}/publishers/${publisher}/models/${id}`;
}

/** Options of {@link claudeOnCloud}. */
export interface ClaudeCloudOptions {
  /** Anthropic beta features (a Messages client's `anthropic-beta` header), sent in the body as the clouds expect. */
  betas?: readonly string[];
}

/**
 * The upstream request for an Anthropic Messages `body` on Claude `model` of a
 * `bedrock` or `vertex` provider. Streams when `body.stream` is true.
 */
export function claudeOnCloud(provider: ResolvedProvider, body: Json, model: string, options: ClaudeCloudOptions = {}): UpstreamRequest {
  const { model: _model, stream, ...rest } = body;
  const streaming = stream === true;
  const out: Json = { ...rest };
  if (options.betas && options.betas.length > 0) out.anthropic_beta = [...options.betas];
  if (provider.cloud?.type === 'bedrock') {
    out.anthropic_version = DEFAULTS.bedrock.anthropicVersion;
    const path = `${bedrockModelPath(provider, model)}/${streaming ? 'invoke-with-response-stream' : 'invoke'}`;
    return { path, body: JSON.stringify(out) };
  }
  if (provider.cloud?.type === 'vertex') {
    out.anthropic_version = DEFAULTS.vertex.anthropicVersion;
    if (streaming) out.stream = true;
    const path = `${vertexModelPath(provider, 'anthropic', model)}:${streaming ? 'streamRawPredict' : 'rawPredict'}`;
    return { path, body: JSON.stringify(out) };
  }
  throw new Error(`claudeOnCloud: provider type ${provider.type} has no Claude endpoint`);
}

/**
 * Anthropic's stream events out of Bedrock's event stream: each `chunk` event carries
 * one event's JSON, base64 in `bytes`. A Messages client can be sent them as SSE as they
 * are; `anthropicEventChunks` translates them for a chat completions client. An
 * exception in the stream is thrown as a {@link BadResponse} carrying Bedrock's error.
 */
export async function* bedrockClaudeEvents(messages: AsyncIterable<StreamMessage>): AsyncGenerator<{ event?: string; data: string }> {
  for await (const m of messages) {
    if (m.messageType !== 'event') throw streamFailure(m);
    if (m.type !== 'chunk') continue;
    let bytes: unknown;
    try {
      bytes = (JSON.parse(m.payload) as Json).bytes;
    } catch {
      throw new BadResponse('upstream sent a chunk event that is not JSON');
    }
    if (typeof bytes !== 'string') throw new BadResponse('upstream sent a chunk event without bytes');
    yield { data: Buffer.from(bytes, 'base64').toString('utf8') };
  }
}
