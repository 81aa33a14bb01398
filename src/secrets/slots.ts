/**
 * @module
 * Which of a provider's configured values are secrets: its key, and the values of the
 * headers whose names say they carry a credential (or that `secretHeaders` names), with
 * the credential inside each value (`Bearer <token>`, the password of `Basic`, each
 * cookie) as a secret of its own, since an upstream may echo either form.
 */

/** Header names that carry credentials: `authorization`, `x-api-key`, `api-key`, `x-goog-api-key`, `cookie`, `x-amz-security-token`, ... */
const CREDENTIAL_NAME = /auth|key|token|secret|passw|cookie|session|signature|credential/i;

/** Whether a header named `name` carries a credential by its name. */
export function isCredentialHeader(name: string): boolean {
  return CREDENTIAL_NAME.test(name);
}

/** The secrets in one header value: the value itself, and the credential in it. */
export function secretsOfValue(name: string, value: string): string[] {
  const out = [value];
  const scheme = /^\s*(\w+)\s+(\S+)\s*$/.exec(value);
  if (scheme) {
    out.push(scheme[2]!);
    if (scheme[1]!.toLowerCase() === 'basic') {
      const decoded = Buffer.from(scheme[2]!, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      // Only a decoding that is really `user:password`, not base64 noise.
      if (colon > 0 && /^[\x20-\x7e]+$/.test(decoded)) out.push(decoded, decoded.slice(colon + 1));
    }
  }
  if (/cookie/i.test(name)) {
    for (const pair of value.split(';')) {
      const eq = pair.indexOf('=');
      if (eq > 0) out.push(pair.slice(eq + 1).trim());
    }
  }
  return out;
}

/** The secrets among a provider's static `headers`: credential-named ones and those in `secretHeaders`. */
export function headerSecrets(headers: Readonly<Record<string, string>>, secretHeaders: readonly string[] = []): string[] {
  const marked = new Set(secretHeaders.map((h) => h.toLowerCase()));
  const out: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (marked.has(name) || isCredentialHeader(name)) out.push(...secretsOfValue(name, value));
  }
  return out;
}
