/**
 * The latency the Redis store adds per request, against the memory store. Run by hand:
 * `npx tsx test/bench/redis-latency.ts [requests]` (needs `redis-server`; it starts its
 * own on a free port). Each store gets the same relay: a per-caller limit and a daily
 * per-caller budget, so every request takes a bucket token, reserves and settles the
 * budget (two Redis round trips: one script call that takes the token and reserves before
 * the upstream call, `Store.admit`, and the settlement after it). Requests
 * are sequential over one keep-alive connection to a mock upstream in this process.
 */
import type { AddressInfo } from 'node:net';
import http from 'node:http';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { Pool } from 'undici';
import { createRelay, type Store } from '../../src/index.js';
import { createRedisStore } from '../../src/redis.js';
import { createMockUpstream } from '../../src/testing/index.js';
import { startRedis } from '../helpers/redis.js';

const REQUESTS = Number(process.argv[2] ?? 2_000);
const WARMUP = 200;
const BODY = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'Say hello' }], max_tokens: 20 });

const redisServer = await startRedis();
const client = new Redis({ host: '127.0.0.1', port: redisServer.port });
const upstream = await createMockUpstream({ name: 'up' });

/** `caller: false` sends no caller key: no limit or budget applies, breakers are shared all the same. */
async function measure(name: string, store: Store | undefined, caller = true): Promise<number[]> {
  const relay = createRelay({
    providers: { up: { type: 'openai', baseURL: upstream.url, apiKey: 'sk-bench' } },
    models: { m: { targets: [{ provider: 'up', model: 'gpt-4.1' }] } },
    callers: { key: (req) => req.headers['x-user'] as string | undefined, rateLimit: { requestsPerMinute: 10_000_000 }, budget: { usd: 1_000_000, period: 'day' } },
    ...(store ? { store } : {}),
  });
  const server = http.createServer(relay.nodeHandler({ prefix: '/v1' }));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const pool = new Pool(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, { connections: 1 });
  const one = async () => {
    const res = await pool.request({ method: 'POST', path: '/v1/chat/completions', headers: { 'content-type': 'application/json', ...(caller ? { 'x-user': `bench-${name}` } : {}) }, body: BODY });
    await res.body.dump();
    if (res.statusCode !== 200) throw new Error(`${name}: status ${res.statusCode}`);
  };
  for (let i = 0; i < WARMUP; i++) await one();
  const times: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const t = performance.now();
    await one();
    times.push(performance.now() - t);
  }
  await pool.close();
  server.closeAllConnections();
  server.close();
  await relay.close();
  return times;
}

const q = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
const summary = (times: number[]) => {
  const s = [...times].sort((a, b) => a - b);
  return { median: q(s, 0.5), p99: q(s, 0.99), mean: times.reduce((a, b) => a + b, 0) / times.length };
};

try {
  // Interleaved rounds, so drift (JIT, CPU frequency) hits both stores alike.
  const all: Record<string, number[]> = { memory: [], redis: [], memoryNoCaller: [], redisNoCaller: [] };
  for (let round = 0; round < 2; round++) {
    all.memory!.push(...(await measure('memory', undefined)));
    const store = createRedisStore({ client, prefix: `bench${round}:` });
    all.redis!.push(...(await measure('redis', store)));
    all.memoryNoCaller!.push(...(await measure('memory', undefined, false)));
    all.redisNoCaller!.push(...(await measure('redis', store, false)));
    store.close();
  }
  const ms = (n: number) => `${n.toFixed(2)} ms`;
  const compare = (title: string, memory: number[], redis: number[]) => {
    const m = summary(memory);
    const r = summary(redis);
    console.log(`${title}: ${memory.length} sequential requests per store`);
    console.log(`  memory store: median ${ms(m.median)}, p99 ${ms(m.p99)}, mean ${ms(m.mean)}`);
    console.log(`  redis store:  median ${ms(r.median)}, p99 ${ms(r.p99)}, mean ${ms(r.mean)}`);
    console.log(`  added by Redis: median ${ms(r.median - m.median)}, p99 ${ms(r.p99 - m.p99)}, mean ${ms(r.mean - m.mean)}`);
  };
  console.log(`node ${process.version}, redis-server on 127.0.0.1`);
  compare('caller limit + budget (2 Redis calls a request)', all.memory!, all.redis!);
  compare('no limit or budget for the request (breakers shared, no Redis call)', all.memoryNoCaller!, all.redisNoCaller!);
} finally {
  client.disconnect();
  await upstream.close();
  await redisServer.stop();
}
