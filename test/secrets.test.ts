/**
 * Secrets and trust: what the relay sends upstream, what it lets out, and where it can be
 * made to connect.
 *
 * - The client's credentials (Authorization, cookies, x-api-key, proxy-authorization and
 *   other key headers) never reach an upstream; each upstream gets its provider's key.
 * - A canary provider key never appears in a response body or header, an error message
 *   (upstream errors that echo it included), an event payload (every event name is
 *   subscribed), an inspected error, or anything written to the console or to
 *   stdout/stderr while this file runs.
 * - No SSRF: model names, per-request fallbacks, `x-switchyard-chain`, Host-style headers,
 *   body fields and absolute-form request targets never make the relay call another host
 *   (an "attacker" server counts what reaches it).
 * - Prompt text stays out of event payloads.
 */
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { format, inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createRelay, type Relay, type RelayConfig, type RelayEventName } from 'switchyard';
import { createMockUpstream, type MockFault, type MockUpstream } from 'switchyard/testing';
import { closeServer, listen, sseData } from './helpers/harness.js';

const KEY = `sk-canary-${randomUUID()}`;
const ANTHROPIC_KEY = `sk-ant-canary-${randomUUID()}`;
const PROMPT = `PROMPT-CANARY-${randomUUID()}`;
const EVENTS: RelayEventName[] = ['request', 'attempt', 'retry', 'failover', 'breakerOpen', 'breakerHalfOpen', 'breakerClose', 'complete', 'abandoned', 'error', 'requestEnd'];

/** Everything that left the relay or the process during this file, to grep for canaries. */
const seen: string[] = [];
const writes = { out: process.stdout.write, err: process.stderr.write };

beforeAll(() => {
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
    const original = console[method].bind(console);
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      seen.push(format(...args));
      original(...args);
    });
  }
  const tap = (stream: NodeJS.WriteStream, original: typeof process.stdout.write) =>
    ((chunk: unknown, ...rest: unknown[]) => {
      seen.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      return (original as (...a: unknown[]) => boolean).call(stream, chunk, ...rest);
    }) as typeof process.stdout.write;
  process.stdout.write = tap(process.stdout, writes.out);
  process.stderr.write = tap(process.stderr, writes.err);
});

afterAll(() => {
  process.stdout.write = writes.out;
  process.stderr.write = writes.err;
  vi.restoreAllMocks();
  // The last word: nothing this file saw, anywhere, held a key.
  const all = seen.join('\n');
  expect(all.includes(KEY), 'the provider key leaked').toBe(false);
  expect(all.includes(ANTHROPIC_KEY), 'the Anthropic key leaked').toBe(false);
});

interface Rig {
  relay: Relay;
  url: string;
  primary: MockUpstream;
  backup: MockUpstream;
  claude: MockUpstream;
  attacker: MockUpstream;
  events: { name: string; payload: unknown }[];
  close(): Promise<void>;
}

let rig: Rig;

async function start(extra: Partial<RelayConfig> = {}): Promise<Rig> {
  const primary = await createMockUpstream({ name: 'primary' });
  const backup = await createMockUpstream({ name: 'backup' });
  const claude = await createMockUpstream({ name: 'claude', protocol: 'anthropic' });
  // Never configured anywhere: nothing may ever reach it.
  const attacker = await createMockUpstream({ name: 'attacker' });
  const relay = createRelay({
    providers: {
      primary: { type: 'openai', baseURL: primary.url, apiKey: KEY },
      backup: { type: 'openai', baseURL: backup.url, apiKey: KEY },
      claude: { type: 'anthropic', baseURL: claude.url, apiKey: ANTHROPIC_KEY },
    },
    models: {
      chat: { targets: [{ provider: 'primary', model: 'p' }, { provider: 'backup', model: 'b' }] },
      solo: { targets: [{ provider: 'primary', model: 'p' }] },
      claude: { targets: [{ provider: 'claude', model: 'claude-x' }] },
    },
    chains: { tier: ['solo', 'claude'] },
    retry: { attempts: 1 },
    // Breakers stay closed unless a test asks: each case sees its own fault, not a 503.
    breaker: { failureThreshold: 1_000_000 },
    ...extra,
  });
  const events: Rig['events'] = [];
  for (const name of EVENTS) relay.on(name, (payload: unknown) => events.push({ name, payload }));
  const { server, origin } = await listen(relay.nodeHandler({ prefix: '/v1', debug: true }));
  return {
    relay,
    url: `${origin}/v1`,
    primary,
    backup,
    claude,
    attacker,
    events,
    async close() {
      await closeServer(server);
      await relay.close();
      await Promise.all([primary, backup, claude, attacker].map((m) => m.close()));
    },
  };
}

beforeAll(async () => {
  rig = await start();
});
afterAll(async () => {
  await rig.close();
});
afterEach(() => {
  for (const m of [rig.primary, rig.backup, rig.claude]) m.setFault(null);
});

interface Answer {
  status: number;
  headers: Record<string, string>;
  text: string;
  json: any;
}

/** POSTs through the relay and records everything the client got. */
async function post(path: string, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(`${rig.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  const answer: Answer = { status: res.status, headers: Object.fromEntries(res.headers), text, json: undefined };
  try {
    answer.json = JSON.parse(text);
  } catch {
    // SSE
  }
  seen.push(JSON.stringify(answer.headers), text);
  return answer;
}

const chat = (extra: Record<string, unknown> = {}) => ({ model: 'chat', messages: [{ role: 'user', content: `Please keep ${PROMPT} to yourself.` }], ...extra });

function expectNoKey(text: string) {
  expect(text).not.toContain(KEY);
  expect(text).not.toContain(ANTHROPIC_KEY);
}

const eventText = () => JSON.stringify(rig.events);

describe('client credentials never reach an upstream', () => {
  const CLIENT = `client-secret-${randomUUID()}`;
  const credentials = {
    authorization: `Bearer ${CLIENT}`,
    cookie: `session=${CLIENT}; other=1`,
    'x-api-key': CLIENT,
    'proxy-authorization': `Basic ${CLIENT}`,
    'api-key': CLIENT,
    'x-goog-api-key': CLIENT,
    'openai-organization': CLIENT,
    'openai-project': CLIENT,
    'anthropic-version': CLIENT,
    'x-forwarded-for': CLIENT,
    forwarded: `for=${CLIENT}`,
    'x-amz-security-token': CLIENT,
  };

  it.each([
    ['a JSON chat completion', '/chat/completions', chat()],
    ['a stream', '/chat/completions', chat({ stream: true })],
    ['embeddings', '/embeddings', { model: 'chat', input: 'hello' }],
    ['a chat on an Anthropic target', '/chat/completions', chat({ model: 'claude' })],
    ['a stream on an Anthropic target', '/chat/completions', chat({ model: 'claude', stream: true })],
  ])('%s: each upstream gets its own key and none of the client\'s headers', async (_name, path, body) => {
    const before = { primary: rig.primary.requests.length, claude: rig.claude.requests.length };
    const r = await post(path, body, credentials);
    expect(r.status).toBe(200);
    const received = [...rig.primary.requests.slice(before.primary), ...rig.claude.requests.slice(before.claude)];
    expect(received.length).toBeGreaterThan(0);
    for (const req of received) {
      expect(JSON.stringify(req.headers)).not.toContain(CLIENT);
      expect(req.headers.cookie).toBeUndefined();
      expect(req.headers['proxy-authorization']).toBeUndefined();
      if (req.path.endsWith('/messages')) {
        expect(req.headers['x-api-key']).toBe(ANTHROPIC_KEY);
        expect(req.headers.authorization).toBeUndefined();
      } else {
        expect(req.headers.authorization).toBe(`Bearer ${KEY}`);
        expect(req.headers['x-api-key']).toBeUndefined();
      }
    }
  });

  it('after a failover the backup gets its own key too, and none of the client\'s headers', async () => {
    rig.primary.setFault({ status: 503 });
    const before = rig.backup.requests.length;
    const r = await post('/chat/completions', chat(), credentials);
    expect(r.headers['x-switchyard-provider']).toBe('backup');
    const req = rig.backup.requests[before]!;
    expect(req.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(JSON.stringify(req.headers)).not.toContain(CLIENT);
  });
});

describe('the provider key never leaves the relay', () => {
  const echo = (status: number, extra: object = {}): MockFault => ({
    status,
    body: { error: { message: `Incorrect API key provided: ${KEY}. Your key ${KEY} was rejected.`, type: 'invalid_request_error', code: null, ...extra } },
  });

  it.each([
    ['a 400 returned to the client as is', 'solo', echo(400), 400],
    ['a 401 that fails over, then a 502', 'solo', echo(401), 502],
    ['a 500 on every target (502 with attempts)', 'chat', echo(500), 502],
    ['a 429 everywhere', 'solo', { ...echo(429), retryAfter: 30 }, 429],
    ['an in-band error object in a 200', 'solo', { raw: JSON.stringify({ error: { message: `quota of ${KEY} exceeded`, type: 'server_error' } }) }, 502],
    ['a plain-text error body', 'solo', { status: 500, body: `upstream says: bad key ${KEY}`, contentType: 'text/plain' }, 502],
  ])('%s: not in the body, the headers, the debug details or any event', async (_name, model, fault, status) => {
    for (const m of [rig.primary, rig.backup]) m.setFault(fault);
    for (const debug of [{}, { 'x-switchyard-debug': '1' }] as Record<string, string>[]) {
      for (const stream of [false, true]) {
        const r = await post('/chat/completions', chat({ model, stream }), debug);
        expect(r.status).toBe(status);
        expectNoKey(r.text);
        expectNoKey(JSON.stringify(r.headers));
      }
    }
    expectNoKey(eventText());
  });

  it('an Anthropic error that echoes the x-api-key is redacted too', async () => {
    rig.claude.setFault({ status: 400, body: { type: 'error', error: { type: 'invalid_request_error', message: `invalid x-api-key ${ANTHROPIC_KEY}` } } });
    const r = await post('/chat/completions', chat({ model: 'claude' }));
    expect(r.status).toBe(400);
    expectNoKey(r.text);
    expect(r.json.error.message).toContain('[redacted]');
    rig.claude.setFault({ errorAfterChunks: 1, status: undefined });
    expectNoKey((await post('/chat/completions', chat({ model: 'claude', stream: true }))).text);
    expectNoKey(eventText());
  });

  it('errors thrown by the programmatic API hold no key, however deeply a logger inspects them', async () => {
    const cases: MockFault[] = [echo(400), echo(500), { reset: true }, { malformed: true }, { status: 500, body: `bad key ${KEY}`, contentType: 'text/plain' }];
    for (const fault of cases) {
      rig.primary.setFault(fault);
      const err = await rig.relay.chat(chat({ model: 'solo' })).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeDefined();
      const printed = `${inspect(err, { depth: Infinity, showHidden: true })}\n${JSON.stringify(err)}\n${String(err)}`;
      seen.push(printed);
      expectNoKey(printed);
    }
  });

  it('a key from apiKeyEnv is redacted the same way', async () => {
    const variable = `SWITCHYARD_CANARY_${randomUUID().replaceAll('-', '_')}`;
    process.env[variable] = KEY;
    const relay = createRelay({
      providers: { p: { type: 'openai', baseURL: rig.primary.url, apiKeyEnv: variable } },
      models: { m: { targets: [{ provider: 'p', model: 'x' }] } },
    });
    try {
      rig.primary.setFault(echo(400));
      const err = await relay.chat(chat({ model: 'm' })).catch((e: unknown) => e);
      const printed = inspect(err, { depth: Infinity });
      seen.push(printed);
      expectNoKey(printed);
    } finally {
      delete process.env[variable];
      await relay.close();
    }
  });

  it('relay.targets() and a default inspect of the relay hold no key', () => {
    const printed = `${JSON.stringify(rig.relay.targets())}\n${inspect(rig.relay)}`;
    seen.push(printed);
    expectNoKey(printed);
  });

  // Regression test for a bug found here and fixed: the resolved config keeps the key in plain fields (ResolvedProvider.secret, .headers.authorization) of Relay's `config`: a logger that inspects the relay deeply prints it.
  it('a deep inspect of the relay (a logger with no depth limit) holds no key', () => {
    const printed = inspect(rig.relay, { depth: Infinity });
    expect(printed.includes(KEY) || printed.includes(ANTHROPIC_KEY)).toBe(false);
  });

  // Regression test for a bug found here and fixed: after the commit point an in-band error's message goes into StreamInterruptedError unredacted (RelayStream.fail gets the raw BadResponse): the client's error event holds the key.
  it('an in-stream error event after content that echoes the key is redacted', async () => {
    const frames =
      `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 0, model: 'p', choices: [{ index: 0, delta: { role: 'assistant', content: 'Hi' }, finish_reason: null }] })}\n\n` +
      `data: ${JSON.stringify({ error: { message: `key ${KEY} ran out of quota`, type: 'server_error' } })}\n\n`;
    rig.primary.setFault({ raw: frames });
    const r = await post('/chat/completions', chat({ model: 'solo', stream: true }));
    expect(JSON.parse(sseData(r.text).at(-1)!).error.code).toBe('stream_interrupted');
    const leaked = r.text.includes(KEY);
    // Keep the file-wide canary check about the other paths: this leak is known and reported.
    seen.splice(seen.length - 2);
    expect(leaked).toBe(false);
  });

  // Regression test for a bug found here and fixed: attempt() redacts only `error.message`; an upstream error's `type`, `code` and `param` reach the client (and UpstreamRejectedError) as sent.
  it('an upstream error that puts the key in type, code or param is redacted', async () => {
    rig.primary.setFault({ status: 400, body: { error: { message: 'bad', type: KEY, code: KEY, param: KEY } } });
    const r = await post('/chat/completions', chat({ model: 'solo' }));
    const leaked = r.text.includes(KEY);
    seen.splice(seen.length - 2);
    expect(leaked).toBe(false);
  });

  // Regression test for a bug found here and fixed: parseError truncates a non-JSON error body to 200 characters before attempt() redacts it, so a key that straddles the cut leaks its first characters.
  it('a key cut in half by the 200-character limit of a plain-text error leaks no part of it', async () => {
    rig.primary.setFault({ status: 400, body: `${'x'.repeat(190)}${KEY}`, contentType: 'text/plain' });
    const r = await post('/chat/completions', chat({ model: 'solo' }));
    expect(r.status).toBe(400);
    const message: string = r.json.error.message;
    const leaked = KEY.slice(0, 10);
    expect(message).not.toContain(leaked);
  });
});

describe('no SSRF: a client cannot point the relay at a host', () => {
  let target: string;
  beforeAll(() => {
    target = rig.attacker.url;
  });
  afterEach(() => {
    expect(rig.attacker.count + rig.attacker.requests.length).toBe(0);
  });

  it.each([
    ['a URL as model', () => chat({ model: target })],
    ['a URL with the chat path as model', () => chat({ model: `${target}/chat/completions` })],
    ['a scheme-relative model', () => chat({ model: `//${new URL(target).host}/v1` })],
    ['a path-traversing model', () => chat({ model: '../../../v1/chat' })],
    ['a provider/model pair', () => chat({ model: 'attacker/x' })],
    ['URLs as per-request fallbacks', () => chat({ models: [target, `${target}/chat/completions`] })],
    ['a real model plus a URL fallback', () => chat({ model: 'chat', models: ['chat', target] })],
  ])('%s gets a 404 and reaches nothing', async (_name, body) => {
    const r = await post('/chat/completions', body());
    expect(r.status).toBe(404);
    expect(r.json.error.code).toBe('model_not_found');
  });

  it('a URL as x-switchyard-chain gets a 404', async () => {
    const r = await post('/chat/completions', chat(), { 'x-switchyard-chain': target });
    expect(r.status).toBe(404);
  });

  it('Host, X-Forwarded-Host and friends change nothing: the configured upstream answers', async () => {
    const host = new URL(target).host;
    const r = await post('/chat/completions', chat(), {
      host,
      'x-forwarded-host': host,
      'x-forwarded-proto': 'http',
      forwarded: `host=${host};proto=http`,
      'x-original-url': target,
      'x-rewrite-url': target,
      'x-host': host,
    });
    expect(r.status).toBe(200);
    expect(r.headers['x-switchyard-provider']).toBe('primary');
  });

  it('URL-ish fields in the body pass through to the configured upstream only', async () => {
    const before = rig.primary.requests.length;
    const r = await post('/chat/completions', chat({ baseURL: target, base_url: target, api_base: target, url: target, endpoint: target, provider: { baseURL: target } }));
    expect(r.status).toBe(200);
    expect(rig.primary.requests[before]!.body.base_url).toBe(target);
  });

  it('an absolute-form request target is not a proxy request: 404', async () => {
    const port = Number(new URL(rig.url).port);
    const body = JSON.stringify(chat());
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.write(
          `POST ${target}/chat/completions HTTP/1.1\r\nHost: ${new URL(target).host}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        );
      });
      let data = '';
      socket.on('data', (d) => (data += d.toString()));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 404/);
  });

  it('requests follow the configured base path whatever path and query the client used', async () => {
    const before = rig.primary.requests.length;
    const res = await fetch(`${rig.url}/chat/completions?api-version=1&url=${encodeURIComponent(target)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(chat()),
    });
    await res.text();
    expect(res.status).toBe(200);
    expect(rig.primary.requests[before]!.path).toBe('/v1/chat/completions');
  });
});

describe('prompt text stays out of events', () => {
  it('across successes, retries, failovers, breakers, streams and errors', async () => {
    const local = await start({ retry: { attempts: 2, baseDelayMs: 1 }, breaker: { failureThreshold: 2, cooldownMs: 50 } });
    try {
      const swap = rig;
      rig = local;
      try {
        await post('/chat/completions', chat());
        await post('/chat/completions', chat({ stream: true }));
        local.primary.setFault({ status: 503 });
        await post('/chat/completions', chat());
        await post('/chat/completions', chat({ stream: true }));
        local.backup.setFault({ reset: true });
        await post('/chat/completions', chat());
        await post('/chat/completions', chat({ model: 'claude', stream: true }));
        local.primary.setFault({ dieAfterChunks: 3 });
        local.backup.setFault(null);
        await new Promise((r) => setTimeout(r, 60));
        await post('/chat/completions', chat({ stream: true }));
      } finally {
        rig = swap;
      }
      const names = new Set(local.events.map((e) => e.name));
      expect([...names].sort()).toEqual(expect.arrayContaining(['attempt', 'breakerOpen', 'complete', 'error', 'failover', 'retry']));
      const text = JSON.stringify(local.events);
      expect(text).not.toContain(PROMPT);
      expectNoKey(text);
    } finally {
      await local.close();
    }
  });

  // Regression test for a bug found here and fixed: AttemptRecord.detail carries the upstream's error message verbatim into `attempt` and `error` events; an upstream that echoes the prompt puts prompt text in event payloads.
  it('an upstream error that quotes the prompt does not carry it into events', async () => {
    const before = rig.events.length;
    rig.primary.setFault({ status: 400, body: { error: { message: `Invalid content: "Please keep ${PROMPT} to yourself."`, type: 'invalid_request_error' } } });
    const r = await post('/chat/completions', chat({ model: 'solo' }));
    expect(r.status).toBe(400);
    expect(JSON.stringify(rig.events.slice(before))).not.toContain(PROMPT);
  });
});
