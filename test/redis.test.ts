/**
 * The Redis store against a real `redis-server` of the test's own (see helpers/redis.ts):
 * one conformance check for every store, then what only Redis does (prefixes and
 * expiry, script reloading, bounded calls, breaker pub/sub and probe claims), then two
 * relays on one Redis through a Redis restart.
 */
import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRelay, MemoryStore, type BreakerTransition, type Relay, type Store } from 'switchyard';
import { createRedisStore, RedisStore } from 'switchyard/redis';
import { closeServer, listen, postChat, startMocks } from './helpers/harness.js';
import { startRedisExample } from '../examples/redis/server.js';
import { freePort, skipRedis, startRedis, type RedisServer } from './helpers/redis.js';
import type { MockUpstream } from 'switchyard/testing';

const skip = skipRedis();
let server: RedisServer | undefined;
const clients: Redis[] = [];
let prefixes = 0;

/** A new ioredis client on the test's server; disconnected after the file. */
function client(port = server!.port): Redis {
  const c = new Redis({ host: '127.0.0.1', port });
  // The host owns its client's errors (here: connection refused while Redis restarts).
  c.on('error', () => {});
  clients.push(c);
  return c;
}
const prefix = () => `t${++prefixes}:`;

beforeAll(async () => {
  if (!skip) server = await startRedis();
});
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await server?.stop();
});

/** The cases every Store must pass. */
function conformance(make: () => Store) {
  let store: Store;
  afterEach(async () => {
    await store?.close?.();
  });
  const fresh = () => (store = make());

  it('takes tokens until the bucket is empty, then says when one is back', async () => {
    const s = fresh();
    for (const left of [2, 1, 0]) expect(await s.take('b', 1, 3, 60_000)).toMatchObject({ allowed: true, remaining: left, retryAfterMs: 0 });
    const refused = await s.take('b', 1, 3, 60_000);
    expect(refused).toMatchObject({ allowed: false, remaining: 0 });
    // 3 tokens a minute: one every 20 s.
    expect(refused.retryAfterMs).toBeGreaterThan(19_000);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(20_000);
    expect(refused.resetMs).toBeGreaterThan(59_000);
    expect(refused.resetMs).toBeLessThanOrEqual(60_000);
  });

  it('refills evenly over the window', async () => {
    const s = fresh();
    expect((await s.take('r', 2, 2, 200)).allowed).toBe(true);
    expect((await s.take('r', 1, 2, 200)).allowed).toBe(false);
    await sleep(150); // 1.5 tokens back
    expect((await s.take('r', 1, 2, 200)).allowed).toBe(true);
    expect((await s.take('r', 1, 2, 200)).allowed).toBe(false);
  });

  it('refuses a cost the bucket cannot hold, and another key is not affected', async () => {
    const s = fresh();
    const r = await s.take('big', 5, 3, 60_000);
    expect(r).toMatchObject({ allowed: false, remaining: 3 });
    expect(r.retryAfterMs).toBe(0);
    expect((await s.take('other', 3, 3, 60_000)).allowed).toBe(true);
  });

  it('gives tokens back, and takes more with a negative amount', async () => {
    const s = fresh();
    await s.take('g', 3, 3, 60_000);
    await s.give('g', 2, 3, 60_000);
    expect(await s.take('g', 2, 3, 60_000)).toMatchObject({ allowed: true, remaining: 0 });
    await s.give('g', 10, 3, 60_000); // never above capacity
    expect((await s.take('g', 3, 3, 60_000)).allowed).toBe(true);
    expect((await s.take('g', 1, 3, 60_000)).allowed).toBe(false);
    await s.give('h', -2, 3, 60_000);
    expect(await s.take('h', 1, 3, 60_000)).toMatchObject({ allowed: true, remaining: 0 });
  });

  it('reserves within the cap and refuses past it, leaving the spend as it was', async () => {
    const s = fresh();
    expect(await s.reserve('u', 0.75, 1, 60_000)).toEqual({ ok: true, spentUsd: 0.75 });
    expect(await s.reserve('u', 0.5, 1, 60_000)).toEqual({ ok: false, spentUsd: 0.75 });
    expect(await s.reserve('u', 0.25, 1, 60_000)).toEqual({ ok: true, spentUsd: 1 });
  });

  it('never overshoots the cap under concurrency: 50 reserves, room for 10', async () => {
    const s = fresh();
    const results = await Promise.all(Array.from({ length: 50 }, () => s.reserve('c', 0.25, 2.5, 60_000)));
    expect(results.filter((r) => r.ok)).toHaveLength(10);
    expect((await s.settle('c', 0, 60_000)).spentUsd).toBe(2.5);
  });

  it('settles by a delta, never below zero', async () => {
    const s = fresh();
    await s.reserve('s', 1, 10, 60_000);
    expect(await s.settle('s', -0.25, 60_000)).toEqual({ ok: true, spentUsd: 0.75 });
    expect(await s.settle('s', 0.5, 60_000)).toEqual({ ok: true, spentUsd: 1.25 });
    expect(await s.settle('s', -5, 60_000)).toEqual({ ok: true, spentUsd: 0 });
  });

  it('keeps values for their time to live, replaces and deletes them', async () => {
    const s = fresh();
    await s.putValue!('v', 'one', 60_000);
    await s.putValue!('v', 'two', 60_000);
    await s.putValue!('short', 'x', 100);
    expect(await s.getValue!('v')).toBe('two');
    expect(await s.getValue!('never')).toBeUndefined();
    expect(await s.deleteValue!('v')).toBe(true);
    expect(await s.deleteValue!('v')).toBe(false);
    expect(await s.getValue!('v')).toBeUndefined();
    await sleep(150);
    expect(await s.getValue!('short')).toBeUndefined();
  });

  it('forgets a budget when its period ends; writes do not extend the period', async () => {
    const s = fresh();
    await s.reserve('p', 1, 10, 200);
    await sleep(100);
    expect((await s.settle('p', 1, 200)).spentUsd).toBe(2);
    await sleep(150);
    expect(await s.reserve('p', 0.5, 10, 200)).toEqual({ ok: true, spentUsd: 0.5 });
  });
}

describe('store conformance: MemoryStore', () => {
  conformance(() => new MemoryStore());
});

describe.skipIf(skip)('store conformance: RedisStore', () => {
  conformance(() => createRedisStore({ client: client(), prefix: prefix() }));
});

describe.skipIf(skip)('RedisStore', () => {
  it('keeps its keys under the prefix, and every key expires', async () => {
    const c = client();
    const p = prefix();
    const s = createRedisStore({ client: c, prefix: p });
    await s.take('rl:caller:alice:requests', 1, 10, 60_000);
    await s.reserve('budget:caller:alice:2030-01-01', 1, 10, 3_600_000);
    const keys = (await c.keys('*')).filter((k) => k.startsWith(p)).sort();
    expect(keys).toEqual([`${p}budget:caller:alice:2030-01-01`, `${p}rl:caller:alice:requests`]);
    const bucketTtl = await c.pttl(`${p}rl:caller:alice:requests`);
    expect(bucketTtl).toBeGreaterThan(0);
    expect(bucketTtl).toBeLessThanOrEqual(6_000); // until one token is back
    expect(await c.pttl(`${p}budget:caller:alice:2030-01-01`)).toBeGreaterThan(3_500_000);
    // A full bucket holds no information and no key.
    await s.give('rl:caller:alice:requests', 1, 10, 60_000);
    expect(await c.exists(`${p}rl:caller:alice:requests`)).toBe(0);
  });

  it('reloads its scripts after Redis forgot them (a restart, SCRIPT FLUSH)', async () => {
    const c = client();
    const s = createRedisStore({ client: c, prefix: prefix() });
    await s.take('k', 1, 5, 60_000);
    await c.script('FLUSH');
    expect(await s.take('k', 1, 5, 60_000)).toMatchObject({ allowed: true, remaining: 3 });
  });

  it('gives up on a call Redis does not answer within timeoutMs', async () => {
    const s = createRedisStore({ client: client(), prefix: prefix(), timeoutMs: 100 });
    await s.take('warm', 1, 5, 60_000);
    const admin = client();
    await admin.client('PAUSE', 600, 'ALL');
    await expect(s.take('k', 1, 5, 60_000)).rejects.toMatchObject({ code: 'ERR_SWITCHYARD_REDIS_TIMEOUT' });
    await sleep(700);
  });

  it('fails at once while the client is reconnecting, instead of queueing', async () => {
    const c = client(await freePort()); // nothing listens there
    await expect.poll(() => c.status, { timeout: 5_000 }).toBe('reconnecting');
    const s = createRedisStore({ client: c, timeoutMs: 10_000 });
    await expect(s.reserve('k', 1, 5, 60_000)).rejects.toMatchObject({ code: 'ERR_SWITCHYARD_REDIS_UNAVAILABLE' });
  });

  it('rejects a client that is not an ioredis client', () => {
    expect(() => createRedisStore({ client: {} as Redis })).toThrow(TypeError);
  });

  it('publishes breaker verdicts to every subscriber, and replays open breakers to late ones', async () => {
    const p = prefix();
    const a = createRedisStore({ client: client(), prefix: p });
    const b = createRedisStore({ client: client(), prefix: p });
    const heard: BreakerTransition[] = [];
    let ready = 0;
    const off = a.subscribeBreakers({ transition: (t) => heard.push(t), ready: () => ready++ });
    await expect.poll(() => ready).toBe(1);
    await b.publishBreaker({ target: 'x/m', state: 'open', origin: 'B' });
    await expect.poll(() => heard.length).toBe(1);
    expect(heard[0]).toEqual({ target: 'x/m', state: 'open', origin: 'B', ageMs: 0, replay: false });

    // An instance that starts now learns that x/m is open, and how long ago it opened.
    const late: BreakerTransition[] = [];
    const offLate = b.subscribeBreakers({ transition: (t) => late.push(t) });
    await expect.poll(() => late.length).toBe(1);
    expect(late[0]).toMatchObject({ target: 'x/m', state: 'open', origin: 'B', replay: true });
    expect(late[0]!.ageMs).toBeGreaterThanOrEqual(0);
    expect(late[0]!.ageMs).toBeLessThan(5_000);

    await b.publishBreaker({ target: 'x/m', state: 'closed', origin: 'B' });
    await expect.poll(() => heard.length).toBe(2);
    expect(heard[1]).toMatchObject({ state: 'closed', replay: false });
    const later: BreakerTransition[] = [];
    let laterReady = false;
    const offLater = a.subscribeBreakers({ transition: (t) => later.push(t), ready: () => (laterReady = true) });
    await expect.poll(() => laterReady).toBe(true);
    expect(later).toEqual([]);
    off();
    offLate();
    offLater();
  });

  it('grants a half-open probe to one owner, again to the same owner, and frees it with the verdict', async () => {
    const p = prefix();
    const s = createRedisStore({ client: client(), prefix: p });
    expect(await s.acquireProbe('x/m', 'A', 5_000)).toEqual({ granted: true });
    const refused = await s.acquireProbe('x/m', 'B', 5_000);
    expect(refused.granted).toBe(false);
    expect(!refused.granted && refused.heldMs).toBeGreaterThan(4_000);
    expect(await s.acquireProbe('x/m', 'A', 5_000)).toEqual({ granted: true });
    expect((await s.acquireProbe('y/m', 'B', 5_000)).granted).toBe(true); // another target
    await s.publishBreaker({ target: 'x/m', state: 'closed', origin: 'A' });
    expect(await s.acquireProbe('x/m', 'B', 5_000)).toEqual({ granted: true });
    // A claim nobody reports on runs out.
    expect(await s.acquireProbe('z/m', 'A', 50)).toEqual({ granted: true });
    await sleep(80);
    expect(await s.acquireProbe('z/m', 'B', 50)).toEqual({ granted: true });
  });

  it('releases a probe claim at once for its owner only', async () => {
    const s = createRedisStore({ client: client(), prefix: prefix() });
    expect(await s.acquireProbe('x/m', 'A', 60_000)).toEqual({ granted: true });
    await s.releaseProbe('x/m', 'B'); // not B's to release
    expect((await s.acquireProbe('x/m', 'B', 60_000)).granted).toBe(false);
    await s.releaseProbe('x/m', 'A');
    expect(await s.acquireProbe('x/m', 'B', 60_000)).toEqual({ granted: true });
  });

  it('close() ends its own subscriber connection and leaves the host client open', async () => {
    const c = client();
    const s = new RedisStore({ client: c, prefix: prefix() });
    let ready = false;
    s.subscribeBreakers({ transition: () => {}, ready: () => (ready = true) });
    await expect.poll(() => ready).toBe(true);
    const before = Number((await c.info('clients')).match(/connected_clients:(\d+)/)![1]);
    s.close();
    await expect.poll(async () => Number((await c.info('clients')).match(/connected_clients:(\d+)/)![1])).toBe(before - 1);
    expect(c.status).toBe('ready');
  });
});

describe.skipIf(skip)('two relays on one Redis', () => {
  interface Node {
    relay: Relay;
    url: string;
    errors: { operation: string; allowed: boolean }[];
    close(): Promise<void>;
  }
  let mocks: Record<string, MockUpstream>;
  const nodes: Node[] = [];
  beforeAll(async () => {
    mocks = await startMocks(['a', 'b']);
  });
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.close()));
    for (const m of Object.values(mocks)) m.reset();
    if (server && !(await server.alive())) await server.start();
  });
  afterAll(async () => {
    await Promise.all(Object.values(mocks ?? {}).map((m) => m.close()));
  });

  async function node(p: string): Promise<Node> {
    const relay = createRelay({
      providers: { a: { type: 'openai', baseURL: mocks.a!.url, apiKey: 'sk-a' }, b: { type: 'openai', baseURL: mocks.b!.url, apiKey: 'sk-b' } },
      models: {
        chat: {
          targets: [
            { provider: 'a', model: 'a-model', price: { input: 1, output: 1 } },
            { provider: 'b', model: 'b-model', price: { input: 1, output: 1 } },
          ],
          budget: { usd: 1_000, period: 'day' },
        },
      },
      retry: { attempts: 1 },
      breaker: { failureThreshold: 1, cooldownMs: 60_000 },
      callers: { key: (req) => req.headers['x-user'] as string | undefined, rateLimit: { requestsPerMinute: 100_000 } },
      store: createRedisStore({ client: client(), prefix: p }),
    });
    const errors: Node['errors'] = [];
    relay.on('storeError', (e) => errors.push(e));
    const { server: http, origin } = await listen(relay.nodeHandler({ prefix: '/v1' }));
    const n: Node = {
      relay,
      url: `${origin}/v1`,
      errors,
      async close() {
        await closeServer(http);
        await relay.close();
      },
    };
    nodes.push(n);
    return n;
  }
  const breakerOf = (n: Node, provider: string) => n.relay.targets().find((t) => t.provider === provider)!.breaker.state;

  it('a breaker that opens in one relay opens in the other', async () => {
    const p = prefix();
    const [one, two] = [await node(p), await node(p)];
    mocks.a!.setFault({ status: 503 });
    expect((await postChat(one.url, { model: 'chat' })).status).toBe(200);
    expect(breakerOf(one, 'a')).toBe('open');
    await expect.poll(() => breakerOf(two, 'a')).toBe('open');
    const before = mocks.a!.count;
    expect((await postChat(two.url, { model: 'chat' })).headers.get('x-switchyard-provider')).toBe('b');
    expect(mocks.a!.count).toBe(before);
    // An operator's hold is this relay's own.
    one.relay.setBreaker('a', undefined, 'closed');
    await sleep(100);
    expect(breakerOf(two, 'a')).toBe('open');
  });

  it('keeps serving while Redis restarts, reports it, and shares state again afterwards', async () => {
    const p = prefix();
    const [one, two] = [await node(p), await node(p)];
    const statuses: number[] = [];
    let running = true;
    const worker = async (n: Node, user: string) => {
      for (let i = 0; i < 2_000 && running; i++) {
        // `user` reaches the upstream, so the mock can fail relay one's requests only.
        statuses.push((await postChat(n.url, { model: 'chat', user: n === one ? 'one' : 'two' }, { 'x-user': user })).status);
        await sleep(5);
      }
    };
    const traffic = Promise.all([worker(one, 'u1'), worker(two, 'u2'), worker(one, 'u3'), worker(two, 'u4')]);
    await sleep(300);
    await server!.kill();
    await sleep(800);
    // While Redis is down, a target fails in relay one: its breaker opens locally.
    mocks.a!.onRequest((req) => ((req.body as { user?: string }).user === 'one' ? { status: 503 } : null));
    await expect.poll(() => breakerOf(one, 'a')).toBe('open');
    expect(breakerOf(two, 'a')).toBe('closed');
    await server!.start();
    // Back: relay one publishes what it could not, relay two learns it; limits count again.
    await expect.poll(() => breakerOf(two, 'a'), { timeout: 10_000 }).toBe('open');
    const admin = client();
    await expect.poll(async () => (await admin.keys(`${p}rl:caller:*`)).length, { timeout: 10_000 }).toBeGreaterThan(0);
    running = false;
    await traffic;
    expect(statuses.length).toBeGreaterThan(20);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(one.errors.length + two.errors.length).toBeGreaterThan(0);
    expect([...one.errors, ...two.errors].every((e) => e.allowed)).toBe(true);
    expect(new Set(one.errors.map((e) => e.operation))).toContain('publishBreaker');
  });
});

describe.skipIf(skip)('the Redis example (examples/redis/server.ts)', () => {
  it('two copies share a caller\'s limit of 5 a minute', async () => {
    const env = { REDIS_URL: server!.url };
    const copies = [await startRedisExample(env, 0), await startRedisExample(env, 0)];
    try {
      const statuses = [];
      for (let n = 0; n < 6; n++) statuses.push((await postChat(copies[n % 2]!.url, { model: 'gpt-4.1' }, { 'x-user': 'example-alice' })).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    } finally {
      await Promise.all(copies.map((c) => c.close()));
    }
  });
});

describe('switchyard/redis in the built package', () => {
  const root = new URL('..', import.meta.url).pathname;
  const script = (load: string) => `${load}
const store = createRedisStore({ client: new Redis({ lazyConnect: true }) });
console.log(JSON.stringify(['take', 'give', 'reserve', 'settle', 'putValue', 'getValue', 'deleteValue', 'publishBreaker', 'subscribeBreakers', 'acquireProbe'].every((m) => typeof store[m] === 'function')));`;

  it.each([
    ['ESM', 'module', `import { createRedisStore } from 'switchyard/redis';\nimport { Redis } from 'ioredis';`],
    ['CommonJS', 'commonjs', `const { createRedisStore } = require('switchyard/redis');\nconst { Redis } = require('ioredis');`],
  ])('loads from %s', async (_, type, load) => {
    const { stdout } = await promisify(execFile)(process.execPath, [`--input-type=${type}`, '-e', script(load)], { cwd: root });
    expect(JSON.parse(stdout)).toBe(true);
  });
});
