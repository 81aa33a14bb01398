/**
 * @module
 * An upstream's error object, redacted field by field: a key can be echoed in its
 * `type`, `code` or `param` as well as in its message, and some of these fields come from
 * response headers (`x-amzn-errortype`) rather than the body.
 */
import type { UpstreamError } from '../providers/provider.js';
import type { Redactor } from './redactor.js';

/** `error` with every field redacted as a message. */
export function redactUpstreamError(error: UpstreamError, redactor: Redactor): UpstreamError {
  const clean = (v: string | null | undefined) => (typeof v === 'string' ? redactor.message(v) : v);
  const out: UpstreamError = { message: redactor.message(error.message), type: clean(error.type) ?? undefined, code: clean(error.code), param: clean(error.param) };
  if (error.kind !== undefined) out.kind = error.kind;
  return out;
}
