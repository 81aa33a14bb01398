/**
 * @module
 * Options of what is built on the hooks: parameter compatibility and the PII guardrail.
 * Defaults live in `DEFAULTS` (`options.ts`) and `config/hooks.ts`.
 */
import type { PiiKind } from '../hooks/pii.js';

/** The PII guardrail. */
export interface PiiGuardrail {
  /** `mask` replaces each value with `[kind]`; `block` refuses with 400 `pii_detected`, naming the kinds. */
  mode: 'mask' | 'block';
  /**
   * Where to look: the request before it leaves, the answer before it reaches the client.
   * @default ['input', 'output']
   */
  on?: ('input' | 'output')[];
  /**
   * What to look for.
   * @default ['email', 'phone', 'card', 'iban', 'secret']
   */
  kinds?: PiiKind[];
}

/** Parameter compatibility per model family (see `hooks/compat.ts`). */
export interface CompatOptions {
  /**
   * Map or drop, per target, parameters its model refuses (OpenAI reasoning models:
   * `max_tokens` becomes `max_completion_tokens`, sampling parameters go).
   * @default true
   */
  dropUnsupported?: boolean;
}

/** Built-in guardrails. */
export interface GuardrailOptions {
  /** Personal data (e-mail, phone, card, IBAN, secret) in requests and answers. */
  pii?: PiiGuardrail;
}
