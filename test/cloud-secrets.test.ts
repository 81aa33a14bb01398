/**
 * Credentials of the cloud providers (Azure and Gemini keys, AWS keys, session tokens and
 * signatures, Bedrock API keys, OAuth tokens) never reach a response, an error, an event
 * or the console, even when an upstream echoes what it received.
 */
import { randomUUID } from 'node:crypto';
import { format } from 'node:util';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RelayEventName } from 'switchyard';
import type { MockRequest } from 'switchyard/testing';
import { startCloudChain } from './helpers/cloud.js';
import type { Harness } from './helpers/harness.js';

const canary = (what: string) => `${what}-CANARY-${randomUUID()}`;
const AZURE_KEY = canary('azure');
const GEMINI_KEY = canary('gemini');
const VERTEX_TOKEN = canary('ya29');
const BEDROCK_KEY = canary('bedrock-api-key');
const AWS = { accessKeyId: `AKIA${randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase()}`, secretAccessKey: canary('aws-secret'), sessionToken: canary('aws-session') };
const CANARIES = [AZURE_KEY, GEMINI_KEY, VERTEX_TOKEN, BEDROCK_KEY, AWS.accessKeyId, AWS.secretAccessKey, AWS.sessionToken];
const EVENTS: RelayEventName[] = ['attempt', 'retry', 'failover', 'breakerOpen', 'breakerHalfOpen', 'breakerClose', 'complete', 'error'];

const seen: string[] = [];
/** Every signature the upstreams received: none may come back out. */
const signatures: string[] = [];
let h: Harness;
let client: OpenAI;

/** An upstream that echoes everything it got, auth headers included, in its error. */
const echo = (status: number) => (req: MockRequest) => {
  const sig = /Signature=([0-9a-f]{64})/.exec(String(req.headers.authorization ?? ''))?.[1];
  if (sig) signatures.push(sig);
  // Credentials first: the relay keeps only the start of a long upstream message.
  const h = req.headers;
  const got = `${h.authorization ?? ''} ${h['x-amz-security-token'] ?? ''} ${h['api-key'] ?? ''} ${h['x-goog-api-key'] ?? ''}`;
  return { status, body: { message: got, error: { code: status, message: got, status: 'PERMISSION_DENIED' } } };
};

beforeAll(async () => {
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    const original = console[method].bind(console);
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      seen.push(format(...args));
      original(...args);
    });
  }
  h = await startCloudChain(
    {
      azure: { protocol: 'azure-openai', model: 'dep', provider: { apiKey: AZURE_KEY } },
      gemini: { protocol: 'gemini', model: 'gemini-2.5-flash', provider: { apiKey: GEMINI_KEY } },
      vertex: { protocol: 'vertex', model: 'gemini-2.5-pro', provider: { token: async () => ({ token: VERTEX_TOKEN, expiresAt: Date.now() + 3_600_000 }) } },
      keyed: { protocol: 'bedrock', model: 'amazon.nova-pro-v1:0', provider: { credentials: undefined, apiKey: BEDROCK_KEY } },
      signed: { protocol: 'bedrock', model: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0', provider: { credentials: async () => ({ ...AWS, expiration: new Date(Date.now() + 3_600_000) }) }, mock: { sigv4: { credentials: [AWS] } } },
    },
    { breaker: { failureThreshold: 1000 } },
    { debug: true },
  );
  for (const name of EVENTS) h.relay.on(name, (payload: unknown) => void seen.push(JSON.stringify(payload)));
  client = new OpenAI({ baseURL: h.url, apiKey: 'client-key', maxRetries: 0 });
});

afterAll(async () => {
  await h.close();
  vi.restoreAllMocks();
  const all = seen.join('\n');
  for (const secret of [...CANARIES, ...signatures]) expect(all.includes(secret), `leaked ${secret.slice(0, 12)}`).toBe(false);
});

async function record(res: Response) {
  seen.push(await res.text());
  res.headers.forEach((value, key) => seen.push(`${key}: ${value}`));
  return res.status;
}

describe('upstreams that echo the credentials they received', () => {
  it.each([401, 403, 400, 500])('every cloud answers %i with the request headers in its error body', async (status) => {
    for (const mock of Object.values(h.mocks)) mock.onRequest(echo(status));
    for (const stream of [false, true]) {
      const res = await fetch(`${h.url}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-switchyard-debug': '1' },
        body: JSON.stringify({ model: 'chat', stream, messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(await record(res)).toBeGreaterThanOrEqual(400);
    }
    // The credentials did go upstream, so the echo held them: the test would see a leak.
    const received = Object.values(h.mocks).flatMap((m) => m.requests.map((r) => JSON.stringify(r.headers))).join('\n');
    for (const secret of [AZURE_KEY, GEMINI_KEY, VERTEX_TOKEN, BEDROCK_KEY, AWS.sessionToken]) expect(received).toContain(secret);
    expect(signatures.length).toBeGreaterThan(0);
  });

  it('an in-stream error that quotes the token is redacted too', async () => {
    for (const mock of Object.values(h.mocks)) {
      mock.onRequest(null);
      mock.setFault({ status: 503 });
    }
    h.mocks.vertex!.setFault({ raw: `data: {"error":{"code":500,"message":"token ${VERTEX_TOKEN} expired","status":"INTERNAL"}}\n\n` });
    const res = await fetch(`${h.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-switchyard-debug': '1' },
      body: JSON.stringify({ model: 'chat', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(await record(res)).toBe(502);
  });

  it('errors thrown to a caller of relay.handle() hold no credential', async () => {
    for (const mock of Object.values(h.mocks)) mock.onRequest(echo(401));
    const err = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    seen.push(format(err), JSON.stringify(err));
    expect(err).toBeInstanceOf(OpenAI.APIError);
  });
});
