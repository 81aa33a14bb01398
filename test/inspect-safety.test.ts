/**
 * Every object the relay hands out, printed as a logger might print it (`util.inspect` at
 * any depth, with hidden properties and getters, even without custom inspectors) or
 * serialised as JSON, holds none of the secrets of its configuration: provider keys,
 * credential headers, AWS keys, the alert webhook's URL token and headers.
 */
import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRelay, type Relay } from 'switchyard';
import { createMockUpstream, type MockUpstream } from 'switchyard/testing';

const SECRETS = {
  key: `secret-key-${randomUUID()}`,
  header: `secret-header-${randomUUID()}`,
  marked: `secret-marked-${randomUUID()}`,
  awsSecret: `secret-aws-${randomUUID()}`,
  awsSession: `secret-session-${randomUUID()}`,
  hookToken: `secret-hook-${randomUUID()}`,
  hookHeader: `secret-hook-header-${randomUUID()}`,
};

const OPTIONS = [{}, { depth: Infinity }, { depth: Infinity, showHidden: true }, { depth: Infinity, showHidden: true, getters: true }, { depth: Infinity, showHidden: true, getters: true, customInspect: false }];

let relay: Relay;
let openai: MockUpstream;
let bedrock: MockUpstream;

beforeAll(async () => {
  openai = await createMockUpstream({ name: 'openai' });
  bedrock = await createMockUpstream({ name: 'bedrock', protocol: 'bedrock' });
  relay = createRelay({
    providers: {
      openai: { type: 'openai', baseURL: openai.url, apiKey: SECRETS.key, headers: { 'x-relay-key': SECRETS.header, 'x-pass': SECRETS.marked }, secretHeaders: ['x-pass'] },
      bedrock: { type: 'bedrock', region: 'us-east-1', baseURL: bedrock.url, credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: SECRETS.awsSecret, sessionToken: SECRETS.awsSession } },
    },
    models: { chat: { targets: [{ provider: 'openai', model: 'x' }] }, nova: { targets: [{ provider: 'bedrock', model: 'amazon.nova-pro-v1:0' }] } },
    alerts: {
      rules: [{ name: 'errors', metric: 'errorRate', above: 0.5, windowMs: 60_000 }],
      webhook: { url: `https://hooks.example.com/services/${SECRETS.hookToken}`, headers: { authorization: `Bearer ${SECRETS.hookHeader}` } },
    },
  });
});

afterAll(async () => {
  await relay.close();
  await openai.close();
  await bedrock.close();
});

/** JSON of `value`, or '' for what has cycles (a logger cannot print it that way either). */
function json(value: unknown): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
}

function expectClean(what: string, value: unknown): void {
  const printed = [...OPTIONS.map((o) => inspect(value, o)), json(value)];
  for (const text of printed) for (const [slot, secret] of Object.entries(SECRETS)) expect(text.includes(secret), `${what} shows the ${slot}`).toBe(false);
}

describe('printing what the relay hands out', () => {
  it('the relay, its alerts, request log, statistics and targets', () => {
    expectClean('relay', relay);
    expectClean('relay.alerts', relay.alerts);
    expectClean('relay.requestLog()', relay.requestLog());
    expectClean('relay.stats()', relay.stats());
    expectClean('relay.targets()', relay.targets());
  });

  it('the results of relay.handle(), a JSON answer and a stream, for a keyed and a signed provider', async () => {
    for (const model of ['chat', 'nova']) {
      const json = await relay.handle({ body: { model, messages: [{ role: 'user', content: 'hi' }] } });
      expectClean(`${model} answer`, json);
      const stream = await relay.handle({ body: { model, stream: true, messages: [{ role: 'user', content: 'hi' }] } });
      expectClean(`${model} stream`, stream);
      expect(stream.stream).toBe(true);
      if (!stream.stream) continue;
      for await (const frame of stream.chunks) expectClean(`${model} stream frame`, frame);
      expectClean(`${model} stream trailers`, stream.chunks.trailers());
    }
    // The secrets did go upstream: a relay that dropped them would pass the above for nothing.
    expect(openai.requests.at(-1)!.headers['x-relay-key']).toBe(SECRETS.header);
    expect(String(bedrock.requests.at(-1)!.headers['x-amz-security-token'])).toBe(SECRETS.awsSession);
  });
});
