/**
 * @module
 * What credentials look like, whoever's they are. The relay redacts the secrets it holds
 * by value everywhere; these shapes are a second net for text that is never an answer
 * (upstream error messages, attempt details, logged prompts, span attributes), where a
 * key the relay does not know (a client's, another account's) has no business either.
 * Answers are left alone: a model may legitimately write `sk-...` in an example.
 */

/** A shape and what it becomes: names such as `Signature=` stay, the value goes. */
export type Shape = readonly [pattern: RegExp, replacement: string];

export const REDACTED = '[redacted]';

/** Key-shaped text, for error messages, details, logs and spans. */
export const KEY_SHAPES: readonly Shape[] = [
  // OpenAI, Anthropic (`sk-ant-`), DeepSeek and most OpenAI-compatible services.
  [/\bsk-[A-Za-z0-9_-]{8,}/g, REDACTED],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, `$1 ${REDACTED}`],
  // AWS access key ids (long-term and temporary).
  [/\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, REDACTED],
  // Google API keys and OAuth access tokens.
  [/\bAIza[0-9A-Za-z_-]{30,}/g, REDACTED],
  [/\bya29\.[0-9A-Za-z._-]{8,}/g, REDACTED],
  // SigV4: the scope names the key id; the signature is good for that one request only,
  // but it is still a credential while it is fresh.
  [/\b(Credential=)[^\s,"]+/g, `$1${REDACTED}`],
  [/\b((?:X-Amz-)?Signature=)[0-9a-f]{16,}/gi, `$1${REDACTED}`],
  [/\b[0-9a-f]{64}\b/g, REDACTED],
];

/** SigV4 signatures as they appear in an echoed `authorization` header or query: redacted in answers too. */
export const SIGNATURE: Shape = [/\b((?:X-Amz-)?Signature=)[0-9a-f]{64}\b/gi, `$1${REDACTED}`];

/** `text` with every shape replaced. */
export function redactShapes(text: string, shapes: readonly Shape[] = KEY_SHAPES): string {
  let out = text;
  for (const [pattern, replacement] of shapes) out = out.replace(pattern, replacement);
  return out;
}
