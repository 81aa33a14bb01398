/**
 * A request's caller limits and budgets reach Redis as one script call (`Store.admit`,
 * the ADMIT script): the same answers and the same state as one call per check, stopping
 * at the first refusal; and through a relay, one round trip before the upstream call
 * however many checks there are, with the same refusals and headers as the memory store.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRelay, type RelayConfig, type Store } from 'switchyard';
import { createRedisStore } from 'switchyard/redis';
import type { AdmitOp } from '../src/store/store.js';
import { closeServer, listen, postChat, startMocks } from './helpers/harness.js';
import { skipRedis, startRedis, type RedisServer } from './helpers/redis.js';
import type { MockUpstream } from 'switchyard/testing';

const skip = skipRedis();
let server: RedisServer | undefined;
const clients: Redis[] = [];
let prefixes = 0;
let mocks: Record<string, MockUpstream>;

function client(): Redis {
  const c = new Redis({ host: '127.0.0.1', port: server!.port });
  c.on('error', () => {});
  clients.push(c);
  return c;
}
const prefix = () => `adm${++prefixes}:`;

beforeAll(async () => {
  if (skip) return;
  server = await startRedis();
  mocks = await startMocks(['up']);
});
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await server?.stop();
  await Promise.all(Object.values(mocks ?? {}).map((m) => m.close()));
});

describe.skipIf(skip)('Store.admit on Redis', () => {
  const ops = (cost: number, usd: number): AdmitOp[] => [
    { op: 'take', key: 'rl:req', cost: 1, capacity: 3, windowMs: 60_000 },
    { op: 'take', key: 'rl:tok', cost, capacity: 100, windowMs: 60_000 },
    { op: 'reserve', key: 'b:caller', amountUsd: usd, capUsd: 1, ttlMs: 60_000 },
    { op: 'reserve', key: 'b:model', amountUsd: usd, capUsd: 10, ttlMs: 60_000 },
  ];

  /** The same checks, one call each, stopping at the first refusal. */
  async function oneByOne(store: Store, list: AdmitOp[]) {
    const out = [];
    for (const o of list) {
      const s = o.op === 'take' ? await store.take(o.key, o.cost, o.capacity, o.windowMs) : await store.reserve(o.key, o.amountUsd, o.capUsd, o.ttlMs);
      out.push(s);
      if ('allowed' in s ? !s.allowed : !s.ok) break;
    }
    return out;
  }

  it('answers as one call per check would, and leaves the same state', async () => {
    const [a, b] = [createRedisStore({ client: client(), prefix: prefix() }), createRedisStore({ client: client(), prefix: prefix() })];
    // Room for 3 requests, 100 tokens, $1: the 2nd stops at tokens, the 4th... at requests.
    for (const [cost, usd] of [[10, 0.25], [95, 0.25], [10, 0.5], [10, 0.5], [10, 0.25]] as const) {
      const batched = await a.admit(ops(cost, usd));
      const single = await oneByOne(b, ops(cost, usd));
      expect(batched.map((s) => ({ ...s, resetMs: 0, retryAfterMs: 0 }))).toEqual(single.map((s) => ({ ...s, resetMs: 0, retryAfterMs: 0 })));
      expect(batched.length).toBe(single.length);
    }
    expect(await a.settle('b:caller', 0, 60_000)).toEqual(await b.settle('b:caller', 0, 60_000));
    expect(await a.settle('b:model', 0, 60_000)).toEqual(await b.settle('b:model', 0, 60_000));
  });

  it('is one round trip for a request with a caller limit and two budgets', async () => {
    const c = client();
    const calls: string[] = [];
    const counted = new Proxy(c, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver) as unknown;
        if (name === 'evalsha' || name === 'eval') return (...args: unknown[]) => (calls.push(String(name)), (value as (...a: unknown[]) => unknown).apply(target, args));
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const config = (store?: Store): RelayConfig => ({
      providers: { up: { type: 'openai', baseURL: mocks.up!.url, apiKey: 'sk-up' } },
      models: { chat: { targets: [{ provider: 'up', model: 'm', price: { input: 1, output: 1 } }], budget: { usd: 1_000, period: 'day' } } },
      callers: { key: (req) => req.headers['x-user'] as string | undefined, rateLimit: { requestsPerMinute: 2, tokensPerMinute: 100_000 }, budget: { usd: 1_000, period: 'day' } },
      ...(store ? { store } : {}),
    });
    const withRedis = createRelay(config(createRedisStore({ client: counted as unknown as Redis, prefix: prefix() })));
    const withMemory = createRelay(config());
    const served = await Promise.all([withRedis, withMemory].map((r) => listen(r.nodeHandler({ prefix: '/v1' }))));
    try {
      // A first request loads the scripts into Redis (NOSCRIPT, then EVAL).
      expect((await postChat(`${served[0]!.origin}/v1`, { model: 'chat' }, { 'x-user': 'warm-up' })).status).toBe(200);
      // Script calls made before the upstream saw each request: the admission's.
      const before: number[] = [];
      const answers: { status: number; limit: string | null; remaining: string | null }[][] = [[], []];
      for (let i = 0; i < 3; i++) {
        for (const [k, s] of served.entries()) {
          await withRedis.settled();
          calls.length = 0;
          mocks.up!.onRequest(() => (k === 0 && before.push(calls.length), null));
          const res = await postChat(`${s.origin}/v1`, { model: 'chat' }, { 'x-user': 'u' });
          answers[k]!.push({ status: res.status, limit: res.headers.get('x-ratelimit-limit-requests'), remaining: res.headers.get('x-ratelimit-remaining-requests') });
        }
      }
      mocks.up!.onRequest(null);
      expect(answers[0]).toEqual(answers[1]);
      expect(answers[0]!.map((a) => a.status)).toEqual([200, 200, 429]);
      // Four checks (requests, tokens, two budgets), one call, each time the upstream was reached.
      expect(before).toEqual([1, 1]);
    } finally {
      await Promise.all(served.map((s) => closeServer(s.server)));
      await Promise.all([withRedis.close(), withMemory.close()]);
    }
  });
});
