/**
 * @module
 * Embeddings on Bedrock through InvokeModel: Amazon Titan (`amazon.titan-embed-*`, one
 * text per call) and Cohere (`cohere.embed-*`, a batch), answered as OpenAI's `list`.
 */
import type { ResolvedProvider } from '../../config.js';
import { parseJson } from '../anthropic-response.js';
import { BadResponse, type AnswerContext, type Answer, type EmbeddingsBody, type UpstreamRequest } from '../provider.js';
import { isObject, refuse } from '../unsupported.js';
import { bedrockModelPath } from '../claude-cloud.js';

const WHO = 'Bedrock embeddings';

function inputs(body: EmbeddingsBody): string[] {
  const input = body.input;
  if (typeof input === 'string') return [input];
  if (Array.isArray(input) && input.every((x) => typeof x === 'string')) return input as string[];
  refuse(WHO, '`input` must be a string or an array of strings (token arrays are OpenAI token ids).', 'input');
}

const isCohere = (model: string) => /(^|[./:])cohere\.embed/.test(model);

export function bedrockEmbeddingsRequest(provider: ResolvedProvider, body: EmbeddingsBody, model: string): UpstreamRequest {
  const texts = inputs(body);
  const path = `${bedrockModelPath(provider, model)}/invoke`;
  if (isCohere(model)) return { path, body: JSON.stringify({ texts, input_type: 'search_document' }) };
  if (texts.length !== 1) refuse(WHO, 'Titan embeds one text per request; send one `input`.', 'input');
  const out: Record<string, unknown> = { inputText: texts[0] };
  if (typeof body.dimensions === 'number') out.dimensions = body.dimensions;
  return { path, body: JSON.stringify(out) };
}

export function bedrockEmbeddings(raw: Buffer, context?: AnswerContext): Answer {
  const parsed = parseJson(raw.toString('utf8'), 'a body');
  const model = context?.model ?? '';
  let vectors: unknown[];
  let tokens = 0;
  if (Array.isArray(parsed.embeddings)) vectors = parsed.embeddings;
  else if (isObject(parsed.embeddings) && Array.isArray(parsed.embeddings.float)) vectors = parsed.embeddings.float;
  else if (Array.isArray(parsed.embedding)) {
    vectors = [parsed.embedding];
    tokens = typeof parsed.inputTextTokenCount === 'number' ? parsed.inputTextTokenCount : 0;
  } else throw new BadResponse('upstream sent an embeddings answer without embeddings');
  const usage = { prompt_tokens: tokens, completion_tokens: 0 };
  const list = {
    object: 'list',
    data: vectors.map((embedding, index) => ({ object: 'embedding', index, embedding })),
    model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
  return { body: Buffer.from(JSON.stringify(list)), usage };
}
