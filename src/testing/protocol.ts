/**
 * @module
 * What the mock needs to speak one provider's wire protocol: which requests are
 * completions (and for which model, streamed or not), the healthy answer to each, and
 * how that protocol words its errors. Faults (`respond.ts`) apply alike to every protocol.
 */
import { ANTHROPIC_DIALECT, anthropicModelList, anthropicPayload } from './anthropic-mock.js';
import { chatCompletion, chatCompletionFrames, embeddingList, estimatePromptTokens, modelList } from './openai-mock.js';
import { OPENAI_DIALECT, type Dialect, type Payload } from './respond.js';
import { RESPONSES_DIALECT, responsesPayload } from './responses-mock.js';
import type { MockRequest } from './types.js';

/** A request the protocol recognised. */
export interface MockRoute {
  kind: 'chat' | 'responses' | 'embeddings' | 'count_tokens' | 'models';
  /** The model named in the URL, for protocols that put it there. */
  model?: string;
  /** Streaming chosen by the URL (Bedrock, Gemini, Vertex), else by the body's `stream`. */
  stream?: boolean;
  /** Which of the protocol's APIs (`converse`, `invoke`, `claude`, ...). */
  api?: string;
}

/** The reply a healthy answer carries, tool call ids resolved. */
export interface ReplyParts {
  /** 1-based request number, for ids. */
  n: number;
  model: string;
  text: string;
  toolCalls: { id: string; name: string; input: Record<string, unknown> }[];
}

/** One wire protocol of the mock. */
export interface MockProtocol {
  /** Path prefix used when the options give none. */
  basePath: string;
  /** The prefix of tool call ids (`call`, `toolu`, `tooluse`). */
  toolIdPrefix: string;
  route(method: string, path: string, query: URLSearchParams): MockRoute | null;
  /** How errors of `route` (null: an unknown URL) are worded. */
  dialect(route: MockRoute | null): Dialect;
  /** A refusal before the healthy answer (missing credentials, a bad signature), if any. */
  authorize?(req: MockRequest, route: MockRoute, rawBody: string): Payload | undefined | Promise<Payload | undefined>;
  /** The healthy answer to a completion request with a JSON object body. */
  payload(route: MockRoute, fields: Record<string, unknown>, reply: ReplyParts): Payload;
  /** The model list, for protocols that serve one. */
  models?(models: readonly string[]): unknown;
}

/** OpenAI's chat completions API under `basePath`. */
export function openaiProtocol(basePath: string): MockProtocol {
  return {
    basePath,
    toolIdPrefix: 'call',
    route(method, path) {
      if (method === 'POST' && path === `${basePath}/chat/completions`) return { kind: 'chat' };
      if (method === 'POST' && path === `${basePath}/responses`) return { kind: 'responses' };
      if (method === 'POST' && path === `${basePath}/embeddings`) return { kind: 'embeddings' };
      if (method === 'GET' && path === `${basePath}/models`) return { kind: 'models' };
      return null;
    },
    dialect: (route) => (route?.kind === 'responses' ? RESPONSES_DIALECT : OPENAI_DIALECT),
    payload: openaiPayload,
    models: modelList,
  };
}

/** The healthy OpenAI answer (also Azure's). */
export function openaiPayload(route: MockRoute, fields: Record<string, unknown>, reply: ReplyParts): Payload {
  if (route.kind === 'embeddings') return { type: 'json', ...embeddingList(fields, reply.model) };
  if (route.kind === 'responses') {
    return responsesPayload({ id: `resp_mock_${reply.n}`, model: reply.model, text: reply.text, toolCalls: reply.toolCalls, createdAt: Math.floor(Date.now() / 1000) }, fields);
  }
  const parts = {
    id: `chatcmpl-mock-${reply.n}`,
    created: Math.floor(Date.now() / 1000),
    model: reply.model,
    reply: reply.text,
    toolCalls: reply.toolCalls,
    promptTokens: estimatePromptTokens(fields.messages),
  };
  if (fields.stream !== true) return { type: 'json', status: 200, body: chatCompletion(parts) };
  const options = fields.stream_options as { include_usage?: unknown } | undefined;
  return { type: 'sse', frames: chatCompletionFrames(parts, options?.include_usage === true) };
}

/** Anthropic's Messages API under `basePath`. */
export function anthropicProtocol(basePath: string): MockProtocol {
  return {
    basePath,
    toolIdPrefix: 'toolu',
    route(method, path) {
      if (method === 'POST' && path === `${basePath}/messages`) return { kind: 'chat' };
      if (method === 'POST' && path === `${basePath}/messages/count_tokens`) return { kind: 'count_tokens' };
      if (method === 'GET' && path === `${basePath}/models`) return { kind: 'models' };
      return null;
    },
    dialect: () => ANTHROPIC_DIALECT,
    payload: (_route, fields, reply) => anthropicPayload({ id: `msg_mock_${reply.n}`, model: reply.model, text: reply.text, toolCalls: reply.toolCalls }, fields),
    models: anthropicModelList,
  };
}
