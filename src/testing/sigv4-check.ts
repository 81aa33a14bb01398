/**
 * @module
 * Checks the SigV4 signature of a request the mock received, by signing the same
 * request again with the AWS SDK's signer and the credentials the test configured.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import { Hash } from '@smithy/core/serde';

/** Credentials the mock accepts. */
export interface MockAwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Why a signature was refused (Bedrock's exception name and message), or undefined when it is valid. */
export async function checkSignature(
  method: string,
  path: string,
  query: string,
  headers: IncomingHttpHeaders,
  body: string,
  accepted: readonly MockAwsCredentials[],
  region: string,
): Promise<{ type: string; message: string } | undefined> {
  const authorization = headers.authorization;
  if (typeof authorization !== 'string') return { type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' };
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(authorization);
  if (!m) return { type: 'IncompleteSignatureException', message: 'Authorization header requires a valid AWS4-HMAC-SHA256 signature.' };
  const [, keyId, , signedRegion, service, signedHeaders] = m;
  const credentials = accepted.find((c) => c.accessKeyId === keyId);
  if (!credentials) return { type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' };
  if (credentials.sessionToken !== undefined && headers['x-amz-security-token'] !== credentials.sessionToken) {
    return { type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' };
  }
  if (signedRegion !== region || service !== 'bedrock') return { type: 'InvalidSignatureException', message: `Credential should be scoped to a valid region and service.` };
  const date = String(headers['x-amz-date'] ?? '');
  const when = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date);
  if (!when) return { type: 'IncompleteSignatureException', message: 'X-Amz-Date is missing or malformed.' };
  const signingDate = new Date(Date.UTC(+when[1]!, +when[2]! - 1, +when[3]!, +when[4]!, +when[5]!, +when[6]!));
  const toSign: Record<string, string> = {};
  for (const name of signedHeaders!.split(';')) {
    const value = headers[name];
    if (typeof value === 'string') toSign[name] = value;
  }
  const queryObject: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(query)) queryObject[k] = v;
  const signer = new SignatureV4({ credentials, region, service: 'bedrock', sha256: Hash.bind(null, 'sha256'), applyChecksum: false });
  const host = String(headers.host ?? '');
  const signed = await signer.sign(
    { method, protocol: 'http:', hostname: host.split(':')[0]!, path, query: queryObject, headers: toSign, body },
    { signingDate },
  );
  if (signed.headers.authorization !== authorization) {
    return { type: 'InvalidSignatureException', message: 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.' };
  }
  return undefined;
}
