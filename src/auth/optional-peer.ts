/**
 * @module
 * Loads an optional peer dependency (a cloud's credential library) on first use, with
 * an error that says what to install when it is absent.
 */
import { CredentialsError } from './credentials-error.js';

// A computed specifier keeps bundlers and the type checker from resolving the peer.
const load = (name: string): Promise<unknown> => import(name);

/** The module `name`, or a {@link CredentialsError} telling to install it for `purpose`. */
export async function importPeer<T>(name: string, purpose: string): Promise<T> {
  try {
    return (await load(name)) as T;
  } catch (err) {
    const e = err as { code?: unknown; message?: unknown } | null;
    // Node sets a code; other loaders (bundlers, test runners) only say so in the message.
    const missing =
      e?.code === 'ERR_MODULE_NOT_FOUND' ||
      e?.code === 'MODULE_NOT_FOUND' ||
      (typeof e?.message === 'string' && e.message.includes(name) && /cannot find|could not resolve|failed to (load|resolve)|not found/i.test(e.message));
    if (missing) {
      throw new CredentialsError(`${purpose} needs the optional peer dependency ${name} (npm install ${name}), or credentials in the provider config`);
    }
    throw CredentialsError.from(purpose, err);
  }
}
