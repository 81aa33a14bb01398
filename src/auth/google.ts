/**
 * @module
 * Vertex AI's OAuth token when the config gives no `token` function: Application
 * Default Credentials through the optional peer `google-auth-library`.
 */
import { importPeer } from './optional-peer.js';
import type { TokenResult } from '../options/cloud.js';

/** Scope of a token that may call Vertex AI. */
export const GOOGLE_CLOUD_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

interface GoogleAuthPeer {
  GoogleAuth: new (options: { scopes: string[] }) => {
    getClient(): Promise<{ getAccessToken(): Promise<{ token?: string | null }>; credentials?: { expiry_date?: number | null } }>;
  };
}

/** A token function over `google-auth-library`'s Application Default Credentials. */
export function googleDefaultToken(): () => Promise<TokenResult> {
  let auth: InstanceType<GoogleAuthPeer['GoogleAuth']> | undefined;
  return async () => {
    if (!auth) {
      const { GoogleAuth } = await importPeer<GoogleAuthPeer>('google-auth-library', 'A Vertex AI token from Application Default Credentials');
      auth = new GoogleAuth({ scopes: [GOOGLE_CLOUD_SCOPE] });
    }
    const client = await auth.getClient();
    const { token } = await client.getAccessToken();
    return { token: token ?? '', expiresAt: client.credentials?.expiry_date ?? undefined };
  };
}
