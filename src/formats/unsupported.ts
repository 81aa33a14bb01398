/**
 * @module
 * The error that says "this target cannot carry this request" rather than "this request
 * is wrong". A hosted tool (`web_search`), a `file_url` input or a JSON schema for a
 * provider without one is fine in itself: another target of the chain may serve it. So
 * the engine skips the target as `unsupported` and tries the others; only when every
 * target is skipped does the client see it, as the 400 that names the field.
 *
 * It is an `InvalidRequestError`, so code that does not know it yet (an engine that only
 * knows request errors) still answers the same 400 it did before.
 */
import { InvalidRequestError } from '../errors/index.js';

const BRAND = Symbol.for('switchyard.unsupported');

/**
 * A feature of the request that a target cannot carry.
 *
 * @example
 * ```ts
 * throw new UnsupportedFeature('tools[0]', 'The hosted tool `web_search` runs only at OpenAI.');
 * ```
 */
export class UnsupportedFeature extends InvalidRequestError {
  constructor(
    /** Path of the field in the client's request, e.g. `tools[1]` or `input[3].content[0].file_url`. */
    readonly field: string,
    /** Why it cannot be carried, in a sentence. */
    readonly reason: string,
  ) {
    super(reason, field);
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/** True for an {@link UnsupportedFeature}, even one thrown by another copy of the package. */
export function isUnsupportedFeature(err: unknown): err is UnsupportedFeature {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[BRAND] === true;
}
