/**
 * @module
 * Per-request credentials: what a provider adds to each upstream request beyond its
 * static headers (a SigV4 signature over the request, a bearer token refreshed before
 * it expires). The attempt asks for them just before sending; credentials that cannot
 * be obtained make that attempt fail as `auth` (the engine moves on), never a crash.
 */
import type { ProviderAuth, ResolvedProvider } from '../config/resolved.js';

export type { OutgoingRequest, ProviderAuth } from '../config/resolved.js';
import { CredentialsError } from './credentials-error.js';

/**
 * The headers to send `request` with, or, when credentials cannot be obtained, the
 * reason (never holding a credential). Throws `signal.reason` if `signal` aborted.
 */
export async function authorize(
  provider: ResolvedProvider & { auth: ProviderAuth },
  request: { path: string; body: string | Buffer },
  signal: AbortSignal,
): Promise<Record<string, string> | string> {
  try {
    const headers = provider.headers();
    const body = typeof request.body === 'string' ? request.body : request.body.toString('utf8');
    const extra = await provider.auth.headers({ method: 'POST', origin: provider.origin, path: request.path, headers, body }, signal);
    return { ...headers, ...extra };
  } catch (err) {
    if (signal.aborted) throw signal.reason;
    return `credentials unavailable: ${(err instanceof CredentialsError ? err : CredentialsError.from('credentials', err)).message}`;
  }
}
