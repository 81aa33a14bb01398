/**
 * Hostile input, from both sides.
 *
 * Clients: property tests (fast-check, modest numRuns) on every route: random bytes,
 * random JSON, chat and embeddings bodies with wrong types, missing fields, unknown fields
 * and bad `stream` values, non-UTF-8 bytes, random paths and methods, random
 * `x-request-id`s; then the extremes by hand: deep nesting, huge strings, gigantic and
 * slowloris bodies, huge headers. Each gets a 4xx envelope (or Node's own 431) before a
 * generous hang detector, and the process never crashes (an unhandled-rejection recorder
 * fails the file).
 *
 * Upstreams: a tiny node:http server that answers with bodies that never end, lines that
 * never end, invalid UTF-8, and cookie and hop-by-hop headers. The relay must cap what it
 * reads and pass none of those headers on.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { Pool } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRelay, type Relay, type RelayConfig } from 'switchyard';
import { createMockUpstream, type MockUpstream } from 'switchyard/testing';
import { closeServer, listen, startHarness, type Harness } from './helpers/harness.js';

const MAX_BODY = 1024 * 1024; // 1 MiB
const HANG_MS = 10_000; // hang detector: far above any answer the relay should give

const rejections: unknown[] = [];
const onRejection = (reason: unknown) => rejections.push(reason);

let h: Harness;
let client: Pool;

beforeAll(async () => {
  process.on('unhandledRejection', onRejection);
  h = await startHarness(['primary'], {
    limits: { maxBodyBytes: MAX_BODY },
    timeouts: { firstByteMs: 2_000, idleMs: 2_000, totalMs: 5_000 },
  });
  client = new Pool(new URL(h.url).origin, { connections: 4 });
});

afterAll(async () => {
  await client?.close();
  await h?.close();
  process.off('unhandledRejection', onRejection);
  expect(rejections).toEqual([]);
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
}

async function call(method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await client.request({
    method: method as 'POST',
    path,
    body,
    headers: { 'content-type': 'application/json', ...headers },
    signal: AbortSignal.timeout(HANG_MS),
  });
  const text = await res.body.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers: res.headers, text, json };
}

/** OpenAI's envelope, exactly: `{ error: { message, type, code, param } }`. */
function expectEnvelope(a: Answer, status?: number): void {
  if (status !== undefined) expect(a.status).toBe(status);
  expect(a.status).toBeGreaterThanOrEqual(400);
  expect(a.status).toBeLessThan(500);
  expect(String(a.headers['content-type'])).toMatch(/^application\/json/);
  expect(Object.keys(a.json ?? {})).toEqual(['error']);
  expect(a.json.error).toEqual({
    message: expect.any(String),
    type: expect.any(String),
    code: expect.any(String),
    param: a.json.error.param === null ? null : expect.any(String),
  });
}

const MESSAGES = [{ role: 'user', content: 'hi' }];
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The status the relay owes a chat body, from the README's rules (validation, then routing). */
function chatVerdict(body: unknown): { status: number; param?: string | null } {
  if (!isObject(body)) return { status: 400, param: null };
  if (typeof body.model !== 'string' || body.model === '') return { status: 400, param: 'model' };
  if (!Array.isArray(body.messages) || body.messages.length === 0) return { status: 400, param: 'messages' };
  const bad = body.messages.findIndex((m) => !isObject(m) || typeof m.role !== 'string');
  if (bad !== -1) return { status: 400, param: isObject(body.messages[bad]) ? `messages[${bad}].role` : `messages[${bad}]` };
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') return { status: 400, param: 'stream' };
  if (body.model !== 'chat') return { status: 404, param: 'model' };
  return { status: 200 };
}

const nonEmptyNumbers = (v: unknown) => Array.isArray(v) && v.length > 0 && v.every((n) => typeof n === 'number');

/** The status the relay owes an embeddings body. */
function embeddingsVerdict(body: unknown): { status: number; param?: string | null } {
  if (!isObject(body)) return { status: 400, param: null };
  if (typeof body.model !== 'string' || body.model === '') return { status: 400, param: 'model' };
  const input = body.input;
  const ok =
    (typeof input === 'string' && input.length > 0) ||
    nonEmptyNumbers(input) ||
    (Array.isArray(input) && input.length > 0 && input.every((i) => (typeof i === 'string' && i.length > 0) || nonEmptyNumbers(i)));
  if (!ok) return { status: 400, param: 'input' };
  if (body.model !== 'chat') return { status: 404, param: 'model' };
  // The relay accepts token arrays; the mock upstream takes only strings and answers 400
  // (param `input`), which the relay returns as it is.
  if (typeof input !== 'string' && !(input as unknown[]).every((i) => typeof i === 'string')) return { status: 400, param: 'input' };
  return { status: 200 };
}

// A value of any JSON type, small.
const anyJson = fc.jsonValue({ maxDepth: 3 });
// Field names the relay does not know ('models' is a routing field: left out).
const unknownFields = fc.dictionary(
  fc.string({ maxLength: 12 }).filter((k) => !['model', 'messages', 'stream', 'models', 'input', '__proto__'].includes(k)),
  anyJson,
  { maxKeys: 4 },
);
const message = fc.oneof(
  fc.record({ role: fc.constantFrom('user', 'system', 'assistant', 'tool', 'nonsense'), content: fc.oneof(fc.string({ maxLength: 40 }), anyJson) }),
  fc.record({ role: anyJson, content: fc.string() }, { requiredKeys: [] }),
  anyJson,
);
const chatBody = fc
  .record(
    {
      model: fc.oneof({ weight: 4, arbitrary: fc.constant('chat') }, fc.string({ maxLength: 10 }), anyJson),
      messages: fc.oneof({ weight: 4, arbitrary: fc.array(message, { minLength: 1, maxLength: 3 }) }, fc.array(message, { maxLength: 0 }), anyJson),
      stream: fc.oneof(fc.boolean(), fc.constant(null), anyJson),
    },
    { requiredKeys: [] },
  )
  .chain((known) => unknownFields.map((extra) => ({ ...extra, ...known })));
const embeddingsBody = fc
  .record(
    {
      model: fc.oneof({ weight: 4, arbitrary: fc.constant('chat') }, fc.string({ maxLength: 10 }), anyJson),
      input: fc.oneof(
        fc.string({ maxLength: 20 }),
        fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
        fc.array(fc.integer(), { maxLength: 3 }),
        fc.array(fc.array(fc.integer(), { maxLength: 3 }), { maxLength: 2 }),
        anyJson,
      ),
    },
    { requiredKeys: [] },
  )
  .chain((known) => unknownFields.map((extra) => ({ ...extra, ...known })));

describe('client input: properties on every route', () => {
  it('random bytes on the POST routes get a 4xx envelope', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/v1/chat/completions', '/v1/embeddings'), fc.uint8Array({ maxLength: 2_048 }), async (path, bytes) => {
        const a = await call('POST', path, Buffer.from(bytes));
        expectEnvelope(a);
      }),
      { numRuns: 60 },
    );
  });

  it('random JSON values on the POST routes get a 4xx envelope (or a real answer when they happen to be valid)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/v1/chat/completions', '/v1/embeddings'), anyJson, async (path, value) => {
        const a = await call('POST', path, JSON.stringify(value));
        const verdict = path.endsWith('embeddings') ? embeddingsVerdict(value) : chatVerdict(value);
        expect(a.status).toBe(verdict.status);
        if (verdict.status !== 200) expectEnvelope(a);
      }),
      { numRuns: 60 },
    );
  });

  it('chat bodies with wrong types, missing fields, unknown fields and bad stream values get the status the rules say', async () => {
    await fc.assert(
      fc.asyncProperty(chatBody, async (body) => {
        const a = await call('POST', '/v1/chat/completions', JSON.stringify(body));
        const verdict = chatVerdict(body);
        expect(a.status).toBe(verdict.status);
        if (verdict.status === 200) {
          expect(String(a.headers['content-type'])).toMatch(body.stream === true ? /^text\/event-stream/ : /^application\/json/);
        } else {
          expectEnvelope(a);
          expect(a.json.error.param).toBe(verdict.param);
        }
      }),
      { numRuns: 120 },
    );
  });

  it('embeddings bodies with wrong types and missing input get the status the rules say', async () => {
    await fc.assert(
      fc.asyncProperty(embeddingsBody, async (body) => {
        const a = await call('POST', '/v1/embeddings', JSON.stringify(body));
        const verdict = embeddingsVerdict(body);
        expect(a.status).toBe(verdict.status);
        if (verdict.status !== 200) {
          expectEnvelope(a);
          expect(a.json.error.param).toBe(verdict.param);
        }
      }),
      { numRuns: 80 },
    );
  });

  it('bytes that are not UTF-8, anywhere in a valid body, get a 400', async () => {
    // Lone continuation bytes, overlongs, surrogates encoded in UTF-8, 0xfe/0xff.
    const invalid = fc.constantFrom([0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xfe], [0xff], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82]);
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 20 }), invalid, fc.string({ maxLength: 20 }), async (before, bad, after) => {
        const head = Buffer.from(`{"model":"chat","messages":[{"role":"user","content":${JSON.stringify(before).slice(0, -1)}`);
        const tail = Buffer.from(`${JSON.stringify(after).slice(1)}}]}`);
        const a = await call('POST', '/v1/chat/completions', Buffer.concat([head, Buffer.from(bad), tail]));
        expectEnvelope(a, 400);
        expect(a.json.error.message).toMatch(/UTF-8/);
      }),
      { numRuns: 40 },
    );
  });

  it('GET /v1/models answers the list whatever the query; other methods get 405 with Allow', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 30 }), fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'), async (query, method) => {
        const a = await call(method, `/v1/models?${encodeURIComponent(query)}`, method === 'GET' || method === 'HEAD' ? undefined : '{}');
        if (method === 'GET') {
          expect(a.status).toBe(200);
          expect(a.json).toEqual({ object: 'list', data: [{ id: 'chat', object: 'model', created: 0, owned_by: 'switchyard' }] });
        } else if (method === 'HEAD') {
          expect(a.status).toBe(200);
        } else {
          expectEnvelope(a, 405);
          expect(a.headers.allow).toBe('GET');
        }
      }),
      { numRuns: 40 },
    );
  });

  it('unknown routes and wrong methods on known ones get a 404 or 405 envelope', async () => {
    const segment = fc.oneof(fc.constantFrom('v1', 'chat', 'completions', 'embeddings', 'models', '..', '.', '', '%2e%2e', 'chat%2Fcompletions'), fc.string({ maxLength: 8 }).map(encodeURIComponent));
    await fc.assert(
      fc.asyncProperty(fc.array(segment, { minLength: 1, maxLength: 5 }), fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'), async (segments, method) => {
        const path = `/${segments.join('/')}`;
        const known = ['/v1/chat/completions', '/v1/embeddings', '/v1/models'];
        fc.pre(!known.includes(path.split('?')[0]!));
        const a = await call(method, path, method === 'GET' ? undefined : '{}');
        expectEnvelope(a, 404);
        expect(a.json.error.code).toBe('unknown_url');
      }),
      { numRuns: 60 },
    );
  });

  it('a sane x-request-id is echoed, anything else is replaced by a fresh id', async () => {
    const printable = fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 200 });
    await fc.assert(
      fc.asyncProperty(printable, async (id) => {
        const a = await call('POST', '/v1/chat/completions', JSON.stringify({ model: 'nope', messages: MESSAGES }), { 'x-request-id': id });
        expectEnvelope(a, 404);
        const echoed = a.headers['x-switchyard-request-id'];
        if (/^[\w.:-]{1,128}$/.test(id)) expect(echoed).toBe(id);
        else expect(echoed).toMatch(/^[0-9a-f-]{36}$/);
      }),
      { numRuns: 60 },
    );
  });

  it('x-switchyard-chain values that name no chain get a 404 envelope', async () => {
    const name = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'toString', 'chat', 'http://127.0.0.1:1/v1', '../../etc'), fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 40 }));
    await fc.assert(
      fc.asyncProperty(name, async (chain) => {
        const a = await call('POST', '/v1/chat/completions', JSON.stringify({ model: 'chat', messages: MESSAGES }), { 'x-switchyard-chain': chain });
        expectEnvelope(a, 404);
        expect(a.json.error.code).toBe('model_not_found');
      }),
      { numRuns: 30 },
    );
  });
});

describe('client input: the extremes', () => {
  const DEPTH = 100_000;
  const deepArrays = '['.repeat(DEPTH) + ']'.repeat(DEPTH);
  const deepObjects = '{"a":'.repeat(DEPTH) + '1' + '}'.repeat(DEPTH);

  it('a body that is 100k nested arrays gets a 400, not a crash', async () => {
    expectEnvelope(await call('POST', '/v1/chat/completions', deepArrays), 400);
    expectEnvelope(await call('POST', '/v1/embeddings', deepArrays), 400);
  });

  it('100k nested arrays as messages get a 400', async () => {
    const a = await call('POST', '/v1/chat/completions', `{"model":"chat","messages":${deepArrays}}`);
    expectEnvelope(a, 400);
    expect(a.json.error.param).toBe('messages[0]');
  });

  // Regression test for a bug found here and fixed: a deeply nested value in a field the relay passes through makes JSON.stringify throw RangeError in openaiProvider.chatRequest: 500 instead of 400.
  it.each([
    ['an unknown field', `{"model":"chat","messages":[{"role":"user","content":"hi"}],"metadata":${deepArrays}}`],
    ['a message content', `{"model":"chat","messages":[{"role":"user","content":${deepArrays}}]}`],
    ['nested objects', `{"model":"chat","messages":[{"role":"user","content":"hi"}],"x":${deepObjects}}`],
  ])('100k levels of nesting in %s get a 400, not a 500', async (_where, body) => {
    const a = await call('POST', '/v1/chat/completions', body);
    expectEnvelope(a, 400);
  });

  it('a huge string under the limit goes through; over the limit it is a 413', async () => {
    const fits = JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'x'.repeat(MAX_BODY - 200) }] });
    expect((await call('POST', '/v1/chat/completions', fits)).status).toBe(200);
    const over = JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'x'.repeat(MAX_BODY) }] });
    expectEnvelope(await call('POST', '/v1/chat/completions', over), 413);
    const surrogates = JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: '\ud83d\ude00'.repeat(MAX_BODY / 2) }] });
    expectEnvelope(await call('POST', '/v1/chat/completions', surrogates), 413);
  });

  it('a gigantic chunked body is cut at maxBodyBytes: the relay stops reading and answers 413 or closes', async () => {
    // Up to 256 MiB, written as fast as the relay reads; the relay must stop long before.
    const result = await new Promise<{ status?: number; error?: string; written: number }>((resolve) => {
      let written = 0;
      let settled = false;
      const done = (r: { status?: number; error?: string }) => {
        if (settled) return;
        settled = true;
        resolve({ ...r, written });
        req.destroy();
      };
      const req = http.request(`${h.url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        done({ status: res.statusCode });
      });
      req.on('error', (err) => done({ error: (err as { code?: string }).code ?? err.message }));
      const piece = Buffer.alloc(64 * 1024, 'y');
      req.write('{"model":"chat","messages":[{"role":"user","content":"');
      const pump = () => {
        while (!settled && written < 256 * 1024 * 1024) {
          written += piece.length;
          if (!req.write(piece)) return void req.once('drain', pump);
        }
      };
      pump();
      setTimeout(() => done({ error: 'hang' }), HANG_MS).unref();
    });
    // The 413 wins the race with the client's writes, or the socket the relay closed does.
    expect(String(result.status ?? result.error)).toMatch(/^(413|EPIPE|ECONNRESET)$/);
    // Socket buffers on both sides hold a few MiB at most; the relay read only its limit.
    expect(result.written).toBeLessThan(32 * 1024 * 1024);
    expect(h.mocks.primary!.requests.every((r) => typeof r.body === 'object')).toBe(true);
  });

  /** Sends a request whose body trickles in one byte every `everyMs`; resolves with what the server did. */
  function slowloris(url: string, bytes: number, everyMs: number): Promise<{ status?: number; error?: string; sent: number }> {
    return new Promise((resolve) => {
      const body = Buffer.from(JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'x'.repeat(Math.max(0, bytes - 60)) }] }));
      let sent = 0;
      let timer: NodeJS.Timeout | undefined;
      const done = (r: { status?: number; error?: string }) => {
        clearInterval(timer);
        resolve({ ...r, sent });
        req.destroy();
      };
      const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
        res.resume();
        done({ status: res.statusCode });
      });
      req.on('error', (err) => done({ error: (err as { code?: string }).code ?? err.message }));
      req.flushHeaders();
      timer = setInterval(() => {
        if (sent < body.length) req.write(body.subarray(sent, ++sent));
      }, everyMs);
    });
  }

  // Regression test for a bug found here and fixed: the core has no body-read timeout: a client that trickles its body holds the request (and a socket) for as long as it trickles; proposed `timeouts.bodyMs` in readJsonBody.
  it('cuts a body that trickles in slower than the body timeout, with a 408', async () => {
    const base: RelayConfig = {
      providers: { primary: { type: 'openai', baseURL: h.mocks.primary!.url, apiKey: 'sk-x' } },
      models: { chat: { targets: [{ provider: 'primary', model: 'm' }] } },
    };
    const relay = createRelay({ ...base, timeouts: { bodyMs: 500 } });
    const { server, origin } = await listen(relay.nodeHandler({ prefix: '/v1' }));
    try {
      // 60 bytes at one byte per 50 ms: 3 s of trickle; the relay should cut it after 0.5 s.
      const r = await slowloris(`${origin}/v1/chat/completions`, 60, 50);
      expect(r.status).toBe(408);
      expect(r.sent).toBeLessThan(30);
    } finally {
      await closeServer(server);
      await relay.close();
    }
  });

  it('a host server\'s own requestTimeout, shorter than bodyMs, also bounds a trickling body, and nothing stays in flight', async () => {
    const relay = createRelay({
      providers: { primary: { type: 'openai', baseURL: h.mocks.primary!.url, apiKey: 'sk-x' } },
      models: { chat: { targets: [{ provider: 'primary', model: 'm' }] } },
    });
    const server = http.createServer({ requestTimeout: 500, connectionsCheckingInterval: 100 }, relay.nodeHandler({ prefix: '/v1' }));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const r = await slowloris(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/chat/completions`, 200, 50);
      // Node answers 408 itself and closes; a write racing the close may see the reset instead.
      expect(String(r.status ?? r.error)).toMatch(/^(408|ECONNRESET|EPIPE)$/);
      expect(r.sent).toBeLessThan(100);
      expect(relay.inFlight).toBe(0);
    } finally {
      await closeServer(server);
      await relay.close();
    }
  });

  it('huge headers get Node\'s 431 and the server keeps serving', async () => {
    const a = await call('POST', '/v1/chat/completions', JSON.stringify({ model: 'chat', messages: MESSAGES }), { 'x-junk': 'j'.repeat(64 * 1024) }).catch((err: Error) => err);
    // Node answers 431 and closes; a client still writing its headers may see the reset first.
    expect(a instanceof Error ? (a as { code?: string }).code : String(a.status)).toMatch(/^(431|ECONNRESET|EPIPE)$/);
    expect((await call('POST', '/v1/chat/completions', JSON.stringify({ model: 'chat', messages: MESSAGES }))).status).toBe(200);
  });

  it('many headers, odd content types and duplicate ids change nothing', async () => {
    const headers: Record<string, string> = { 'content-type': 'text/plain; charset=latin1', 'x-request-id': 'a, b' };
    for (let i = 0; i < 500; i++) headers[`x-h-${i}`] = String(i);
    const a = await call('POST', '/v1/chat/completions', JSON.stringify({ model: 'chat', messages: MESSAGES }), headers);
    expect(a.status).toBe(200);
    expect(a.headers['x-switchyard-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  // Regression test for a bug found here and fixed: metaHeaders puts JSON.stringify(attempts) in x-switchyard-attempt-details; a non-Latin-1 upstream error message makes writeHead throw ERR_INVALID_CHAR (unhandled rejection, client hangs, or a stream left in flight).
  it('x-switchyard-debug with an upstream error message in Chinese still answers, leaks nothing and leaves nothing in flight', async () => {
    const local = await startHarness(['primary', 'backup'], { retry: { attempts: 1 } }, {}, { debug: true });
    const seen: unknown[] = [];
    const record = (reason: unknown) => seen.push(reason);
    const mark = rejections.length;
    process.on('unhandledRejection', record);
    try {
      local.mocks.primary!.setFault({ status: 503, body: { error: { message: '服务器繁忙，请稍后再试', type: 'server_error' } } });
      const send = (stream: boolean) =>
        fetch(`${local.url}/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-switchyard-debug': '1' },
          body: JSON.stringify({ model: 'chat', stream, messages: MESSAGES }),
          signal: AbortSignal.timeout(3_000),
        }).then(async (r) => ({ status: r.status, text: await r.text() }), (e: Error) => ({ status: 0, text: e.name }));
      // Served by the backup after the primary's 503: a 200 with the details header.
      expect((await send(false)).status).toBe(200);
      expect((await send(true)).status).toBe(200);
      // Every target failed: the 502 envelope.
      local.mocks.backup!.setFault({ status: 503, body: { error: { message: ' 上游错误', type: 'server_error' } } });
      expect((await send(false)).status).toBe(502);
      await new Promise((r) => setTimeout(r, 50));
      expect(seen).toEqual([]);
      expect(local.relay.inFlight).toBe(0);
    } finally {
      process.off('unhandledRejection', record);
      // The local recorder judged this test's rejections; the file-wide one must not count them twice.
      rejections.splice(mark);
      await local.close();
    }
  });
});

describe('configuration names in response headers', () => {
  // Regression test for a bug found here and fixed: metaHeaders (http/respond.ts) writes model, chain and provider names into headers unencoded and resolveConfig accepts any string: a name outside Latin-1 makes writeHead throw (500 for every answer, unhandled rejection for every error).
  it('a public model and provider named outside Latin-1 still get answers', async () => {
    const mock = await createMockUpstream({ name: 'm' });
    const relay = createRelay({
      providers: { 'fournisseur-été-中': { type: 'openai', baseURL: mock.url, apiKey: 'sk-x' } },
      models: { '模型': { targets: [{ provider: 'fournisseur-été-中', model: 'm' }] } },
    });
    const { server, origin } = await listen(relay.nodeHandler({ prefix: '/v1' }));
    const mark = rejections.length;
    try {
      const res = await fetch(`${origin}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: '模型', messages: MESSAGES }),
        signal: AbortSignal.timeout(3_000),
      });
      await res.text();
      expect(res.status).toBe(200);
    } finally {
      rejections.splice(mark);
      await closeServer(server);
      await relay.close();
      await mock.close();
    }
  });
});

/** A hostile upstream: `handle` writes what it wants; `sent` counts body bytes it got out before the relay hung up. */
async function hostile(handle: (req: http.IncomingMessage, res: http.ServerResponse, track: (n: number) => void) => void | Promise<void>) {
  const stats = { sent: 0, closedByPeer: 0 };
  const { server, origin } = await listen((req, res) => {
    res.on('close', () => {
      if (!res.writableFinished) stats.closedByPeer++;
    });
    req.resume();
    req.on('end', () => void handle(req, res, (n) => (stats.sent += n)));
  });
  return { stats, url: `${origin}/v1`, close: () => closeServer(server) };
}

/** Writes `piece` until `limit` bytes went out or the peer left, respecting backpressure. */
async function flood(res: http.ServerResponse, piece: Buffer, limit: number, track: (n: number) => void): Promise<void> {
  let sent = 0;
  while (sent < limit && !res.destroyed) {
    sent += piece.length;
    track(piece.length);
    if (!res.write(piece)) {
      // Wait for drain or close, and take both listeners off again (no pile-up per write).
      const event = await new Promise<'drain' | 'close'>((resolve) => {
        const onDrain = () => done('drain');
        const onClose = () => done('close');
        const done = (e: 'drain' | 'close') => {
          res.off('drain', onDrain).off('close', onClose);
          resolve(e);
        };
        res.on('drain', onDrain).on('close', onClose);
      });
      if (event === 'close') return;
    }
  }
}

const chunk = (delta: object, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: 'evil', object: 'chat.completion.chunk', created: 0, model: 'evil', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

describe('hostile upstreams', () => {
  const MAX_RESPONSE = 256 * 1024; // 256 KiB
  // What the relay may read past its cap: undici's and the sockets' buffers, a few MiB.
  const SLACK = 8 * 1024 * 1024;
  let backup: MockUpstream;
  let evil: Awaited<ReturnType<typeof hostile>> | undefined;

  beforeAll(async () => {
    backup = await createMockUpstream({ name: 'backup' });
  });
  afterEach(async () => {
    await evil?.close();
    evil = undefined;
  });
  afterAll(async () => {
    await backup.close();
  });

  /** Sends `body` through a relay over [rogue (the hostile upstream), backup] with small caps and timeouts. */
  async function through(body: Record<string, unknown>): Promise<Answer & { bytes: Buffer }> {
    const relay = createRelay({
      providers: {
        rogue: { type: 'openai', baseURL: evil!.url, apiKey: 'sk-rogue-key' },
        backup: { type: 'openai', baseURL: backup.url, apiKey: 'sk-backup-key' },
      },
      models: { chat: { targets: [{ provider: 'rogue', model: 'e' }, { provider: 'backup', model: 'b' }] } },
      retry: { attempts: 1 },
      timeouts: { firstByteMs: 2_000, idleMs: 500, firstTokenMs: 3_000, totalMs: 8_000 },
      limits: { maxResponseBytes: MAX_RESPONSE },
    });
    const { server, origin } = await listen(relay.nodeHandler({ prefix: '/v1' }));
    try {
      const res = await fetch(`${origin}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'chat', messages: MESSAGES, ...body }),
        signal: AbortSignal.timeout(HANG_MS),
      });
      const bytes = Buffer.from(await res.arrayBuffer());
      const text = bytes.toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      await expect.poll(() => relay.inFlight).toBe(0);
      return { status: res.status, headers: Object.fromEntries(res.headers), text, json, bytes };
    } finally {
      await closeServer(server);
      await relay.close();
    }
  }

  it('an endless JSON body is cut at maxResponseBytes and the backup answers', async () => {
    evil = await hostile(async (_req, res, track) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"choices":[{"message":{"content":"');
      await flood(res, Buffer.alloc(64 * 1024, 'a'), 256 * 1024 * 1024, track);
      res.end();
    });
    const r = await through({});
    expect(r.status).toBe(200);
    expect(r.headers['x-switchyard-provider']).toBe('backup');
    expect(evil.stats.sent).toBeLessThan(MAX_RESPONSE + SLACK);
    expect(evil.stats.closedByPeer).toBe(1);
  });

  it('an endless error body is cut (64 KiB of it is read) and the backup answers', async () => {
    evil = await hostile(async (_req, res, track) => {
      res.writeHead(500, { 'content-type': 'application/json', 'content-length': String(1024 * 1024 * 1024) });
      res.write('{"error":{"message":"');
      await flood(res, Buffer.alloc(64 * 1024, 'e'), 256 * 1024 * 1024, track);
      res.end();
    });
    const r = await through({});
    expect(r.headers['x-switchyard-provider']).toBe('backup');
    expect(evil.stats.sent).toBeLessThan(64 * 1024 + SLACK);
  });

  it('an endless stream of content is relayed with backpressure and cut when the client leaves', async () => {
    evil = await hostile(async (_req, res, track) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(chunk({ role: 'assistant', content: '' }));
      await flood(res, Buffer.from(chunk({ content: 'la '.repeat(100) }).repeat(200)), 1024 * 1024 * 1024, track);
      res.end();
    });
    const relay = createRelay({
      providers: { evil: { type: 'openai', baseURL: evil.url, apiKey: 'sk-evil-key' } },
      models: { chat: { targets: [{ provider: 'evil', model: 'e' }] } },
    });
    const { server, origin } = await listen(relay.nodeHandler({ prefix: '/v1' }));
    try {
      const controller = new AbortController();
      const res = await fetch(`${origin}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'chat', stream: true, messages: MESSAGES }),
        signal: controller.signal,
      });
      const reader = res.body!.getReader();
      let read = 0;
      while (read < 4 * 1024 * 1024) read += (await reader.read()).value?.length ?? 0;
      controller.abort();
      await expect.poll(() => evil!.stats.closedByPeer).toBe(1);
      await expect.poll(() => relay.inFlight).toBe(0);
      // The relay read about what the client read, not the gigabyte on offer.
      expect(evil.stats.sent).toBeLessThan(read + 4 * SLACK);
    } finally {
      await closeServer(server);
      await relay.close();
    }
  });

  // Regression test for a bug found here and fixed: readEvents (stream/sse.ts) creates its eventsource-parser without maxBufferSize: a `data:` line that never ends is buffered without limit.
  it('a never-ending SSE line after content is cut at a cap, with a stream_interrupted event', async () => {
    evil = await hostile(async (_req, res, track) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(chunk({ role: 'assistant', content: 'Hello' }));
      res.write('data: {"id":"evil","choices":[{"delta":{"content":"');
      await flood(res, Buffer.alloc(64 * 1024, 'z'), 24 * 1024 * 1024, track);
      // Then silence: without a cap only the idle timeout ends it, after all 24 MiB were held.
    });
    const r = await through({ stream: true });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text.trim().split('\n\n').at(-1)!.slice(6)).error.code).toBe('stream_interrupted');
    expect(evil.stats.sent).toBeLessThan(MAX_RESPONSE + SLACK);
  });

  // Regression test for a bug found here and fixed: same root cause: `data:` lines without the blank line that ends an event accumulate in the parser without limit.
  it('data lines that never end their event are cut at a cap', async () => {
    evil = await hostile(async (_req, res, track) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(chunk({ role: 'assistant', content: 'Hello' }));
      await flood(res, Buffer.from('data: more\n'.repeat(6_000)), 24 * 1024 * 1024, track);
    });
    const r = await through({ stream: true });
    expect(JSON.parse(r.text.trim().split('\n\n').at(-1)!.slice(6)).error.code).toBe('stream_interrupted');
    expect(evil.stats.sent).toBeLessThan(MAX_RESPONSE + SLACK);
  });

  // Regression test for a bug found here and fixed: readUntilContent (stream/commit.ts) holds every pre-content chunk with no byte cap: an upstream that streams role-only chunks is buffered until firstTokenMs.
  it('a stream of preamble that never brings content is cut at a cap and the backup answers', async () => {
    evil = await hostile(async (_req, res, track) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      await flood(res, Buffer.from(chunk({ role: 'assistant' }).repeat(500)), 24 * 1024 * 1024, track);
    });
    const r = await through({ stream: true });
    expect(r.headers['x-switchyard-provider']).toBe('backup');
    expect(evil.stats.sent).toBeLessThan(MAX_RESPONSE + SLACK);
  });

  it('invalid UTF-8 inside an SSE event reaches the client as valid UTF-8 (U+FFFD), the stream whole', async () => {
    evil = await hostile((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(chunk({ role: 'assistant', content: '' }));
      const [head, tail] = chunk({ content: 'AB' }).split('AB');
      res.write(Buffer.concat([Buffer.from(`${head}A`), Buffer.from([0xff, 0xc0, 0xed, 0xa0, 0x80]), Buffer.from(`B${tail}`)]));
      res.write(chunk({}, 'stop'));
      res.end('data: [DONE]\n\n');
    });
    const r = await through({ stream: true });
    expect(r.status).toBe(200);
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(r.bytes)).not.toThrow();
    expect(r.text).toContain('\ufffd');
    expect(r.text.trim().endsWith('data: [DONE]')).toBe(true);
  });

  // Regression test for a bug found here and fixed: a non-streaming answer is forwarded as the upstream's raw bytes (openaiProvider.completion returns `raw`): invalid UTF-8 reaches the client under `charset=utf-8`.
  it('invalid UTF-8 in a JSON answer never reaches the client as such', async () => {
    evil = await hostile((_req, res) => {
      const [head, tail] = JSON.stringify({ id: 'x', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'AB' }, finish_reason: 'stop' }] }).split('AB');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(Buffer.concat([Buffer.from(`${head}A`), Buffer.from([0xff, 0xfe]), Buffer.from(`B${tail}`)]));
    });
    const r = await through({});
    expect(r.status).toBe(200);
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(r.bytes)).not.toThrow();
  });

  /** Response headers a relay answer may carry: its own, and Node's. */
  const ALLOWED = /^(content-type|content-length|cache-control|connection|keep-alive|date|transfer-encoding|x-accel-buffering|retry-after|trailer|x-switchyard-[a-z-]+)$/;
  const EVIL_HEADERS = {
    'set-cookie': ['session=stolen; Path=/; HttpOnly', 'tracker=1; Domain=.example.com'],
    'set-cookie2': 'legacy=1',
    'proxy-authenticate': 'Basic realm="evil"',
    'www-authenticate': 'Bearer realm="evil"',
    'keep-alive': 'timeout=5, max=qxz',
    upgrade: 'h2c',
    trailer: 'x-evil-trailer',
    'x-upstream-secret': 'internal-qxz',
    server: 'evil/9.9.9',
    'access-control-allow-origin': '*',
    'strict-transport-security': 'max-age=0',
    location: 'http://evil.example/',
  };

  function expectNoUpstreamHeaders(headers: Record<string, unknown>) {
    for (const [name, value] of Object.entries(headers)) {
      expect(name).toMatch(ALLOWED);
      // Markers no request id (a UUID: hex digits) or date can contain.
      expect(String(value)).not.toMatch(/qxz|evil|stolen/);
    }
  }

  it.each([
    ['a JSON answer', {}, 200],
    ['a stream', { stream: true }, 200],
    ['an error returned as is (400)', { _status: 400 }, 400],
    ['a rate limit everywhere (429)', { _status: 429 }, 429],
  ])('cookies, hop-by-hop and other upstream headers never reach the client: %s', async (_name, body, status) => {
    const { _status, ...rest } = body as { _status?: number };
    evil = await hostile((req, res) => {
      if (_status !== undefined) {
        res.writeHead(_status, { ...EVIL_HEADERS, 'content-type': 'application/json', 'retry-after': '1' });
        return void res.end(JSON.stringify({ error: { message: `evil ${_status}`, type: 'invalid_request_error', code: null } }));
      }
      if ((rest as { stream?: boolean }).stream) {
        res.writeHead(200, { ...EVIL_HEADERS, 'content-type': 'text/event-stream' });
        return void res.end(chunk({ role: 'assistant', content: 'hi' }) + chunk({}, 'stop') + 'data: [DONE]\n\n');
      }
      res.writeHead(200, { ...EVIL_HEADERS, 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'x', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }] }));
    });
    if (_status === 429) await backup.setFault({ status: 429, retryAfter: 1 });
    try {
      const r = await through(rest);
      expect(r.status).toBe(status);
      if (status === 200) expect(r.headers['x-switchyard-provider']).toBe('rogue');
      expectNoUpstreamHeaders(r.headers);
    } finally {
      backup.setFault(null);
    }
  });
});
