/**
 * @module
 * The mock in Bedrock mode: `POST /model/{id}/converse`, `/converse-stream`, `/invoke` and
 * `/invoke-with-response-stream` (Claude with Anthropic's body, Titan and Cohere
 * embeddings), streams in AWS event-stream framing, errors as Bedrock sends them
 * (`{"message"}` with the type in `x-amzn-errortype`), and optionally a real check of
 * each request's SigV4 signature.
 */
import { anthropicPayload } from './anthropic-mock.js';
import { corrupt, eventFrame, exceptionFrame, splitEventStream } from './event-stream-frames.js';
import { estimatePromptTokens, halves, replyTokens, tokenize } from './openai-mock.js';
import type { MockProtocol, MockRoute, ReplyParts } from './protocol.js';
import type { Dialect, Payload } from './respond.js';
import { checkSignature, type MockAwsCredentials } from './sigv4-check.js';

/** Bedrock's exception name for an HTTP status. */
export function bedrockErrorType(status: number): string {
  switch (status) {
    case 400:
      return 'ValidationException';
    case 401:
    case 403:
      return 'AccessDeniedException';
    case 404:
      return 'ResourceNotFoundException';
    case 408:
      return 'ModelTimeoutException';
    case 424:
      return 'ModelErrorException';
    case 429:
      return 'ThrottlingException';
    case 503:
      return 'ServiceUnavailableException';
    default:
      return status >= 500 ? 'InternalServerException' : 'ValidationException';
  }
}

/** The `x-amzn-errortype` value Bedrock sends for `type`. */
export function bedrockErrorHeader(type: string): Record<string, string> {
  return { 'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/` };
}

export const BEDROCK_DIALECT: Dialect = {
  error: (_status, message) => ({ message }),
  errorHeaders: (status) => bedrockErrorHeader(bedrockErrorType(status)),
  streamError: exceptionFrame('internalServerException', 'mock in-stream error'),
  streamContentType: 'application/vnd.amazon.eventstream',
  splitFrames: splitEventStream,
  malformedFrame: (first) => corrupt(Buffer.from(first)),
};

const CONVERSE_KEYS = new Set(['messages', 'system', 'inferenceConfig', 'toolConfig', 'additionalModelRequestFields', 'guardrailConfig', 'additionalModelResponseFieldPaths', 'requestMetadata', 'performanceConfig', 'promptVariables']);

function refusal(message: string, status = 400): Payload {
  return { type: 'json', status, body: { message }, headers: bedrockErrorHeader(bedrockErrorType(status)) };
}

/** What the real Converse API refuses in a body, as its message. */
function invalidConverse(body: Record<string, unknown>): string | undefined {
  for (const key of Object.keys(body)) if (!CONVERSE_KEYS.has(key)) return `extraneous key [${key}] is not permitted`;
  if (!Array.isArray(body.messages) || body.messages.length === 0) return 'A conversation must start with a user message.';
  for (const [i, m] of (body.messages as Record<string, unknown>[]).entries()) {
    if (m?.role !== 'user' && m?.role !== 'assistant') return `messages.${i}.role: must be user or assistant`;
    if (!Array.isArray(m.content) || m.content.length === 0) {
      return `The content field in the Message object at messages.${i} is empty. Add a ContentBlock object to the content field and try again.`;
    }
    for (const block of m.content as Record<string, unknown>[]) {
      if (typeof block?.text === 'string' && block.text.trim() === '') return `The text field in the ContentBlock object at messages.${i} is blank.`;
    }
  }
  const uses = JSON.stringify(body.messages).includes('"toolUse"');
  if (uses && body.toolConfig === undefined) return 'The toolConfig field must be defined when using toolUse and toolResult content blocks.';
  return undefined;
}

function converse(route: MockRoute, body: Record<string, unknown>, reply: ReplyParts): Payload {
  const problem = invalidConverse(body);
  if (problem) return refusal(problem);
  let { text, toolCalls } = reply;
  let stopReason = toolCalls.length > 0 ? 'tool_use' : 'end_turn';
  const max = (body.inferenceConfig as { maxTokens?: unknown } | undefined)?.maxTokens;
  if (typeof max === 'number' && replyTokens(text, toolCalls) > max) {
    text = tokenize(text).slice(0, max).join('');
    toolCalls = [];
    stopReason = 'max_tokens';
  }
  const inputTokens = estimatePromptTokens(body.messages);
  const outputTokens = replyTokens(text, toolCalls);
  const usage = { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens };
  const tools = toolCalls.map((c) => ({ toolUse: { toolUseId: c.id, name: c.name, input: c.input } }));
  if (!route.stream) {
    const content = [...(text !== '' || tools.length === 0 ? [{ text }] : []), ...tools];
    return { type: 'json', status: 200, body: { output: { message: { role: 'assistant', content } }, stopReason, usage, metrics: { latencyMs: 1 } } };
  }
  // Bedrock pads each event with a `p` field so its length says nothing about the content.
  const p = 'abcdefghijkl';
  const frames = [eventFrame('messageStart', { p, role: 'assistant' })];
  let index = 0;
  if (text !== '' || tools.length === 0) {
    for (const token of tokenize(text)) frames.push(eventFrame('contentBlockDelta', { contentBlockIndex: index, delta: { text: token }, p }));
    frames.push(eventFrame('contentBlockStop', { contentBlockIndex: index++, p }));
  }
  for (const { toolUse } of tools) {
    frames.push(eventFrame('contentBlockStart', { contentBlockIndex: index, start: { toolUse: { toolUseId: toolUse.toolUseId, name: toolUse.name } }, p }));
    for (const piece of halves(JSON.stringify(toolUse.input))) frames.push(eventFrame('contentBlockDelta', { contentBlockIndex: index, delta: { toolUse: { input: piece } }, p }));
    frames.push(eventFrame('contentBlockStop', { contentBlockIndex: index++, p }));
  }
  frames.push(eventFrame('messageStop', { p, stopReason }));
  frames.push(eventFrame('metadata', { metrics: { latencyMs: 1 }, p, usage }));
  return { type: 'sse', frames, contentType: 'application/vnd.amazon.eventstream' };
}

/** Claude through InvokeModel: Anthropic's body with Bedrock's envelope. */
function claude(route: MockRoute, body: Record<string, unknown>, reply: ReplyParts): Payload {
  if (body.anthropic_version !== 'bedrock-2023-05-31') return refusal('anthropic_version: must be bedrock-2023-05-31');
  for (const key of ['model', 'stream']) if (key in body) return refusal(`extraneous key [${key}] is not permitted`);
  const answer = anthropicPayload({ id: `msg_bdrk_mock_${reply.n}`, model: reply.model, text: reply.text, toolCalls: reply.toolCalls }, { ...body, stream: route.stream === true });
  if (answer.type === 'json') {
    if (answer.status !== 200) return refusal((answer.body as { error: { message: string } }).error.message, answer.status);
    return answer;
  }
  // Each Anthropic event, base64 in a `chunk` event; message_stop carries Bedrock's metrics.
  const frames = answer.frames.map((frame) => {
    const data = JSON.parse(String(frame).split('data: ')[1]!) as Record<string, unknown>;
    if (data.type === 'message_stop') data['amazon-bedrock-invocationMetrics'] = { inputTokenCount: estimatePromptTokens(body.messages), outputTokenCount: replyTokens(reply.text, reply.toolCalls), invocationLatency: 1, firstByteLatency: 1 };
    return eventFrame('chunk', { bytes: Buffer.from(JSON.stringify(data)).toString('base64'), p: 'abcd' });
  });
  return { type: 'sse', frames, contentType: 'application/vnd.amazon.eventstream' };
}

function embeddings(route: MockRoute, body: Record<string, unknown>): Payload {
  const vector = (text: string) => Array.from({ length: 8 }, (_, i) => ((text.length * 31 + i * 17) % 100) / 100);
  if (/cohere\.embed/.test(route.model ?? '')) {
    if (!Array.isArray(body.texts)) return refusal('texts: required');
    return { type: 'json', status: 200, body: { id: 'mock', embeddings: (body.texts as string[]).map(vector), response_type: 'embeddings_floats', texts: body.texts } };
  }
  if (typeof body.inputText !== 'string') return refusal('inputText: required');
  return { type: 'json', status: 200, body: { embedding: vector(body.inputText), inputTextTokenCount: Math.ceil(body.inputText.length / 4) } };
}

/** Bedrock's runtime API; with `credentials`, each request's SigV4 signature is checked. */
export function bedrockProtocol(basePath: string, sigv4?: { credentials: readonly MockAwsCredentials[]; region?: string }): MockProtocol {
  return {
    basePath,
    toolIdPrefix: 'tooluse',
    route(method, path) {
      const m = new RegExp(`^${basePath}/model/([^/]+)/(converse|converse-stream|invoke|invoke-with-response-stream)$`).exec(path);
      if (method !== 'POST' || !m) return null;
      const model = decodeURIComponent(m[1]!);
      const stream = m[2]!.endsWith('stream');
      if (m[2]!.startsWith('converse')) return { kind: 'chat', model, stream, api: 'converse' };
      if (/embed/.test(model) && !stream) return { kind: 'embeddings', model, api: 'embed' };
      return { kind: 'chat', model, stream, api: 'claude' };
    },
    dialect: () => BEDROCK_DIALECT,
    async authorize(req, _route, rawBody) {
      if (!sigv4) {
        if (req.headers.authorization === undefined) return refusal('Missing Authentication Token', 403);
        return undefined;
      }
      if (typeof req.headers.authorization === 'string' && req.headers.authorization.startsWith('Bearer ')) return undefined;
      const problem = await checkSignature(req.method, req.path, req.query, req.headers, rawBody, sigv4.credentials, sigv4.region ?? 'us-east-1');
      if (!problem) return undefined;
      return { type: 'json', status: 403, body: { message: problem.message }, headers: bedrockErrorHeader(problem.type) };
    },
    payload(route, fields, reply) {
      if (route.api === 'converse') return converse(route, fields, reply);
      if (route.api === 'embed') return embeddings(route, fields);
      if (!/anthropic\.claude/.test(route.model ?? '')) return refusal('The provided model identifier is invalid.');
      return claude(route, fields, reply);
    },
  };
}
