/**
 * @module
 * How OpenAI's reasoning models (o1, o3, o4-mini, gpt-5) answer parameters they do not
 * take: 400 with `unsupported_parameter` (`max_tokens`, penalties, log probabilities) or
 * `unsupported_value` (a sampling value other than the default), in OpenAI's words.
 */
import { errorEnvelope, type ErrorEnvelope } from './openai-mock.js';

/** Parameters refused outright, with OpenAI's message for each. */
const REFUSED: Record<string, string> = {
  max_tokens: "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
  presence_penalty: "Unsupported parameter: 'presence_penalty' is not supported with this model.",
  frequency_penalty: "Unsupported parameter: 'frequency_penalty' is not supported with this model.",
  logprobs: "Unsupported parameter: 'logprobs' is not supported with this model.",
  top_logprobs: "Unsupported parameter: 'top_logprobs' is not supported with this model.",
  logit_bias: "Unsupported parameter: 'logit_bias' is not supported with this model.",
};

/** Sampling parameters that only take their default value (1). */
const DEFAULT_ONLY = ['temperature', 'top_p'];

/** OpenAI's 400 for the first parameter in `body` a reasoning model refuses, or undefined. */
export function reasoningRefusal(body: Record<string, unknown>): ErrorEnvelope | undefined {
  for (const [param, message] of Object.entries(REFUSED)) {
    if (body[param] !== undefined && body[param] !== null) return errorEnvelope(message, 'invalid_request_error', 'unsupported_parameter', param);
  }
  for (const param of DEFAULT_ONLY) {
    const value = body[param];
    if (value !== undefined && value !== null && value !== 1) {
      return errorEnvelope(`Unsupported value: '${param}' does not support ${String(value)} with this model. Only the default (1) value is supported.`, 'invalid_request_error', 'unsupported_value', param);
    }
  }
  return undefined;
}
