/**
 * @module
 * AWS Bedrock (`type: 'bedrock'`). Claude models (ids containing `anthropic.claude`)
 * get Anthropic's own Messages body through InvokeModel, translated by the Anthropic
 * provider's code (`claude-cloud.ts`); every other family, and Claude with
 * `claude: 'converse'`, goes through the Converse API (`converse-*.ts`). Streams are AWS
 * event streams (`event-stream.ts`). Embeddings: Titan and Cohere models through InvokeModel.
 */
import { toMessagesRequest } from '../anthropic-request.js';
import { toChatCompletion } from '../anthropic-response.js';
import { anthropicEventChunks } from '../anthropic-stream.js';
import { bedrockClaudeEvents, bedrockModelPath, claudeOnCloud, isBedrockClaude } from '../claude-cloud.js';
import { withoutUnsignedThinking } from '../../formats/messages/native-request.js';
import type { MessagesRequest } from '../../formats/messages/types.js';
import { betasOf } from '../native.js';
import type { AnswerContext, NativeFormat, ProviderAdapter } from '../provider.js';
import type { ResolvedProvider } from '../../config/resolved.js';
import { converseChunks, converseCompletion } from './converse-response.js';
import { toConverseRequest } from './converse-request.js';
import { bedrockEmbeddings, bedrockEmbeddingsRequest } from './embeddings.js';
import { parseBedrockError } from './errors.js';
import { readEventStream } from './event-stream.js';

/** Whether `model` on `provider` is called with Anthropic's body (InvokeModel). */
function viaInvoke(provider: ResolvedProvider, model: string): boolean {
  return isBedrockClaude(model) && !(provider.cloud?.type === 'bedrock' && provider.cloud.claude === 'converse');
}

const invoked = (context: AnswerContext | undefined) => context !== undefined && viaInvoke(context.provider, context.model);

/** Anthropic's Messages API on Bedrock: the body through InvokeModel, the events unwrapped from AWS's framing. */
const bedrockMessages: NativeFormat = {
  request: (provider, body, model, clientHeaders) =>
    claudeOnCloud(provider, withoutUnsignedThinking(body as unknown as MessagesRequest) as unknown as Record<string, unknown>, model, { betas: betasOf(clientHeaders) }),
  events: (body, maxEventBytes) => bedrockClaudeEvents(readEventStream(body, maxEventBytes)),
};

/**
 * The adapter for `type: 'bedrock'` providers.
 *
 * @example
 * ```ts
 * createRelay({
 *   providers: { aws: { type: 'bedrock', region: 'us-east-1' } },
 *   models: { chat: { targets: [{ provider: 'aws', model: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0' }] } },
 * });
 * ```
 */
export const bedrockProvider: ProviderAdapter = {
  // Claude through InvokeModel takes a Messages client's own body.
  native: (format, provider, model) => (format === 'messages' && viaInvoke(provider, model) ? bedrockMessages : undefined),

  chatRequest(provider, body, model) {
    if (viaInvoke(provider, model)) return claudeOnCloud(provider, toMessagesRequest(body, model, provider.maxTokens), model);
    const path = `${bedrockModelPath(provider, model)}/${body.stream === true ? 'converse-stream' : 'converse'}`;
    return { path, body: JSON.stringify(toConverseRequest(body)) };
  },

  parseError: parseBedrockError,

  completion(raw, context) {
    return invoked(context) ? toChatCompletion(raw) : converseCompletion(raw, context?.model);
  },

  chunks(body, maxEventBytes, context) {
    const messages = readEventStream(body, maxEventBytes);
    return invoked(context) ? anthropicEventChunks(bedrockClaudeEvents(messages)) : converseChunks(messages, context?.model);
  },

  embeddingsRequest: bedrockEmbeddingsRequest,

  embeddings: bedrockEmbeddings,

  streamContentType: 'application/vnd.amazon.eventstream',
};
