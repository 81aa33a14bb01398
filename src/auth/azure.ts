/**
 * @module
 * Azure OpenAI's Entra ID token when the config gives neither `apiKey` nor `token`:
 * `DefaultAzureCredential` from the optional peer `@azure/identity`.
 */
import { importPeer } from './optional-peer.js';
import type { TokenCredentialLike, TokenResult } from '../options/cloud.js';

/** Scope of a token that may call Azure OpenAI. */
export const AZURE_COGNITIVE_SCOPE = 'https://cognitiveservices.azure.com/.default';

/** A token function over `@azure/identity`'s `DefaultAzureCredential`. */
export function azureDefaultToken(): () => Promise<TokenResult> {
  let credential: TokenCredentialLike | undefined;
  return async () => {
    if (!credential) {
      type Peer = { DefaultAzureCredential: new () => TokenCredentialLike };
      const { DefaultAzureCredential } = await importPeer<Peer>('@azure/identity', 'An Entra ID token from DefaultAzureCredential');
      credential = new DefaultAzureCredential();
    }
    const got = await credential.getToken(AZURE_COGNITIVE_SCOPE);
    return { token: got?.token ?? '', expiresAt: got?.expiresOnTimestamp };
  };
}
