/**
 * @module
 * Why a provider's credentials could not be had. Its message is shown in attempt
 * records, events and client errors, so it is always the relay's own wording: the
 * message of an error thrown by a credential provider or a user's token function is
 * never copied, since it may quote a key or a token.
 */

/** Credentials could not be obtained; the message never holds a credential. */
export class CredentialsError extends Error {
  override readonly name = 'CredentialsError';

  /** Wraps an error from a credential source, keeping only its class name or code. */
  static from(what: string, err: unknown): CredentialsError {
    const e = err as { name?: unknown; code?: unknown } | null;
    const code = typeof e?.code === 'string' && /^[\w.-]{1,64}$/.test(e.code) ? e.code : undefined;
    const name = typeof e?.name === 'string' && /^[\w.-]{1,64}$/.test(e.name) ? e.name : 'Error';
    return new CredentialsError(`${what} could not be obtained (${code ?? name})`);
  }
}
