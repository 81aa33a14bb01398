/**
 * @module
 * The healthy payloads of the mock, shaped like the real OpenAI API so that
 * client code cannot tell the difference: chat completions (JSON and SSE),
 * model list, embeddings and error envelopes.
 */

/** What a healthy chat completion is made of. */
export interface CompletionParts {
  /** `chatcmpl-mock-<n>` */
  id: string;
  /** Unix seconds. */
  created: number;
  model: string;
  reply: string;
  /** Tool calls after the reply text, ids resolved. */
  toolCalls: { id: string; name: string; input: Record<string, unknown> }[];
  promptTokens: number;
}

/** An OpenAI error envelope, the body of every non-2xx answer. */
export interface ErrorEnvelope {
  error: { message: string; type: string; code: string | null; param: string | null };
}

/**
 * Build an OpenAI error envelope.
 * @example errorEnvelope('mock error 503', 'server_error')
 */
export function errorEnvelope(
  message: string,
  type: string,
  code: string | null = null,
  param: string | null = null,
): ErrorEnvelope {
  return { error: { message, type, code, param } };
}

/** The `error.type` OpenAI uses for a status. */
export function errorTypeForStatus(status: number): string {
  if (status === 429) return 'rate_limit_error';
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status >= 400 && status < 500) return 'invalid_request_error';
  return 'server_error';
}

/**
 * Split a reply into word tokens that keep their leading whitespace
 * (`"Hello world"` -> `["Hello", " world"]`); trailing whitespace becomes a
 * token of its own, so `tokens.join('') === reply` always holds.
 */
export function tokenize(reply: string): string[] {
  return reply.match(/\s*\S+|\s+/g) ?? [];
}

/**
 * Prompt token estimate: ceil(total characters of message text / 4), the
 * usual rule of thumb for English. String contents count whole; array
 * contents count their `text` parts; anything else counts zero.
 */
export function estimatePromptTokens(messages: unknown): number {
  if (!Array.isArray(messages)) return 0;
  let chars = 0;
  for (const message of messages) {
    chars += textLength((message as { content?: unknown } | null)?.content);
  }
  return Math.ceil(chars / 4);
}

function textLength(content: unknown): number {
  if (typeof content === 'string') return content.length;
  if (!Array.isArray(content)) return 0;
  let chars = 0;
  for (const part of content) {
    const text = (part as { text?: unknown } | null)?.text;
    if (typeof text === 'string') chars += text.length;
  }
  return chars;
}

/** Word tokens of the reply text and of each tool call's JSON arguments. */
export function replyTokens(text: string, toolCalls: { input: unknown }[]): number {
  return toolCalls.reduce((n, call) => n + tokenize(JSON.stringify(call.input)).length, tokenize(text).length);
}

function usage(p: CompletionParts) {
  const completion = replyTokens(p.reply, p.toolCalls);
  return {
    prompt_tokens: p.promptTokens,
    completion_tokens: completion,
    total_tokens: p.promptTokens + completion,
  };
}

/** The non-streaming `chat.completion` object. */
export function chatCompletion(p: CompletionParts): object {
  const toolCalls = p.toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: JSON.stringify(c.input) } }));
  return {
    id: p.id,
    object: 'chat.completion',
    created: p.created,
    model: p.model,
    choices: [
      {
        index: 0,
        message: toolCalls.length > 0
          ? { role: 'assistant', content: p.reply === '' ? null : p.reply, refusal: null, tool_calls: toolCalls }
          : { role: 'assistant', content: p.reply, refusal: null },
        logprobs: null,
        finish_reason: toolCalls.length > 0 ? 'tool_calls' : 'stop',
      },
    ],
    usage: usage(p),
  };
}

/** One SSE frame: `data: <json or string>\n\n`. */
export function sseFrame(data: unknown): string {
  return `data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
}

/**
 * The SSE frames of a streamed completion: role preamble, one chunk per
 * token, per tool call a start chunk and two argument chunks, the finish
 * chunk, the usage chunk (only when asked for) and `[DONE]`. As OpenAI does,
 * every chunk carries `usage: null` when usage was asked for, and only the
 * last one before `[DONE]` has the numbers.
 */
export function chatCompletionFrames(p: CompletionParts, includeUsage: boolean): string[] {
  const chunk = (choices: object[], extra?: object) =>
    sseFrame({
      id: p.id,
      object: 'chat.completion.chunk',
      created: p.created,
      model: p.model,
      choices,
      ...(includeUsage ? { usage: null } : {}),
      ...extra,
    });
  const choice = (delta: object, finish: string | null) => ({
    index: 0,
    delta,
    logprobs: null,
    finish_reason: finish,
  });
  const frames = [chunk([choice({ role: 'assistant', content: '', refusal: null }, null)])];
  for (const token of tokenize(p.reply)) frames.push(chunk([choice({ content: token }, null)]));
  p.toolCalls.forEach((call, index) => {
    const start = { index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } };
    frames.push(chunk([choice({ tool_calls: [start] }, null)]));
    for (const piece of halves(JSON.stringify(call.input))) {
      frames.push(chunk([choice({ tool_calls: [{ index, function: { arguments: piece } }] }, null)]));
    }
  });
  frames.push(chunk([choice({}, p.toolCalls.length > 0 ? 'tool_calls' : 'stop')]));
  if (includeUsage) frames.push(chunk([], { usage: usage(p) }));
  frames.push(sseFrame('[DONE]'));
  return frames;
}

/** A string in two pieces, as streamed tool arguments arrive in fragments. */
export function halves(text: string): string[] {
  const at = Math.ceil(text.length / 2);
  return [text.slice(0, at), text.slice(at)];
}

// A fixed date keeps model listings identical across runs.
const MODEL_CREATED = 1_700_000_000;

/** The `GET /models` list. */
export function modelList(models: readonly string[]): object {
  return {
    object: 'list',
    data: models.map((id) => ({ id, object: 'model', created: MODEL_CREATED, owned_by: 'mock' })),
  };
}

/**
 * The embeddings answer for a string or string array `input`, or an error
 * envelope (status 400) for anything else. Each vector is 8 floats derived
 * from the input text alone, so equal inputs get equal vectors.
 */
export function embeddingList(body: {
  input?: unknown;
  model?: unknown;
}, fallbackModel: string): { status: number; body: object } {
  const input = body.input;
  const inputs = typeof input === 'string' ? [input] : input;
  if (!Array.isArray(inputs) || !inputs.every((x): x is string => typeof x === 'string')) {
    const message = "'input' must be a string or an array of strings";
    return { status: 400, body: errorEnvelope(message, 'invalid_request_error', null, 'input') };
  }
  const promptTokens = Math.ceil(inputs.reduce((n, s) => n + s.length, 0) / 4);
  return {
    status: 200,
    body: {
      object: 'list',
      data: inputs.map((text, index) => ({ object: 'embedding', index, embedding: vectorOf(text) })),
      model: typeof body.model === 'string' ? body.model : fallbackModel,
      usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
    },
  };
}

function vectorOf(text: string): number[] {
  // FNV-1a seeds an xorshift generator: cheap, stable, no dependency.
  let seed = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) seed = Math.imul(seed ^ text.charCodeAt(i), 0x01000193);
  const out: number[] = [];
  for (let i = 0; i < 8; i++) {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    out.push(Math.round(((seed >>> 0) / 0x1_0000_0000) * 2e6 - 1e6) / 1e6);
  }
  return out;
}
