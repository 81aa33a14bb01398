/**
 * @module
 * Keeps provider keys out of what the relay passes on: an upstream that echoes its key
 * in an error ("Incorrect API key provided: sk-...") must not hand it to the client.
 */
import type { UpstreamError } from './providers/provider.js';

/** `text` with every occurrence of `secret` replaced. */
export function redact(text: string, secret: string | undefined): string {
  return secret && secret.length >= 4 && text.includes(secret) ? text.split(secret).join('[redacted]') : text;
}

/** An upstream error with the key removed from every field. */
export function redactError(error: UpstreamError, secret: string | undefined): UpstreamError {
  const clean = (v: string | null | undefined) => (typeof v === 'string' ? redact(v, secret) : v);
  return { message: redact(error.message, secret), type: clean(error.type) ?? undefined, code: clean(error.code), param: clean(error.param) };
}
