/**
 * @module
 * Keeps provider keys out of what the relay passes on: an upstream that echoes its key
 * in an error ("Incorrect API key provided: sk-...") must not hand it to the client.
 */
import type { Secret } from './config/resolved.js';
import type { UpstreamError } from './providers/provider.js';

export type { Secret } from './config/resolved.js';


function redactOne(text: string, secret: string): string {
  return secret.length >= 4 && text.includes(secret) ? text.split(secret).join('[redacted]') : text;
}

/** `text` with every occurrence of `secret` (or of each of its values) replaced. */
export function redact(text: string, secret: Secret): string {
  if (!secret) return text;
  if (typeof secret === 'string') return redactOne(text, secret);
  for (const value of secret) text = redactOne(text, value);
  return text;
}

/** An upstream error with the key removed from every field. */
export function redactError(error: UpstreamError, secret: Secret): UpstreamError {
  const clean = (v: string | null | undefined) => (typeof v === 'string' ? redact(v, secret) : v);
  const out: UpstreamError = { message: redact(error.message, secret), type: clean(error.type) ?? undefined, code: clean(error.code), param: clean(error.param) };
  if (error.kind !== undefined) out.kind = error.kind;
  return out;
}
