/**
 * @module
 * Embeddings on Google: the Gemini API's `batchEmbedContents` and Vertex AI's `predict`,
 * answered as OpenAI's `list`.
 */
import { parseJson } from '../anthropic-response.js';
import { BadResponse, type Answer, type AnswerContext, type EmbeddingsBody } from '../provider.js';
import { isObject, refuse } from '../unsupported.js';

type Json = Record<string, unknown>;

/** The texts to embed. */
export function embeddingInputs(body: EmbeddingsBody, who: string): string[] {
  const input = body.input;
  if (typeof input === 'string') return [input];
  if (Array.isArray(input) && input.every((x) => typeof x === 'string')) return input as string[];
  refuse(who, '`input` must be a string or an array of strings (token arrays are OpenAI token ids).', 'input');
}

/** The `batchEmbedContents` body. */
export function geminiEmbeddingsBody(body: EmbeddingsBody, model: string): Json {
  const dimensions = typeof body.dimensions === 'number' ? { outputDimensionality: body.dimensions } : {};
  return { requests: embeddingInputs(body, 'Gemini').map((text) => ({ model: `models/${model}`, content: { parts: [{ text }] }, ...dimensions })) };
}

/** The Vertex `predict` body of a text embedding model. */
export function vertexEmbeddingsBody(body: EmbeddingsBody): Json {
  const out: Json = { instances: embeddingInputs(body, 'Vertex AI').map((content) => ({ content })) };
  if (typeof body.dimensions === 'number') out.parameters = { outputDimensionality: body.dimensions };
  return out;
}

function list(vectors: unknown[], tokens: number, model: string): Answer {
  const body = {
    object: 'list',
    data: vectors.map((embedding, index) => ({ object: 'embedding', index, embedding })),
    model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
  return { body: Buffer.from(JSON.stringify(body)), usage: { prompt_tokens: tokens, completion_tokens: 0 } };
}

/** A `batchEmbedContents` answer (`{embeddings: [{values}]}`), or a Vertex `predict` one (`{predictions: [{embeddings: {values, statistics}}]}`). */
export function googleEmbeddings(raw: Buffer, context?: AnswerContext): Answer {
  const parsed = parseJson(raw.toString('utf8'), 'a body');
  const model = context?.model ?? '';
  if (Array.isArray(parsed.embeddings)) return list(parsed.embeddings.map((e) => (e as Json | null)?.values), 0, model);
  if (Array.isArray(parsed.predictions)) {
    let tokens = 0;
    const vectors = parsed.predictions.map((p) => {
      const e = isObject(p) && isObject(p.embeddings) ? p.embeddings : {};
      const count = isObject(e.statistics) ? e.statistics.token_count : undefined;
      if (typeof count === 'number') tokens += count;
      return e.values;
    });
    return list(vectors, tokens, model);
  }
  throw new BadResponse('upstream sent an embeddings answer without embeddings');
}
