/**
 * @module
 * The Anthropic Messages API as a format: `POST {prefix}/messages`, its token count
 * estimate and its model list.
 */
import type { ClientFormat } from '../format.js';
import { messageFromChat } from './answer.js';
import { messagesErrorResponse } from './errors.js';
import { messagesIsContent, messagesNativeError, messagesUsageMeter, messagesWatch } from './native.js';
import { validateMessagesRequest } from './request.js';
import { messagesStream } from './stream.js';
import { messagesToChat } from './to-chat.js';
import type { MessagesRequest } from './types.js';

/** The Messages format. */
export const messagesFormat: ClientFormat<MessagesRequest> = {
  name: 'messages',
  validate: validateMessagesRequest,
  toChat: messagesToChat,
  fromChatCompletion: messageFromChat,
  fromChatStream: messagesStream,
  errorResponse: messagesErrorResponse,
  isContent: messagesIsContent,
  nativeError: messagesNativeError,
  nativeUsage: messagesUsageMeter,
  nativeWatch: messagesWatch,
  // Versions and betas change what Anthropic accepts and sends; the client chose them.
  nativeHeaders: ['anthropic-version', 'anthropic-beta'],
};

export { countTokens } from './count-tokens.js';
export { withoutUnsignedThinking } from './native-request.js';
export { validateMessagesRequest } from './request.js';
export { anthropicModelList, type ModelListOptions } from './models.js';
export { anthropicError, anthropicErrorType, anthropicStatus } from './errors.js';
export type { MessagesRequest, MessageParam, ContentBlock, MessageUsage } from './types.js';
