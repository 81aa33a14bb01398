/**
 * @module
 * OpenAI Embeddings as a format: validation and OpenAI's error envelope. It has no
 * stream and no translation; providers answer it in OpenAI's shape already.
 */
import { toErrorResponse } from '../../errors/index.js';
import type { EmbeddingsBody } from '../../providers/provider.js';
import { validateEmbeddingsBody } from '../../request.js';
import type { FormatBase } from '../format.js';

/** The Embeddings format. */
export const embeddingsFormat: FormatBase<EmbeddingsBody> = {
  name: 'embeddings',
  validate: validateEmbeddingsBody,
  errorResponse: toErrorResponse,
};
