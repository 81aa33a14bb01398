/**
 * Test harness: mock upstreams on 127.0.0.1, a relay in front of them served by
 * `node:http`, and a teardown that closes everything (tests fail on leaked handles).
 */
import { once } from 'node:events';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRelay, type NodeHandlerOptions, type Relay, type RelayConfig } from 'switchyard';
import { createMockUpstream, type MockUpstream, type MockUpstreamOptions } from 'switchyard/testing';

export interface Harness {
  relay: Relay;
  server: Server;
  /** `http://127.0.0.1:PORT/v1` of the relay. */
  url: string;
  mocks: Record<string, MockUpstream>;
  close(): Promise<void>;
}

export const MESSAGES = [{ role: 'user', content: 'Say hello' }];

/** Starts named mock upstreams. */
export async function startMocks(names: string[], options: MockUpstreamOptions = {}): Promise<Record<string, MockUpstream>> {
  const mocks: Record<string, MockUpstream> = {};
  for (const name of names) mocks[name] = await createMockUpstream({ name, ...options });
  return mocks;
}

/** A config with one OpenAI-compatible provider per mock and one public model `chat` over them in order. */
export function chainConfig(mocks: Record<string, MockUpstream>, extra: Partial<RelayConfig> = {}): RelayConfig {
  const providers: RelayConfig['providers'] = {};
  for (const [name, mock] of Object.entries(mocks)) providers[name] = { type: 'openai', baseURL: mock.url, apiKey: `sk-test-${name}-secret` };
  return {
    providers,
    models: { chat: { targets: Object.keys(mocks).map((name) => ({ provider: name, model: `${name}-model` })) } },
    retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 20 },
    ...extra,
  };
}

export async function listen(handler: http.RequestListener): Promise<{ server: Server; origin: string }> {
  const server = http.createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** Serves `relay` on node:http under `/v1`; `close()` stops the server, the relay and the mocks. */
export async function serveRelay(relay: Relay, mocks: Record<string, MockUpstream>, handler: NodeHandlerOptions = {}): Promise<Harness> {
  const { server, origin } = await listen(relay.nodeHandler({ ...handler, prefix: '/v1' }));
  return {
    relay,
    server,
    url: `${origin}/v1`,
    mocks,
    async close() {
      await closeServer(server);
      await relay.close();
      await Promise.all(Object.values(mocks).map((m) => m.close()));
    },
  };
}

/** Mocks plus a relay on plain node:http under `/v1`. */
export async function startHarness(names: string[], extra: Partial<RelayConfig> = {}, mockOptions: MockUpstreamOptions = {}, handler: NodeHandlerOptions = {}): Promise<Harness> {
  const mocks = await startMocks(names, mockOptions);
  return serveRelay(createRelay(chainConfig(mocks, extra)), mocks, handler);
}

/** Status, headers, text and (when it parses) JSON of a response. */
export async function readAnswer(res: Response) {
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}

/** POSTs a chat completion and returns status, headers and parsed JSON. */
export async function postChat(url: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'chat', messages: MESSAGES, ...body }),
  });
  return readAnswer(res);
}

/** Parses an SSE body into data payloads. */
export function sseData(text: string): string[] {
  return text
    .split('\n\n')
    .filter((e) => e.startsWith('data: '))
    .map((e) => e.slice(6));
}

/** Joins the text deltas of an SSE body. */
export function streamedText(text: string): string {
  return sseData(text)
    .filter((d) => d !== '[DONE]')
    .map((d) => JSON.parse(d))
    .map((c) => c.choices?.[0]?.delta?.content ?? '')
    .join('');
}

/**
 * Mocks `names` (one OpenAI-compatible provider each, key `sk-<name>`) and a relay on
 * node:http under `/v1` whose models, chains and options come from `build(providers)`.
 */
export async function startRelay(
  names: string[],
  build: (providers: RelayConfig['providers']) => Omit<RelayConfig, 'providers'>,
  handler: NodeHandlerOptions = {},
): Promise<Harness & { config: RelayConfig }> {
  const mocks = await startMocks(names);
  const providers: RelayConfig['providers'] = {};
  for (const [name, mock] of Object.entries(mocks)) providers[name] = { type: 'openai', baseURL: mock.url, apiKey: `sk-${name}` };
  const config: RelayConfig = { providers, retry: { attempts: 1, baseDelayMs: 1 }, ...build(providers) };
  return { ...(await serveRelay(createRelay(config), mocks, handler)), config };
}
