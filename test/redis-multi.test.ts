/**
 * Three relay instances in three processes (helpers/redis-instance.ts, run under tsx)
 * share one `redis-server` of the test's own; the mock upstreams run here, so their
 * request counts say what the instances together sent. See helpers/redis.ts.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MockUpstream } from 'switchyard/testing';
import { postChat, startMocks } from './helpers/harness.js';
import { skipRedis, startInstance, startRedis, type Instance, type RedisServer } from './helpers/redis.js';

const skip = skipRedis();
const COOLDOWN_MS = 2_000;
const PER_MINUTE = 5;
const BUDGET_USD = 10;
const PREFIX = 'multi:';

describe.skipIf(skip)('several relay instances sharing one Redis', () => {
  let redis: RedisServer | undefined;
  let admin: Redis | undefined;
  let mocks: Record<string, MockUpstream> = {};
  let instances: Instance[] = [];

  beforeAll(async () => {
    try {
      redis = await startRedis();
      admin = new Redis({ host: '127.0.0.1', port: redis.port });
      mocks = await startMocks(['a', 'b']);
      Object.assign(mocks, await startMocks(['c'], { reply: 'one two three' }));
      const options = {
        redisPort: redis.port,
        prefix: PREFIX,
        mocks: { a: mocks.a!.url, b: mocks.b!.url, c: mocks.c!.url },
        failureThreshold: 2,
        cooldownMs: COOLDOWN_MS,
        requestsPerMinute: PER_MINUTE,
        budgetUsd: BUDGET_USD,
      };
      instances = await Promise.all([0, 1, 2].map(() => startInstance(options)));
    } catch (err) {
      await teardown();
      throw err;
    }
  }, 60_000);

  async function teardown(): Promise<void> {
    await Promise.all(instances.map((i) => i.stop()));
    instances = [];
    admin?.disconnect();
    await Promise.all(Object.values(mocks).map((m) => m.close()));
    await redis?.stop();
  }
  afterAll(teardown, 30_000);

  /** The breaker state of provider `a`'s target as an instance reports it. */
  async function breakerA(i: Instance): Promise<string> {
    const health = (await (await fetch(`${i.url}/health`)).json()) as { targets: { id: string; breaker: string }[] };
    return health.targets.find((t) => t.id === 'a/a-model')!.breaker;
  }
  const everywhere = async () => Promise.all(instances.map(breakerA));
  const servedBy = (r: { headers: Headers }) => r.headers.get('x-switchyard-provider');

  it('a failing upstream trips the breaker in one instance, and the others stop sending to it', async () => {
    const [first, ...others] = instances;
    mocks.a!.setFault({ status: 503 });
    for (let n = 0; n < 2; n++) expect(servedBy(await postChat(first!.url, { model: 'chat' }))).toBe('b');
    expect(await breakerA(first!)).toBe('open');
    // Within one pub/sub round trip, the others know too.
    await expect.poll(everywhere, { timeout: 2_000, interval: 20 }).toEqual(['open', 'open', 'open']);
    const sent = mocks.a!.count;
    for (const i of others) for (let n = 0; n < 3; n++) expect(servedBy(await postChat(i.url, { model: 'chat' }))).toBe('b');
    expect(mocks.a!.count).toBe(sent);
  });

  it('after the cooldown one instance alone probes the target, and its verdict closes it everywhere', async () => {
    // Open everywhere (still, or again), whatever the test before left.
    mocks.a!.setFault({ status: 503 });
    for (let n = 0; n < 10 && (await breakerA(instances[0]!)) !== 'open'; n++) await postChat(instances[0]!.url, { model: 'chat' });
    await expect.poll(everywhere, { timeout: 2_000, interval: 20 }).toEqual(['open', 'open', 'open']);
    // The target has recovered but is slow, so the probe is still out while the burst arrives.
    mocks.a!.setFault({ firstByteDelayMs: 1_000 });
    await sleep(COOLDOWN_MS + 300);
    const sent = mocks.a!.count;
    const burst = await Promise.all(instances.flatMap((i) => [0, 1, 2].map(() => postChat(i.url, { model: 'chat' }))));
    expect(burst.map((r) => r.status)).toEqual(Array(9).fill(200));
    expect(mocks.a!.count - sent).toBe(1);
    expect(burst.filter((r) => servedBy(r) === 'a')).toHaveLength(1);
    await expect.poll(everywhere, { timeout: 2_000, interval: 20 }).toEqual(['closed', 'closed', 'closed']);
    mocks.a!.setFault(null);
    for (const i of instances) expect(servedBy(await postChat(i.url, { model: 'chat' }))).toBe('a');
  });

  it(`a per-caller limit of ${PER_MINUTE} a minute admits ${PER_MINUTE} in all, not ${PER_MINUTE} per instance`, async () => {
    const statuses: number[] = [];
    const sent = mocks.b!.count + mocks.a!.count;
    for (let n = 0; n < 9; n++) statuses.push((await postChat(instances[n % 3]!.url, { model: 'chat' }, { 'x-user': 'carol' })).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(PER_MINUTE);
    expect(statuses.slice(PER_MINUTE)).toEqual(Array(9 - PER_MINUTE).fill(429));
    expect(mocks.b!.count + mocks.a!.count - sent).toBe(PER_MINUTE);
  });

  it('a budget is spent once across instances', async () => {
    // $1 per output token; the mock answers with 3 tokens, so each request costs $3 and
    // reserves $3: a $10 budget takes 3 requests in all (each instance alone would take 3).
    const results = [];
    for (let n = 0; n < 6; n++) results.push(await postChat(instances[n % 3]!.url, { model: 'priced', max_tokens: 3 }));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 402, 402, 402]);
    expect(results.slice(0, 3).map((r) => Number(r.headers.get('x-switchyard-cost-usd')))).toEqual([3, 3, 3]);
    expect(mocks.c!.count).toBe(3);
    const day = new Date().toISOString().slice(0, 10);
    expect(Number(await admin!.get(`${PREFIX}budget:model:priced:${day}`))).toBe(9);
  });
});
