/**
 * @module
 * Bedrock's errors in the relay's terms. Bedrock names the error in the
 * `x-amzn-errortype` header (`ThrottlingException:http://internal.amazon.com/...`) and
 * puts only `{"message": ...}` in the body; inside an event stream the name is the
 * `:exception-type` header, in lower camel case (`throttlingException`).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { FailureKind } from '../../errors/index.js';
import { BadResponse, type UpstreamError } from '../provider.js';
import type { StreamMessage } from './event-stream.js';

// The relay's words for Bedrock's "prompt too large" ValidationExceptions.
const CONTEXT = /input is too long|prompt is too long|too many input tokens|context (length|window|limit)|input length and `?max_tokens`? exceed/i;

/** The failure kind of a Bedrock exception, when its name says more than its status. */
function kindOf(name: string, message: string): FailureKind | undefined {
  switch (name.toLowerCase()) {
    case 'throttlingexception':
    case 'servicequotaexceededexception':
      return 'rate_limit';
    // ModelNotReadyException comes as a 429, but the model is loading: a server problem.
    case 'modelnotreadyexception':
    case 'serviceunavailableexception':
    case 'internalserverexception':
    case 'modelstreamerrorexception':
    case 'modelerrorexception':
      return 'server';
    case 'modeltimeoutexception':
      return 'timeout';
    case 'validationexception':
      return CONTEXT.test(message) ? 'context_length' : 'bad_request';
    case 'accessdeniedexception':
    case 'unrecognizedclientexception':
    case 'invalidsignatureexception':
    case 'incompletesignatureexception':
    case 'missingauthenticationtokenexception':
    case 'expiredtokenexception':
      return 'auth';
    default:
      return undefined;
  }
}

/**
 * AWS echoes parts of a bad request's signature in some errors; the relay's own key and
 * token are redacted by value, and these patterns catch signatures and key ids too.
 */
export function scrubAws(text: string): string {
  return text.replace(/Signature=[0-9a-f]{16,}/gi, 'Signature=[redacted]').replace(/Credential=[^\s,"]+/g, 'Credential=[redacted]');
}

/** An UpstreamError for exception `name` with `message`. */
export function bedrockError(name: string | undefined, message: string): UpstreamError {
  const clean = scrubAws(message);
  const error: UpstreamError = { message: clean, type: name, code: name ?? null, param: null };
  const kind = name ? kindOf(name, clean) : undefined;
  if (kind) error.kind = kind;
  return error;
}

/** Reads a Bedrock error answer: the type from `x-amzn-errortype`, the message from the body. */
export function parseBedrockError(text: string, headers?: IncomingHttpHeaders): UpstreamError | undefined {
  const header = headers?.['x-amzn-errortype'];
  let name = typeof header === 'string' ? header.split(':')[0] : undefined;
  let message: string | undefined;
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    const m = body.message ?? body.Message;
    if (typeof m === 'string') message = m;
    // Some gateways put the type in the body, as the JSON 1.1 protocol does.
    if (!name && typeof body.__type === 'string') name = body.__type.split('#').pop();
  } catch {
    if (text.length > 0) message = text.slice(0, 200);
  }
  if (message === undefined && name === undefined) return undefined;
  return bedrockError(name || undefined, message ?? name ?? 'upstream error');
}

/** An exception (or error) message of an event stream, as the failure it reports. */
export function streamFailure(m: StreamMessage): BadResponse {
  let message = m.payload;
  try {
    const parsed = JSON.parse(m.payload) as Record<string, unknown>;
    if (typeof parsed.message === 'string') message = parsed.message;
  } catch {
    // Not JSON: the payload is the message.
  }
  // Stream exceptions are named in lower camel case (`throttlingException`).
  const error = bedrockError(m.type.charAt(0).toUpperCase() + m.type.slice(1), message);
  return new BadResponse(error.message, error);
}
