/**
 * Secrets fuzz: a canary in every secret slot of every provider type (API keys, credential
 * headers and headers marked secret, a cookie, Entra and Vertex tokens and AWS keys that
 * rotate with every request, static AWS keys with a session token, a Bedrock API key),
 * upstreams that echo everything they received (headers, path, body) back — in error
 * bodies of every status, in plain-text errors, in errors they cut short, in in-band
 * errors of a 200, in a 200 that does not parse, in error events in the middle of a stream, in successful answers, and
 * in answers that write every character as a JSON escape, in streamed answers cut into
 * pieces at random points — and a check of everything that
 * leaves the relay: what a client receives (status, headers, body, trailers, stream
 * events, for debug and non-debug clients), what host code receives (results, thrown
 * errors however deeply inspected), every event, the request log, every span, the
 * operator routes, and anything written to the console, stdout or stderr.
 *
 * A leak is any canary's first 8 characters (`MIN_SECRET`): a stream split right after a
 * secret's first one to three characters may let those out, and a text cut inside a
 * secret keeps fewer than eight; nothing more. Every scenario also checks that the
 * upstream really did receive and echo a canary, so a quiet upstream cannot pass it.
 */
import { randomBytes } from 'node:crypto';
import { format, inspect } from 'node:util';
import fc from 'fast-check';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createRelay, type ProviderConfig, type Relay, type RelayEventName } from 'switchyard';
import { createMockUpstream, type MockFault, type MockRequest, type MockUpstream } from 'switchyard/testing';
import { dump, errorBody, escapedAnswer, pieces, streamOf, type Wire } from './helpers/echo.js';
import { closeServer, listen, sseData, streamedText } from './helpers/harness.js';
import { startOtel, type OtelHarness } from './helpers/otel.js';

/** Every canary planted or handed out so far (rotating credentials add theirs as they go). */
const CANARIES = new Set<string>();
/** Signatures of the Bedrock requests: credentials while fresh, so none may come back out. */
const SIGNATURES = new Set<string>();
const canary = (label: string) => {
  const value = `cnry_${label}_${randomBytes(10).toString('hex')}`;
  CANARIES.add(value);
  return value;
};
const accessKeyId = () => {
  const value = `AKIA${randomBytes(8).toString('hex').toUpperCase()}`;
  CANARIES.add(value);
  return value;
};

type Mode = 'status' | 'text' | 'truncated' | 'inband' | 'garbage' | 'stream-error' | 'success' | 'escaped' | 'split';
const MODES: Mode[] = ['status', 'text', 'truncated', 'inband', 'garbage', 'stream-error', 'success', 'escaped', 'split'];

interface Slot {
  wire: Wire;
  protocol: 'openai' | 'anthropic' | 'azure-openai' | 'bedrock' | 'gemini' | 'vertex';
  model: string;
  config(url: string): Record<string, unknown>;
}

const rotatingToken = (label: string) => async () => ({ token: canary(label), expiresAt: Date.now() + 1 });
const rotatingAws = async () => ({ accessKeyId: accessKeyId(), secretAccessKey: canary('aws-secret'), sessionToken: canary('aws-session'), expiration: new Date(Date.now() + 1) });

/** One provider per secret slot, every provider type among them. */
const SLOTS: Record<string, Slot> = {
  openai: { wire: 'openai', protocol: 'openai', model: 'gpt-echo', config: (url) => ({ type: 'openai', baseURL: url, apiKey: canary('openai-key') }) },
  anthropic: { wire: 'anthropic', protocol: 'anthropic', model: 'claude-echo', config: (url) => ({ type: 'anthropic', baseURL: url, apiKey: canary('anthropic-key') }) },
  azure: { wire: 'openai', protocol: 'azure-openai', model: 'dep', config: (url) => ({ type: 'azure-openai', baseURL: url, apiVersion: '2024-10-21', apiKey: canary('azure-key') }) },
  entra: { wire: 'openai', protocol: 'azure-openai', model: 'dep', config: (url) => ({ type: 'azure-openai', baseURL: url, apiVersion: '2024-10-21', token: rotatingToken('entra-token') }) },
  bedrock: { wire: 'bedrock', protocol: 'bedrock', model: 'amazon.nova-pro-v1:0', config: (url) => ({ type: 'bedrock', region: 'us-east-1', baseURL: url, credentials: rotatingAws }) },
  bedrockStatic: {
    wire: 'bedrock',
    protocol: 'bedrock',
    model: 'amazon.nova-pro-v1:0',
    config: (url) => ({ type: 'bedrock', region: 'us-east-1', baseURL: url, credentials: { accessKeyId: accessKeyId(), secretAccessKey: canary('aws-static-secret'), sessionToken: canary('aws-static-session') } }),
  },
  bedrockKey: { wire: 'bedrock', protocol: 'bedrock', model: 'amazon.nova-pro-v1:0', config: (url) => ({ type: 'bedrock', region: 'us-east-1', baseURL: url, apiKey: canary('bedrock-key') }) },
  gemini: { wire: 'google', protocol: 'gemini', model: 'gemini-2.5-flash', config: (url) => ({ type: 'gemini', baseURL: url, apiKey: canary('gemini-key') }) },
  vertex: { wire: 'google', protocol: 'vertex', model: 'gemini-2.5-pro', config: (url) => ({ type: 'vertex', project: 'echo', location: 'us-east5', baseURL: url, token: rotatingToken('vertex-token') }) },
};
const NAMES = Object.keys(SLOTS);

/** Secrets every provider also carries in its headers: by name, marked, and in a cookie. */
const headerSlots = (name: string) => ({
  headers: { 'x-relay-key': canary(`${name}-header`), 'x-gateway': canary(`${name}-marked`), cookie: `session=${canary(`${name}-cookie`)}; theme=dark`, 'x-tenant': 'acme' },
  secretHeaders: ['x-gateway'],
});

const EVENTS: RelayEventName[] = [
  'request', 'attempt', 'retry', 'failover', 'breakerOpen', 'breakerHalfOpen', 'breakerClose', 'complete', 'abandoned', 'content',
  'requestEnd', 'alert', 'rateLimited', 'budgetExceeded', 'control', 'storeError', 'error',
];

/** What left the relay since the last check. */
let out: string[] = [];
const writes = { out: process.stdout.write, err: process.stderr.write };
let relay: Relay;
let otel: OtelHarness;
const mocks: Record<string, MockUpstream> = {};
const servers: { debug: string; plain: string; close: () => Promise<void> }[] = [];
/** What the upstreams do for the current scenario. */
const plan: { fault?: (req: MockRequest) => MockFault; reply?: (req: MockRequest) => string } = {};

/** The canary a text lets out (its first 8 characters), or a signature; undefined when none. */
function leakIn(text: string): string | undefined {
  for (const c of CANARIES) if (text.includes(c.slice(0, 8))) return c.slice(0, 14);
  for (const s of SIGNATURES) if (text.includes(s.slice(0, 16))) return 'a SigV4 signature';
  return undefined;
}

function spansText(): string {
  const spans = otel.exporter.getFinishedSpans().map((s) => ({ name: s.name, attributes: s.attributes, events: s.events.map((e) => ({ name: e.name, attributes: e.attributes })), status: s.status }));
  otel.exporter.reset();
  return JSON.stringify(spans);
}

/** Everything collected since the last call, with the relay's log and spans; fails on a leak. */
function expectNoLeak(where: string): void {
  const texts = [...out, spansText(), JSON.stringify(relay.requestLog().recent({ limit: 4 }))];
  out = [];
  for (const text of texts) {
    const leak = leakIn(text);
    if (leak) expect.fail(`${where}: ${leak}… leaked in ${text.slice(0, 300).replaceAll(/cnry_\w+/g, 'cnry_…')}`);
  }
}

beforeAll(async () => {
  otel = startOtel();
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void out.push(format(...args)));
  }
  const tap = (original: typeof process.stdout.write) =>
    ((chunk: unknown, ...rest: unknown[]) => {
      out.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      return (original as (...a: unknown[]) => boolean).call(process.stdout, chunk, ...rest);
    }) as typeof process.stdout.write;
  process.stdout.write = tap(writes.out);
  process.stderr.write = tap(writes.err);

  const providers: Record<string, ProviderConfig> = {};
  for (const [name, slot] of Object.entries(SLOTS)) {
    const mock = await createMockUpstream({ name, protocol: slot.protocol, reply: (req) => plan.reply?.(req) ?? `Hello from ${name}.` });
    mock.onRequest((req) => {
      const sig = /Signature=([0-9a-f]{64})/.exec(String(req.headers.authorization ?? ''))?.[1];
      if (sig) SIGNATURES.add(sig);
      return plan.fault?.(req);
    });
    mocks[name] = mock;
    providers[name] = { ...slot.config(mock.url), ...headerSlots(name) } as unknown as ProviderConfig;
  }
  relay = createRelay({
    providers,
    models: Object.fromEntries(NAMES.map((n) => [`m-${n}`, { targets: [{ provider: n, model: SLOTS[n]!.model }] }])),
    retry: { attempts: 1 },
    breaker: { failureThreshold: 1_000_000 },
    telemetry: { traces: true, captureContent: true },
    requestLog: { size: 500, prompts: true },
  });
  for (const name of EVENTS) relay.on(name, (payload: unknown) => void out.push(JSON.stringify(payload)));
  const debug = await listen(relay.nodeHandler({ prefix: '/v1', debug: true, stats: true, health: true, requests: true, dashboard: true, admin: true }));
  const plain = await listen(relay.nodeHandler({ prefix: '/v1' }));
  servers.push({
    debug: `${debug.origin}/v1`,
    plain: `${plain.origin}/v1`,
    close: async () => {
      await closeServer(debug.server);
      await closeServer(plain.server);
    },
  });
});

afterAll(async () => {
  process.stdout.write = writes.out;
  process.stderr.write = writes.err;
  vi.restoreAllMocks();
  await servers[0]?.close();
  await relay?.close();
  await Promise.all(Object.values(mocks).map((m) => m.close()));
  await otel?.provider.shutdown();
});

interface Scenario {
  provider: string;
  mode: Mode;
  status: number;
  stream: boolean;
  via: 'http' | 'api';
  debug: boolean;
  /** Where a `truncated` echo is cut. */
  cut: number;
  /** Where a `split` stream cuts the echo. */
  splits: number[];
  /** Text the upstream puts around the echo. */
  wrap: [string, string];
}

/** Sets the upstreams up for `s`; returns the echoes they will have sent. */
function arrange(s: Scenario): { echoes: string[]; stream: boolean } {
  const { wire } = SLOTS[s.provider]!;
  const echoes: string[] = [];
  const echo = (req: MockRequest) => {
    const text = `${s.wrap[0]}${dump(req)}${s.wrap[1]}`;
    echoes.push(text);
    return text;
  };
  const bedrockHeaders = wire === 'bedrock' ? { 'x-amzn-errortype': s.status >= 500 ? 'InternalServerException' : 'ValidationException' } : undefined;
  plan.fault = undefined;
  plan.reply = undefined;
  let stream = s.stream;
  let mode = wire === 'bedrock' && s.mode === 'inband' ? 'status' : s.mode;
  // Escaped answers are written for OpenAI's wire; elsewhere the adapters re-encode anyway.
  if (mode === 'escaped' && wire !== 'openai') mode = 'success';
  switch (mode) {
    case 'status':
      plan.fault = (req) => ({ status: s.status, body: errorBody(wire, s.status, echo(req)), headers: bedrockHeaders });
      break;
    case 'text':
      plan.fault = (req) => ({ status: s.status, body: echo(req), contentType: 'text/plain', headers: bedrockHeaders });
      break;
    case 'truncated':
      plan.fault = (req) => {
        const text = echo(req);
        return { status: s.status, body: errorBody(wire, s.status, text.slice(0, s.cut % (text.length + 1))), headers: bedrockHeaders };
      };
      break;
    case 'inband':
      stream = false;
      plan.fault = (req) => ({ raw: JSON.stringify(errorBody(wire, 500, echo(req))), contentType: 'application/json' });
      break;
    case 'garbage':
      // A 200 that is not what it claims: a body (or a first stream event) that does not parse, quoting the echo.
      plan.fault = (req) => (stream ? { raw: `data: {"oops ${echo(req)}\n\n` } : { raw: `{"oops ${echo(req)}`, contentType: 'application/json' });
      break;
    case 'stream-error':
      stream = true;
      plan.fault = (req) => streamOf(wire, ['Hello', ' there, '], echo(req));
      break;
    case 'success':
      plan.reply = (req) => echo(req);
      break;
    case 'escaped':
      plan.fault = (req) => escapedAnswer(echo(req), stream);
      break;
    case 'split':
      stream = true;
      plan.fault = (req) => streamOf(wire, pieces(echo(req), s.splits));
      break;
  }
  return { echoes, stream };
}

/** Runs `s` and checks everything that left the relay. */
async function run(s: Scenario): Promise<void> {
  const { echoes, stream } = arrange(s);
  const body = { model: `m-${s.provider}`, stream, messages: [{ role: 'user', content: 'Say back what you received.' }] };
  if (s.via === 'http') {
    const res = await request(`${s.debug ? servers[0]!.debug : servers[0]!.plain}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-switchyard-debug': '1' },
      body: JSON.stringify(body),
    });
    const text = await res.body.text();
    out.push(String(res.statusCode), JSON.stringify(res.headers), text, JSON.stringify(res.trailers));
    // What a client makes of the deltas: one text, in which no split may hide a secret.
    if (stream && res.statusCode === 200) out.push(streamedText(sseData(text).filter((d) => !d.includes('"error"')).map((d) => `data: ${d}`).join('\n\n')));
  } else {
    try {
      if (stream) {
        let joined = '';
        for await (const chunk of await relay.stream(body)) {
          out.push(JSON.stringify(chunk));
          joined += (chunk.choices[0] as { delta?: { content?: string } } | undefined)?.delta?.content ?? '';
        }
        out.push(joined);
      } else {
        out.push(JSON.stringify(await relay.chat(body)));
      }
    } catch (err) {
      out.push(inspect(err, { depth: Infinity, showHidden: true }), JSON.stringify(err), String(err), (err as Error).stack ?? '');
    }
  }
  // The upstream did receive the canaries and did say them back: otherwise this proves nothing.
  expect(echoes.length).toBeGreaterThan(0);
  expect(echoes.some((e) => e.includes('cnry_'))).toBe(true);
  expectNoLeak(`${s.provider} ${s.mode} ${s.via}${stream ? ' stream' : ''}`);
}

const base: Omit<Scenario, 'provider' | 'mode'> = { status: 500, stream: false, via: 'http', debug: true, cut: 0, splits: [], wrap: ['', ''] };

describe('no secret leaves the relay, whatever an upstream echoes', () => {
  it.each(NAMES)('%s: every echo, streamed and not, to a debug client', async (provider) => {
    for (const mode of MODES) {
      for (const stream of [false, true]) {
        // A cut in the middle of the first canary, and splits every few characters.
        await run({ ...base, provider, mode, stream, status: mode === 'text' ? 400 : 500, cut: 200, splits: Array.from({ length: 200 }, (_, i) => i * 7) });
      }
    }
  });

  it('random scenarios (fast-check): any provider, echo, status, cut, split, wrapping, client and debug setting', async () => {
    const scenario = fc.record<Scenario>({
      provider: fc.constantFrom(...NAMES),
      mode: fc.constantFrom(...MODES),
      status: fc.constantFrom(400, 401, 403, 404, 408, 413, 422, 429, 500, 502, 503, 529),
      stream: fc.boolean(),
      via: fc.constantFrom('http', 'api'),
      debug: fc.boolean(),
      cut: fc.nat({ max: 4000 }),
      splits: fc.array(fc.nat({ max: 4000 }), { maxLength: 40 }),
      wrap: fc.tuple(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 })),
    });
    await fc.assert(fc.asyncProperty(scenario, run), { numRuns: 150 });
  });

  it('the operator routes, the relay, its results and its targets hold none either', async () => {
    await run({ ...base, provider: 'bedrock', mode: 'status' });
    const url = servers[0]!.debug;
    for (const route of ['stats', 'health', 'requests', 'dashboard', 'admin/targets']) {
      const res = await request(`${url}/${route}`);
      out.push(await res.body.text());
    }
    plan.fault = undefined;
    plan.reply = undefined;
    const result = await relay.handle({ body: { model: 'm-bedrock', stream: true, messages: [{ role: 'user', content: 'hi' }] } });
    for (const options of [{ depth: Infinity }, { depth: Infinity, showHidden: true, getters: true }, { depth: Infinity, showHidden: true, getters: true, customInspect: false }]) {
      out.push(inspect(result, options), inspect(relay.stats(), options), inspect(relay.requestLog(), options));
    }
    out.push(inspect(relay, { depth: Infinity, showHidden: true }), JSON.stringify(relay), JSON.stringify(relay.targets()), JSON.stringify(relay.stats()), JSON.stringify(relay.health()));
    if (result.stream) await result.chunks.return();
    expectNoLeak('operator routes and inspection');
  });
});
