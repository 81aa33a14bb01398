/**
 * SigV4: the relay's signer against AWS's published Signature Version 4 test suite
 * (test/fixtures/sigv4-test-suite), then signed Bedrock requests checked by the mock
 * (which signs them again with the configured credentials and compares).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { signRequest } from '../src/auth/sigv4.js';
import { startCloudChain, TEST_AWS } from './helpers/cloud.js';

const suite = new URL('./fixtures/sigv4-test-suite/', import.meta.url);
const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const DATE = new Date('2015-08-30T12:36:00Z');

/** Every case folder (cases may sit one folder deeper, as post-sts-token's do). */
function cases(dir: URL, prefix = ''): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (!statSync(new URL(name, dir)).isDirectory()) return [];
    const sub = new URL(`${name}/`, dir);
    const here = readdirSync(sub).some((f) => f === `${name}.req`) ? [`${prefix}${name}`] : [];
    return [...here, ...cases(sub, `${prefix}${name}/`)];
  });
}

/** A .req file: request line, headers (continuation lines folded with a comma), body. */
function parseRequest(text: string) {
  const [head, ...rest] = text.split('\n\n');
  const [requestLine, ...lines] = head!.split('\n');
  const [method, ...target] = requestLine!.split(' ');
  const path = target.slice(0, -1).join(' ');
  const headers: Record<string, string> = {};
  let last = '';
  for (const line of lines) {
    if (/^\s/.test(line)) {
      headers[last] += `,${line.trim()}`;
      continue;
    }
    const at = line.indexOf(':');
    last = line.slice(0, at).toLowerCase();
    const value = line.slice(at + 1);
    headers[last] = headers[last] === undefined ? value : `${headers[last]},${value}`;
  }
  return { method: method!, path, headers, body: rest.join('\n\n') };
}

const all = cases(suite);

describe('the AWS Signature Version 4 test suite', () => {
  it('has its cases', () => {
    expect(all.length).toBe(31);
  });

  it.each(all)('%s', async (name) => {
    const base = name.split('/').at(-1)!;
    const request = parseRequest(readFileSync(new URL(`${name}/${base}.req`, suite), 'utf8'));
    const expected = readFileSync(new URL(`${name}/${base}.authz`, suite), 'utf8').trim();
    const { host, 'x-amz-date': _date, 'x-amz-security-token': token, ...headers } = request.headers;
    // "before": the token is part of the signed request; "after": it is added once signed.
    const signedToken = name.endsWith('post-sts-header-before') ? token : undefined;
    const signed = await signRequest(
      { method: request.method, origin: `https://${host}`, path: request.path, headers, body: request.body },
      { ...CREDENTIALS, sessionToken: signedToken },
      { region: 'us-east-1', service: 'service' },
      DATE,
    );
    expect(signed.authorization).toBe(expected);
    expect(signed['x-amz-date']).toBe('20150830T123600Z');
  });
});

describe('signed Bedrock requests', () => {
  const models = ['us.anthropic.claude-sonnet-4-5-20250929-v1:0', 'amazon.nova-pro-v1:0', 'arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-haiku-4-5-20251001-v1:0'];

  it.each(models)('%s: the mock, signing again, gets the same signature (streaming and not)', async (model) => {
    const h = await startCloudChain({ aws: { protocol: 'bedrock', model } });
    try {
      const client = new OpenAI({ baseURL: h.url, apiKey: 'x', maxRetries: 0 });
      await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'Grüße 👋' }] });
      const stream = await client.chat.completions.create({ model: 'chat', stream: true, messages: [{ role: 'user', content: 'hi' }] });
      for await (const _ of stream);
      const [first, second] = h.mocks.aws!.requests;
      expect(first!.headers['x-amz-security-token']).toBe(TEST_AWS.sessionToken);
      expect(first!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDTESTSWITCHYARD01\/\d{8}\/us-east-1\/bedrock\/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/);
      expect(first!.path.startsWith(`/model/${encodeURIComponent(model)}/`)).toBe(true);
      expect(second!.path.endsWith('-stream')).toBe(true);
    } finally {
      await h.close();
    }
  });

  it('a wrong secret gets Bedrock\'s 403 InvalidSignatureException, an auth failure the chain moves past', async () => {
    const h = await startCloudChain({
      aws: { protocol: 'bedrock', model: 'amazon.nova-pro-v1:0', provider: { credentials: { ...TEST_AWS, secretAccessKey: 'not-the-secret-0123456789' } } },
      backup: { protocol: 'openai', model: 'backup-model' },
    });
    try {
      const outcomes: string[] = [];
      h.relay.on('attempt', (e) => outcomes.push(`${e.provider}:${e.outcome}:${e.status ?? ''}:${e.detail ?? ''}`));
      const client = new OpenAI({ baseURL: h.url, apiKey: 'x', maxRetries: 0 });
      const answer = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] });
      expect(answer.choices[0]!.message.content).toContain('Hello from backup');
      expect(outcomes).toEqual(['aws:auth:403:InvalidSignatureException', 'backup:ok:200:']);
    } finally {
      await h.close();
    }
  });
});
