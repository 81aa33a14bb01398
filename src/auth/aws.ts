/**
 * @module
 * Bedrock's credentials: static keys, a credential provider function (for example one
 * from `@aws-sdk/credential-providers`), or, when the config names none, the AWS SDK's
 * default chain (environment, profiles, SSO, container and instance roles) through the
 * optional peer `@aws-sdk/credential-providers`. Each request is signed with SigV4.
 */
import { CredentialsError } from './credentials-error.js';
import { importPeer } from './optional-peer.js';
import type { ProviderAuth } from './provider-auth.js';
import { Refreshing, type RefreshOptions } from './refreshing.js';
import type { AwsCredentials, AwsCredentialsInput } from '../options/cloud.js';
import { signRequest, type SigningScope } from './sigv4.js';


function checked(value: unknown): AwsCredentials {
  const c = value as Partial<AwsCredentials> | null;
  if (typeof c?.accessKeyId !== 'string' || c.accessKeyId === '' || typeof c.secretAccessKey !== 'string' || c.secretAccessKey === '') {
    throw new CredentialsError('the AWS credential provider returned no accessKeyId and secretAccessKey');
  }
  return c as AwsCredentials;
}

async function defaultChain(): Promise<AwsCredentials> {
  type Peer = { fromNodeProviderChain: () => () => Promise<AwsCredentials> };
  const peer = await importPeer<Peer>('@aws-sdk/credential-providers', 'AWS credentials from the default chain');
  // One provider per call: the relay caches what it returns and asks again before expiry.
  return peer.fromNodeProviderChain()();
}

/**
 * A cached source of AWS credentials. Credentials without an `expiration` are kept for
 * good, as the AWS SDK keeps them; temporary ones are refreshed ahead of it.
 */
export function awsCredentialSource(input: AwsCredentialsInput | undefined, options: Omit<RefreshOptions<AwsCredentials>, 'ttlMs'>): Refreshing<AwsCredentials> {
  const fetch = typeof input === 'function' ? input : input === undefined ? defaultChain : async () => input;
  return new Refreshing(
    async () => {
      const credentials = checked(await fetch());
      return { value: credentials, expiresAt: credentials.expiration?.getTime() };
    },
    { ...options, ttlMs: Number.POSITIVE_INFINITY },
  );
}

/**
 * Signs each request with the current credentials of `source`. `onSigned` hears each
 * signature: good for that one request only, but a credential while it is fresh, so the
 * redactor keeps the latest.
 */
export function sigv4Auth(source: Refreshing<AwsCredentials>, scope: SigningScope, now: () => number, onSigned?: (signature: string) => void): ProviderAuth {
  return {
    async headers(request, signal) {
      const credentials = await source.get(signal);
      // Signed: content-type and x-amz-* headers; other configured headers go unsigned,
      // so a proxy may change them.
      const signed: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) {
        const lower = name.toLowerCase();
        if (lower === 'content-type' || lower.startsWith('x-amz-')) signed[lower] = value;
      }
      const headers = await signRequest({ ...request, headers: signed }, credentials, scope, new Date(now()));
      const signature = /Signature=([0-9a-f]+)/.exec(headers.authorization ?? '')?.[1];
      if (signature) onSigned?.(signature);
      return headers;
    },
    invalidate: () => source.invalidate(),
  };
}
