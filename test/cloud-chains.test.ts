/**
 * Cross-cloud chains served to the official `openai` client: Claude on Anthropic, then
 * on Bedrock (InvokeModel with Anthropic's body, SigV4-signed), then on Vertex AI
 * (rawPredict), through the failure of each in turn, streaming and not; and Azure
 * OpenAI in front of OpenAI. Each mock fails in its own cloud's words.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { azureContentFilterError, type MockFault } from 'switchyard/testing';
import { collect } from './helpers/anthropic.js';
import { startCloudChain } from './helpers/cloud.js';
import type { Harness } from './helpers/harness.js';

const ask = { model: 'chat', messages: [{ role: 'user' as const, content: 'Say hello' }] };

async function answer(client: OpenAI, stream: boolean): Promise<string> {
  if (!stream) return (await client.chat.completions.create(ask)).choices[0]!.message.content ?? '';
  return (await collect(await client.chat.completions.create({ ...ask, stream: true, stream_options: { include_usage: true } }))).text;
}

describe.each([false, true])('Claude on Anthropic, Bedrock, Vertex (stream: %s)', (stream) => {
  let h: Harness;
  let client: OpenAI;
  const outcomes: string[] = [];
  beforeAll(async () => {
    h = await startCloudChain(
      {
        anthropic: { protocol: 'anthropic', model: 'claude-sonnet-4-5' },
        bedrock: { protocol: 'bedrock', model: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0' },
        vertex: { protocol: 'vertex', model: 'claude-sonnet-4-5@20250929' },
      },
      { breaker: { failureThreshold: 1000 } },
    );
    h.relay.on('attempt', (e) => outcomes.push(`${e.provider}:${e.outcome}`));
    client = new OpenAI({ baseURL: h.url, apiKey: 'client-key', maxRetries: 0 });
  });
  afterEach(() => {
    outcomes.length = 0;
    for (const mock of Object.values(h.mocks)) mock.reset();
  });
  afterAll(async () => {
    await h.close();
  });

  // How each cloud says it cannot serve now.
  const down: Record<string, MockFault> = {
    anthropic: { status: 529 },
    bedrock: { status: 429 }, // ThrottlingException
    vertex: { status: 429 }, // RESOURCE_EXHAUSTED
  };

  it.each([
    [[], 'anthropic', ['anthropic:ok']],
    [['anthropic'], 'bedrock', ['anthropic:server', 'bedrock:ok']],
    [['anthropic', 'bedrock'], 'vertex', ['anthropic:server', 'bedrock:rate_limit', 'vertex:ok']],
    [['bedrock'], 'anthropic', ['anthropic:ok']],
  ] as const)('down: %j, served by %s', async (failing, served, expected) => {
    for (const name of failing) h.mocks[name]!.setFault(down[name]!);
    expect(await answer(client, stream)).toBe(`Hello from ${served}! This is a streamed reply from a mock upstream.`);
    expect(outcomes).toEqual(expected);
    // Each cloud got Anthropic's body in its own envelope.
    const last = (name: string) => h.mocks[name]!.requests.at(-1)!;
    if (served === 'bedrock') {
      expect(last('bedrock').path).toBe(`/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/${stream ? 'invoke-with-response-stream' : 'invoke'}`);
      expect(last('bedrock').body).toMatchObject({ anthropic_version: 'bedrock-2023-05-31', messages: [{ role: 'user', content: [{ type: 'text', text: 'Say hello' }] }] });
    }
    if (served === 'vertex') {
      expect(last('vertex').path).toBe(`/v1/projects/test-project/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-5@20250929:${stream ? 'streamRawPredict' : 'rawPredict'}`);
      expect(last('vertex').body).toMatchObject({ anthropic_version: 'vertex-2023-10-16' });
    }
  });

  it('Bedrock\'s ModelNotReadyException (a 429) counts as a server failure, not a rate limit', async () => {
    h.mocks.anthropic!.setFault(down.anthropic!);
    h.mocks.bedrock!.setFault({ status: 429, headers: { 'x-amzn-errortype': 'ModelNotReadyException:http://internal.amazon.com/coral/com.amazon.bedrock/' } });
    expect(await answer(client, stream)).toContain('Hello from vertex');
    expect(outcomes).toEqual(['anthropic:server', 'bedrock:server', 'vertex:ok']);
  });

  it('a prompt too long for Bedrock (ValidationException) is context_length: the chain moves on', async () => {
    h.mocks.anthropic!.setFault(down.anthropic!);
    h.mocks.bedrock!.setFault({ status: 400, body: { message: 'prompt is too long: 215000 tokens > 200000 maximum' } });
    expect(await answer(client, stream)).toContain('Hello from vertex');
    expect(outcomes).toEqual(['anthropic:server', 'bedrock:context_length', 'vertex:ok']);
  });

  if (stream) {
    it('an error inside each stream before any content fails over to the next cloud', async () => {
      h.mocks.anthropic!.setFault({ errorAfterChunks: 1 });
      h.mocks.bedrock!.setFault({ errorAfterChunks: 1 });
      expect(await answer(client, true)).toContain('Hello from vertex');
      expect(outcomes).toEqual(['anthropic:server', 'bedrock:server', 'vertex:ok']);
    });
  }
});

describe.each([false, true])('Azure OpenAI, then OpenAI (stream: %s)', (stream) => {
  let h: Harness;
  let client: OpenAI;
  const outcomes: string[] = [];
  beforeAll(async () => {
    h = await startCloudChain(
      { azure: { protocol: 'azure-openai', model: 'gpt-4-1-deployment' }, openai: { protocol: 'openai', model: 'gpt-4.1' } },
      { breaker: { failureThreshold: 1000 } },
    );
    h.relay.on('attempt', (e) => outcomes.push(`${e.provider}:${e.outcome}`));
    client = new OpenAI({ baseURL: h.url, apiKey: 'client-key', maxRetries: 0 });
  });
  afterEach(() => {
    outcomes.length = 0;
    for (const mock of Object.values(h.mocks)) mock.reset();
  });
  afterAll(async () => {
    await h.close();
  });

  it.each([
    [null, 'azure', ['azure:ok']],
    [{ status: 429, retryAfter: 1 }, 'openai', ['azure:rate_limit', 'openai:ok']],
    [{ status: 500 }, 'openai', ['azure:server', 'openai:ok']],
    [{ reset: true }, 'openai', ['azure:reset', 'openai:ok']],
  ] as const)('Azure fault %j: served by %s', async (fault, served, expected) => {
    if (fault) h.mocks.azure!.setFault(fault);
    expect(await answer(client, stream)).toContain(`Hello from ${served}`);
    expect(outcomes).toEqual(expected);
    expect(h.mocks.azure!.requests[0]!.headers['api-key']).toBe('sk-test-azure-secret');
  });

  it('Azure\'s content filter is content_policy: the client gets the 400, no failover', async () => {
    h.mocks.azure!.setFault({ status: 400, body: azureContentFilterError() });
    const err = await answer(client, stream).then(() => undefined, (e: unknown) => e as InstanceType<typeof OpenAI.APIError>);
    expect(err?.status).toBe(400);
    expect(err?.message).toContain('content management policy');
    expect(outcomes).toEqual(['azure:content_policy']);
    expect(h.mocks.openai!.requests).toHaveLength(0);
  });
});

describe.each([false, true])('a Messages client on Claude via Anthropic, Bedrock, Vertex, natively (stream: %s)', (stream) => {
  let h: Harness;
  const outcomes: string[] = [];
  beforeAll(async () => {
    h = await startCloudChain(
      {
        anthropic: { protocol: 'anthropic', model: 'claude-sonnet-4-5' },
        bedrock: { protocol: 'bedrock', model: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0' },
        vertex: { protocol: 'vertex', model: 'claude-sonnet-4-5@20250929' },
      },
      { breaker: { failureThreshold: 1000 } },
    );
    h.relay.on('attempt', (e) => outcomes.push(`${e.provider}:${e.outcome}`));
  });
  afterEach(() => {
    outcomes.length = 0;
    for (const mock of Object.values(h.mocks)) mock.reset();
  });
  afterAll(async () => {
    await h.close();
  });
  const down: Record<string, MockFault> = { anthropic: { status: 529 }, bedrock: { status: 429 }, vertex: { status: 429 } };

  it.each([
    [[], 'anthropic', ['anthropic:ok']],
    [['anthropic'], 'bedrock', ['anthropic:server', 'bedrock:ok']],
    [['anthropic', 'bedrock'], 'vertex', ['anthropic:server', 'bedrock:rate_limit', 'vertex:ok']],
  ] as const)('down: %j, served by %s with its thinking block and signature intact', async (failing, served, expected) => {
    for (const name of failing) h.mocks[name]!.setFault(down[name]!);
    const client = new Anthropic({ baseURL: h.url.replace(/\/v1$/, ''), apiKey: 'client-key', maxRetries: 0 });
    const body = {
      model: 'chat',
      max_tokens: 2_000,
      thinking: { type: 'enabled' as const, budget_tokens: 1_024 },
      messages: [
        { role: 'user' as const, content: 'Say hello' },
        { role: 'assistant' as const, content: [{ type: 'thinking' as const, thinking: 'Greet them.', signature: 'sig-abc' }, { type: 'text' as const, text: 'Hi!' }] },
        { role: 'user' as const, content: 'Again' },
      ],
    };
    const text = stream ? await client.messages.stream(body).finalText() : (await client.messages.create(body)).content.filter((b) => b.type === 'text').map((b) => (b as { text: string }).text).join('');
    expect(text).toBe(`Hello from ${served}! This is a streamed reply from a mock upstream.`);
    expect(outcomes).toEqual(expected);
    // The cloud got the client's own Messages body: thinking and its signature survived.
    const sent = h.mocks[served]!.requests.at(-1)!.body;
    expect(sent.thinking).toEqual({ type: 'enabled', budget_tokens: 1_024 });
    expect(sent.messages[1].content[0]).toEqual({ type: 'thinking', thinking: 'Greet them.', signature: 'sig-abc' });
  });
});
