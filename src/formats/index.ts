/**
 * @module
 * Every inbound format, by name, and what the routes need from the formats layer.
 */
import { chatFormat } from './chat/index.js';
import { embeddingsFormat } from './embeddings/index.js';
import { messagesFormat } from './messages/index.js';
import { responsesFormat } from './responses/index.js';

/** The formats by name; the generative ones are {@link ClientFormat}s. */
export const formats = {
  chat: chatFormat,
  responses: responsesFormat,
  messages: messagesFormat,
  embeddings: embeddingsFormat,
} as const;

export type { ClientFormat, FormatBase, FormatName, AnswerContext, StreamConverter, UsageMeter, NativeStreamError, FormatErrorResponse } from './format.js';
export { UnsupportedFeature, isUnsupportedFeature } from './unsupported.js';
export { chatFormat, embeddingsFormat, messagesFormat, responsesFormat };
export * from './responses/index.js';
export * from './messages/index.js';
