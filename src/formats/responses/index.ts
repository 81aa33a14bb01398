/**
 * @module
 * The OpenAI Responses API as a format: `POST {prefix}/responses`, plus the conversation
 * state behind `previous_response_id` and the stored-response routes.
 */
import type { ClientFormat } from '../format.js';
import { responseFromChat } from './answer.js';
import { responsesErrorResponse } from './errors.js';
import { responsesIsContent, responsesNativeError, responsesUsageMeter, responsesWatch } from './native.js';
import { validateResponsesRequest } from './request.js';
import { responsesStream } from './stream.js';
import { responsesToChat } from './to-chat.js';
import type { ResponsesRequest } from './types.js';

/** The Responses format. */
export const responsesFormat: ClientFormat<ResponsesRequest> = {
  name: 'responses',
  validate: validateResponsesRequest,
  toChat: responsesToChat,
  fromChatCompletion: responseFromChat,
  fromChatStream: responsesStream,
  errorResponse: responsesErrorResponse,
  isContent: responsesIsContent,
  nativeError: responsesNativeError,
  nativeUsage: responsesUsageMeter,
  nativeWatch: responsesWatch,
  nativeHeaders: [],
};

export { responsesStream, type ResponsesStreamConverter } from './stream.js';
export { ResponseNotFoundError } from './errors.js';
export { ResponseStateStore, type ResponseStateOptions, type StoredResponse } from './state.js';
export { loadConversation, inputItems, type Conversation } from './conversation.js';
export { getStoredResponse, deleteStoredResponse, type StoredAnswer } from './stored.js';
export type { ResponsesRequest, ResponseObject, ResponseItem, ResponseUsage } from './types.js';
