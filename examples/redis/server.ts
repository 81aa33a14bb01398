/**
 * Several copies of one relay sharing rate limits, budgets and breakers through Redis.
 * Start two on two ports (a `redis-server` on 6379, or set REDIS_URL):
 *
 *   PORT=8787 npx tsx examples/redis/server.ts
 *   PORT=8788 npx tsx examples/redis/server.ts
 *
 * Each caller (the `x-user` header) may send 5 requests a minute in all: the sixth gets
 * a 429 on either port. Offline both relay to their own mock upstreams, with or without
 * provider keys as in the other examples (../shared/providers.ts).
 */
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { createRelay } from 'switchyard';
import { createRedisStore } from 'switchyard/redis';
import { providersFromEnv } from '../shared/providers.js';

/** Starts one copy on `port` (0: any free port); resolves with its URL and a `close()`. */
export async function startRedisExample(env: NodeJS.ProcessEnv = process.env, port = Number(env.PORT ?? 8787)) {
  const { config, mocks } = await providersFromEnv(env);
  // The host's own client: its URL, TLS, Sentinel or Cluster settings.
  const redis = new Redis(env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  redis.on('error', (err) => console.warn(`[redis] ${err.message}`));
  const relay = createRelay({
    ...config,
    callers: { key: (req) => req.headers['x-user'] as string | undefined, rateLimit: { requestsPerMinute: 5 } },
    store: createRedisStore({ client: redis }),
  });
  // Redis down: requests are still served (limits fail open by default). Said the first time.
  let warned = false;
  relay.on('storeError', (e) => {
    if (warned) return;
    warned = true;
    console.warn(`[relay] store unavailable (${e.message}); serving on local state`);
  });

  const server = http.createServer(relay.nodeHandler({ prefix: '/v1', health: true }));
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    async close() {
      server.close();
      await relay.close();
      redis.disconnect();
      await Promise.all(mocks.map((m) => m.close()));
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const example = await startRedisExample();
  console.log(`switchyard Redis example listening on ${example.url}; try:`);
  console.log(`  curl -s ${example.url}/chat/completions -H 'x-user: alice' -H 'content-type: application/json' \\`);
  console.log(`    -d '{"model":"gpt-4.1","messages":[{"role":"user","content":"Hello"}]}' -D - -o /dev/null`);
  const stop = () => void example.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
