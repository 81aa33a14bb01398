/**
 * @module
 * AWS Signature Version 4 over one upstream request, by the AWS SDK's own signer
 * (`@smithy/signature-v4`, hashing with Node's crypto through `@smithy/core`). Both are
 * loaded on first use, so relays without a Bedrock provider never pay for them.
 */
import type { AwsCredentials } from '../options/cloud.js';
import type { OutgoingRequest } from './provider-auth.js';

/** AWS credentials, as static config or a credential provider gives them. */

type Smithy = [typeof import('@smithy/signature-v4'), typeof import('@smithy/core/serde')];
let smithy: Promise<Smithy> | undefined;

function loadSigner(): Promise<Smithy> {
  smithy ??= Promise.all([import('@smithy/signature-v4'), import('@smithy/core/serde')]);
  return smithy;
}

/** What to sign for: a region and a service (`bedrock`). */
export interface SigningScope {
  region: string;
  service: string;
}

/**
 * The headers that authenticate `request`: its `headers`, `host`, `x-amz-date`,
 * `authorization` and, with temporary credentials, `x-amz-security-token`. Signed: the
 * method, the path as sent (escaped once more, as AWS does for every service but S3),
 * the query, the body, `host` and every header in `request.headers`.
 */
export async function signRequest(request: OutgoingRequest, credentials: AwsCredentials, scope: SigningScope, date: Date): Promise<Record<string, string>> {
  const [{ SignatureV4 }, { Hash }] = await loadSigner();
  // Concatenated, not resolved: a path starting with `//` is not a host.
  const url = new URL(`${request.origin}${request.path}`);
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of url.searchParams) {
    const prior = query[k];
    query[k] = prior === undefined ? v : Array.isArray(prior) ? [...prior, v] : [prior, v];
  }
  const headers: Record<string, string> = { host: url.host };
  for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
  const signer = new SignatureV4({
    credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey, sessionToken: credentials.sessionToken },
    region: scope.region,
    service: scope.service,
    sha256: Hash.bind(null, 'sha256'),
    applyChecksum: false,
  });
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port === '' ? undefined : Number(url.port),
      // The raw path as it goes on the wire (`new URL` would re-escape it).
      path: request.path.split('?')[0]!,
      query,
      headers,
      body: request.body,
    },
    { signingDate: date },
  );
  return signed.headers as Record<string, string>;
}
