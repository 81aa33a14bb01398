/**
 * @module
 * The mock in Gemini API and Vertex AI modes: `models/{model}:generateContent`,
 * `:streamGenerateContent?alt=sse` and embeddings (`:batchEmbedContents` on the Gemini
 * API, `:predict` on Vertex), Claude on Vertex (`publishers/anthropic/...:rawPredict`,
 * `:streamRawPredict`, Anthropic's body and events), and Google's error bodies
 * (`{"error":{"code","message","status"}}`).
 */
import { ANTHROPIC_DIALECT, anthropicPayload } from './anthropic-mock.js';
import { estimatePromptTokens, replyTokens, tokenize } from './openai-mock.js';
import type { MockProtocol, MockRoute, ReplyParts } from './protocol.js';
import type { Dialect, Payload } from './respond.js';

/** Google's status name for an HTTP status. */
export function googleStatus(status: number): string {
  const names: Record<number, string> = {
    400: 'INVALID_ARGUMENT',
    401: 'UNAUTHENTICATED',
    403: 'PERMISSION_DENIED',
    404: 'NOT_FOUND',
    409: 'ABORTED',
    429: 'RESOURCE_EXHAUSTED',
    499: 'CANCELLED',
    500: 'INTERNAL',
    503: 'UNAVAILABLE',
    504: 'DEADLINE_EXCEEDED',
  };
  return names[status] ?? (status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION');
}

/** A Google error body. */
export function googleError(status: number, message: string): object {
  return { error: { code: status, message, status: googleStatus(status) } };
}

export const GOOGLE_DIALECT: Dialect = {
  error: googleError,
  streamError: `data: ${JSON.stringify(googleError(500, 'mock in-stream error'))}\n\n`,
};

function refusal(status: number, message: string): Payload {
  return { type: 'json', status, body: googleError(status, message) };
}

/** What the real API refuses in a `generateContent` body, as its message. */
function invalid(body: Record<string, unknown>): string | undefined {
  if (!Array.isArray(body.contents) || body.contents.length === 0) return '* GenerateContentRequest.contents: contents is not specified';
  for (const [i, c] of (body.contents as Record<string, unknown>[]).entries()) {
    if (c?.role !== 'user' && c?.role !== 'model') return `Please use a valid role: user, model. (contents[${i}])`;
    if (!Array.isArray(c.parts) || c.parts.length === 0) return `* GenerateContentRequest.contents[${i}].parts: contents.parts must not be empty.`;
  }
  return undefined;
}

function promptTokens(body: Record<string, unknown>): number {
  const contents = Array.isArray(body.contents) ? body.contents : [];
  const system = (body.systemInstruction as { parts?: unknown } | undefined)?.parts;
  return estimatePromptTokens([...contents.map((c) => ({ content: (c as { parts?: unknown }).parts })), { content: system }]);
}

function generate(route: MockRoute, body: Record<string, unknown>, reply: ReplyParts): Payload {
  const problem = invalid(body);
  if (problem) return refusal(400, problem);
  let { text, toolCalls } = reply;
  let finishReason = 'STOP';
  const max = (body.generationConfig as { maxOutputTokens?: unknown } | undefined)?.maxOutputTokens;
  if (typeof max === 'number' && replyTokens(text, toolCalls) > max) {
    text = tokenize(text).slice(0, max).join('');
    toolCalls = [];
    finishReason = 'MAX_TOKENS';
  }
  const prompt = promptTokens(body);
  const output = replyTokens(text, toolCalls);
  const usageMetadata = { promptTokenCount: prompt, candidatesTokenCount: output, totalTokenCount: prompt + output };
  const calls = toolCalls.map((c) => ({ functionCall: { name: c.name, args: c.input } }));
  const head = { modelVersion: reply.model, responseId: `mock-response-${reply.n}` };
  if (!route.stream) {
    const parts = [...(text !== '' || calls.length === 0 ? [{ text }] : []), ...calls];
    return { type: 'json', status: 200, body: { candidates: [{ content: { parts, role: 'model' }, finishReason, index: 0 }], usageMetadata, ...head } };
  }
  const event = (parts: object[], last: boolean) =>
    `data: ${JSON.stringify({ candidates: [{ content: { parts, role: 'model' }, ...(last ? { finishReason } : {}), index: 0 }], usageMetadata, ...head })}\r\n\r\n`;
  const pieces: object[][] = tokenize(text).map((token) => [{ text: token }]);
  if (calls.length > 0) pieces.push(calls);
  if (pieces.length === 0) pieces.push([{ text: '' }]);
  return { type: 'sse', frames: pieces.map((parts, i) => event(parts, i === pieces.length - 1)) };
}

function embed(body: Record<string, unknown>, vertex: boolean): Payload {
  const vector = (text: string) => Array.from({ length: 8 }, (_, i) => ((text.length * 31 + i * 17) % 100) / 100);
  if (vertex) {
    if (!Array.isArray(body.instances)) return refusal(400, 'instances: required');
    const predictions = (body.instances as { content?: string }[]).map((x) => ({
      embeddings: { statistics: { token_count: Math.ceil(String(x.content ?? '').length / 4), truncated: false }, values: vector(String(x.content ?? '')) },
    }));
    return { type: 'json', status: 200, body: { predictions } };
  }
  if (!Array.isArray(body.requests)) return refusal(400, '* BatchEmbedContentsRequest.requests: requests is required');
  const embeddings = (body.requests as { content?: { parts?: { text?: string }[] } }[]).map((r) => ({ values: vector(String(r.content?.parts?.[0]?.text ?? '')) }));
  return { type: 'json', status: 200, body: { embeddings } };
}

/** Claude on Vertex: Anthropic's body and events, with Vertex's envelope. */
function claude(route: MockRoute, body: Record<string, unknown>, reply: ReplyParts): Payload {
  if (body.anthropic_version !== 'vertex-2023-10-16') return { type: 'json', status: 400, body: ANTHROPIC_DIALECT.error(400, 'anthropic_version: Input should be vertex-2023-10-16') };
  if ('model' in body) return { type: 'json', status: 400, body: ANTHROPIC_DIALECT.error(400, 'model: Extra inputs are not permitted') };
  return anthropicPayload({ id: `msg_vrtx_mock_${reply.n}`, model: reply.model, text: reply.text, toolCalls: reply.toolCalls }, { ...body, stream: route.stream === true });
}

const unauthenticated = (): Payload => refusal(401, 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.');

/** The Gemini API (AI Studio) under `basePath` (`/v1beta`); requests need `x-goog-api-key`. */
export function geminiProtocol(basePath: string): MockProtocol {
  return {
    basePath,
    toolIdPrefix: 'call',
    route(method, path, query) {
      const m = new RegExp(`^${basePath}/models/([^/:]+):(generateContent|streamGenerateContent|batchEmbedContents)$`).exec(path);
      if (method !== 'POST' || !m) return null;
      const model = decodeURIComponent(m[1]!);
      if (m[2] === 'batchEmbedContents') return { kind: 'embeddings', model };
      return { kind: 'chat', model, stream: m[2] === 'streamGenerateContent' && query.get('alt') === 'sse' };
    },
    dialect: () => GOOGLE_DIALECT,
    authorize: (req) => (req.headers['x-goog-api-key'] === undefined ? refusal(403, "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.") : undefined),
    payload: (route, fields, reply) => (route.kind === 'embeddings' ? embed(fields, false) : generate(route, fields, reply)),
  };
}

/** Vertex AI (`/v1/projects/{p}/locations/{l}/publishers/...`); requests need a bearer token. */
export function vertexProtocol(basePath: string): MockProtocol {
  const pattern = new RegExp(`^${basePath}/v1/projects/[^/]+/locations/[^/]+/publishers/(google|anthropic)/models/([^/:]+):(\\w+)$`);
  return {
    basePath,
    toolIdPrefix: 'toolu',
    route(method, path, query) {
      const m = pattern.exec(path);
      if (method !== 'POST' || !m) return null;
      const [, publisher, id, method_] = m;
      const model = decodeURIComponent(id!);
      if (publisher === 'anthropic' && (method_ === 'rawPredict' || method_ === 'streamRawPredict')) return { kind: 'chat', model, stream: method_ === 'streamRawPredict', api: 'claude' };
      if (publisher === 'google' && method_ === 'predict') return { kind: 'embeddings', model };
      if (publisher === 'google' && (method_ === 'generateContent' || method_ === 'streamGenerateContent')) {
        return { kind: 'chat', model, stream: method_ === 'streamGenerateContent' && query.get('alt') === 'sse', api: 'gemini' };
      }
      return null;
    },
    dialect: (route) => (route?.api === 'claude' ? ANTHROPIC_DIALECT : GOOGLE_DIALECT),
    authorize: (req) => (/^Bearer \S+$/.test(String(req.headers.authorization ?? '')) ? undefined : unauthenticated()),
    payload(route, fields, reply) {
      if (route.kind === 'embeddings') return embed(fields, true);
      return route.api === 'claude' ? claude(route, fields, reply) : generate(route, fields, reply);
    },
  };
}
