/**
 * @module
 * Bearer tokens from a function (a user's, `@azure/identity`'s credential, or
 * `google-auth-library`'s client), cached and refreshed ahead of expiry by
 * {@link Refreshing}, sent as `Authorization: Bearer <token>`.
 */
import type { TokenCredentialLike, TokenFunction, TokenResult } from '../options/cloud.js';
import { CredentialsError } from './credentials-error.js';
import type { ProviderAuth } from './provider-auth.js';
import { Refreshing, type Expiring, type RefreshOptions } from './refreshing.js';


/** A token result as a cached value; throws when there is no usable token. */
export function expiringToken(result: unknown, what: string): Expiring<string> {
  const token = typeof result === 'string' ? result : (result as { token?: unknown } | null)?.token;
  if (typeof token !== 'string' || token.length === 0) throw new CredentialsError(`${what} function returned no token`);
  const at = typeof result === 'object' && result !== null ? (result as { expiresAt?: unknown; expiresOnTimestamp?: unknown }) : {};
  const expiry = at.expiresAt ?? at.expiresOnTimestamp;
  const expiresAt = expiry instanceof Date ? expiry.getTime() : typeof expiry === 'number' ? expiry : undefined;
  return { value: token, expiresAt };
}

/** A cached token from `fn` (a {@link TokenFunction} or a {@link TokenCredentialLike} asked for `scope`). */
export function tokenSource(fn: TokenFunction | TokenCredentialLike, scope: string, options: RefreshOptions<string>): Refreshing<string> {
  const call = typeof fn === 'function' ? fn : () => fn.getToken(scope);
  return new Refreshing(async () => expiringToken(await call(), options.what), options);
}

/** Sends the token of `source` as a bearer token. */
export function bearerAuth(source: Refreshing<string>): ProviderAuth {
  return {
    async headers(_request, signal) {
      return { authorization: `Bearer ${await source.get(signal)}` };
    },
    invalidate: () => source.invalidate(),
  };
}
