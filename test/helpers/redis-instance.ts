/**
 * One relay instance for the multi-instance tests, run in its own process under tsx:
 * a relay on a Redis store, served on 127.0.0.1:0. Prints `{"port":N}` once listening;
 * shuts down cleanly when its stdin closes (the test stops it, or the test process died).
 *
 * Models: `chat` = a then b (breaker tests), `priced` = c at $1 per output token with a
 * daily model budget. Callers are named by the `x-user` header and rate limited.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { createRelay } from '../../src/index.js';
import { createRedisStore } from '../../src/redis.js';
import type { InstanceOptions } from './redis.js';

const o = JSON.parse(process.env.SWITCHYARD_INSTANCE ?? '{}') as InstanceOptions;
const redis = new Redis({ host: '127.0.0.1', port: o.redisPort, lazyConnect: false });
// The host owns its client's errors; the relay reports its own through `storeError`.
redis.on('error', () => {});
const store = createRedisStore({ client: redis, prefix: o.prefix });
const relay = createRelay({
  providers: {
    a: { type: 'openai', baseURL: o.mocks.a, apiKey: 'sk-a' },
    b: { type: 'openai', baseURL: o.mocks.b, apiKey: 'sk-b' },
    c: { type: 'openai', baseURL: o.mocks.c, apiKey: 'sk-c' },
  },
  models: {
    chat: { targets: [{ provider: 'a', model: 'a-model' }, { provider: 'b', model: 'b-model' }] },
    priced: { targets: [{ provider: 'c', model: 'c-model', price: { input: 0, output: 1_000_000 } }], budget: { usd: o.budgetUsd, period: 'day' } },
  },
  retry: { attempts: 1 },
  breaker: { failureThreshold: o.failureThreshold, cooldownMs: o.cooldownMs },
  callers: { key: (req) => req.headers['x-user'] as string | undefined, rateLimit: { requestsPerMinute: o.requestsPerMinute } },
  store,
});
const server = http.createServer(relay.nodeHandler({ prefix: '/v1', health: true }));
server.listen(0, '127.0.0.1');
await once(server, 'listening');
process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);

let stopping = false;
async function shutdown(): Promise<void> {
  if (stopping) return;
  stopping = true;
  server.closeAllConnections();
  server.close();
  await relay.close();
  store.close();
  redis.disconnect();
  // Everything is closed; should a handle linger, do not keep the test waiting on it.
  setTimeout(() => process.exit(0), 2_000).unref();
}
process.stdin.on('end', () => void shutdown());
process.stdin.on('close', () => void shutdown());
process.stdin.resume();
process.on('SIGTERM', () => void shutdown());
