/**
 * @module
 * The servers under test, one per child process so each one's CPU and memory are its
 * own: the mock upstreams (OpenAI and Anthropic protocols), the pass-through floors
 * (`floors.ts`), and switchyard on node:http, Express, Koa and Nest (plus node:http
 * relays set up for the failover runs and for the store runs). The orchestrator starts
 * this file (bundled) with the spec in `BENCH_SPEC`; the child listens on 127.0.0.1:0
 * and reports its port over IPC. The peer gateways are started by `portkey.ts` and
 * `nullplatform.ts` instead.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ProviderConfig, RelayConfig } from 'switchyard';
import { FORMAT_MODELS, GROWTH_EVENTS, MODEL, PACED_MODEL, REPLY, SLOW10K_MODEL, SLOW_MODEL, UPSTREAM_MODEL, growthModel, replyFor } from './config.js';
import { startFloor, type FloorKind } from './floors.js';
import { serve } from './ipc.js';

/** What a child runs. Upstreams are given as mock URLs (`http://127.0.0.1:PORT/v1`). */
/** The upstream mocks a relay or a floor talks to. */
export interface Upstreams {
  fast: string;
  slow: string;
  paced: string;
  /** The Anthropic-protocol mock (native Messages). */
  anthropic: string;
  /** A slow-streaming mock for the 10,000-stream memory run. */
  slow10k: string;
}

export type ServerSpec =
  | { kind: 'mock'; chunkDelayMs?: number; latencyMs?: number; status?: number; raw?: string; gapMs?: number; protocol?: 'openai' | 'anthropic' }
  | ({ kind: FloorKind } & Upstreams)
  | ({ kind: 'node' | 'express' | 'koa' | 'nest' } & Upstreams)
  | { kind: 'failover'; backup: string; delayed: string; p503: string; dead: string; skipped: number }
  | { kind: 'limits'; fast: string; redisPort?: number };

const KEY = 'sk-bench';
// Enough upstream connections for the 10,000-stream memory run (the default is 128).
const CONNECTIONS = 10_000;

function openai(baseURL: string, extra: Partial<ProviderConfig> = {}): ProviderConfig {
  return { type: 'openai', baseURL, apiKey: KEY, maxConnections: CONNECTIONS, ...extra } as ProviderConfig;
}

/**
 * The overhead runs' relay: one target per public model, everything else at its default.
 * The growth models ask the fast mock for answers of a set length; the format models
 * reach a target that speaks the client's format (OpenAI with the Responses API, Claude).
 */
function overheadConfig(u: Upstreams): RelayConfig {
  const models: RelayConfig['models'] = {
    [MODEL]: { targets: [{ provider: 'fast', model: UPSTREAM_MODEL }] },
    [SLOW_MODEL]: { targets: [{ provider: 'slow', model: UPSTREAM_MODEL }] },
    [SLOW10K_MODEL]: { targets: [{ provider: 'slow10k', model: UPSTREAM_MODEL }] },
    [PACED_MODEL]: { targets: [{ provider: 'paced', model: UPSTREAM_MODEL }] },
    [FORMAT_MODELS.responses]: { targets: [{ provider: 'responses', model: UPSTREAM_MODEL }] },
    [FORMAT_MODELS.messages]: { targets: [{ provider: 'anthropic', model: 'claude-bench' }] },
  };
  for (const events of GROWTH_EVENTS) models[growthModel(events)] = { targets: [{ provider: 'fast', model: `mock-w${events}` }] };
  return {
    providers: {
      fast: openai(u.fast),
      slow: openai(u.slow),
      slow10k: openai(u.slow10k),
      paced: openai(u.paced),
      responses: openai(u.fast, { responses: true }),
      anthropic: { type: 'anthropic', baseURL: u.anthropic, apiKey: KEY, maxConnections: CONNECTIONS } as ProviderConfig,
    },
    models,
  };
}

/** The store runs' relay: a caller limit and a daily caller budget, on the memory store or on Redis. */
async function limitsConfig(fast: string, redisPort: number | undefined): Promise<RelayConfig> {
  const config: RelayConfig = {
    providers: { fast: openai(fast) },
    models: { [MODEL]: { targets: [{ provider: 'fast', model: UPSTREAM_MODEL, price: { input: 1, output: 1 } }] } },
    callers: { key: (req) => req.headers['x-user'] as string | undefined, rateLimit: { requestsPerMinute: 10_000_000 }, budget: { usd: 1_000_000, period: 'day' } },
  };
  if (redisPort === undefined) return config;
  const { Redis } = await import('ioredis');
  const { createRedisStore } = await import('switchyard/redis');
  return { ...config, store: createRedisStore({ client: new Redis({ host: '127.0.0.1', port: redisPort }), prefix: `bench${process.pid}:` }) };
}

/**
 * The failover runs' relay. Failing primaries are tried once (no backoff sleep, which is
 * a deliberate wait, not overhead) and their breakers never open, except `tripped`,
 * whose breaker opens on its first failure and stays open for the whole run. `backup`
 * answers at once, `delayed` after a set latency; the `-delayed` models use the latter.
 */
export function failoverConfig(backup: string, delayed: string, p503: string, dead: string, skipped: number): RelayConfig {
  const once = { attempts: 1 };
  const neverOpen = { failureThreshold: 1_000_000, cooldownMs: 1_000 };
  const b = { provider: 'backup', model: UPSTREAM_MODEL };
  const d = { provider: 'delayed', model: UPSTREAM_MODEL };
  const refused = { provider: 'dead', model: UPSTREAM_MODEL };
  const unavailable = { provider: 'p503', model: UPSTREAM_MODEL };
  const tripped = Array.from({ length: skipped }, (_, i) => ({ provider: 'tripped', model: `m${i}` }));
  return {
    providers: {
      backup: openai(backup),
      delayed: openai(delayed),
      dead: openai(dead, { retry: once, breaker: neverOpen }),
      p503: openai(p503, { retry: once, breaker: neverOpen }),
      tripped: openai(dead, { retry: once, breaker: { failureThreshold: 1, cooldownMs: 3_600_000 } }),
    },
    models: {
      'fo-base': { targets: [b] },
      'fo-refused': { targets: [refused, b] },
      'fo-503': { targets: [unavailable, b] },
      'fo-open-1': { targets: [tripped[0]!, b] },
      'fo-open-n': { targets: [...tripped, b] },
      'fo-base-delayed': { targets: [d] },
      'fo-refused-delayed': { targets: [refused, d] },
      'fo-503-delayed': { targets: [unavailable, d] },
    },
  };
}

async function listen(server: http.Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

async function startMock(spec: Extract<ServerSpec, { kind: 'mock' }>): Promise<{ port: number; close(): Promise<void> }> {
  const { createMockUpstream } = await import('switchyard/testing');
  const fault =
    spec.status !== undefined
      ? { status: spec.status }
      : spec.raw !== undefined
        ? { raw: spec.raw, dripMs: spec.gapMs ?? 0 }
        : spec.latencyMs
          ? { firstByteDelayMs: spec.latencyMs }
          : undefined;
  const mock = await createMockUpstream({
    name: 'bench',
    protocol: spec.protocol ?? 'openai',
    reply: (req) => replyFor(String((req.body as { model?: unknown } | undefined)?.model ?? '')),
    chunkDelayMs: spec.chunkDelayMs ?? 0,
    fault,
    models: [UPSTREAM_MODEL],
  });
  // The mock records every request for tests; under load that record only grows.
  const forget = setInterval(() => mock.reset(), 1_000);
  return { port: mock.port, close: async () => (clearInterval(forget), mock.close()) };
}

async function startRelay(kind: 'node' | 'express' | 'koa' | 'nest' | 'failover', config: RelayConfig): Promise<{ port: number; close(): Promise<void> }> {
  const { createRelay } = await import('switchyard');
  if (kind === 'nest') {
    const { NestFactory } = await import('@nestjs/core');
    const { SwitchyardModule } = await import('switchyard/nest');
    const app = await NestFactory.create<import('@nestjs/platform-express').NestExpressApplication>(
      SwitchyardModule.forRoot({ ...config, path: 'v1' }),
      { logger: false },
    );
    // As the README advises: Nest's JSON parser stays on, with the relay's body limit.
    app.useBodyParser('json', { limit: '10mb' });
    await app.listen(0, '127.0.0.1');
    const port = (app.getHttpServer().address() as AddressInfo).port;
    return { port, close: () => app.close() };
  }
  const relay = createRelay(config);
  let server: http.Server;
  if (kind === 'express') {
    const { default: express } = await import('express');
    const { expressRelay } = await import('switchyard/express');
    const app = express();
    app.use('/v1', expressRelay(relay));
    server = http.createServer(app);
  } else if (kind === 'koa') {
    const { default: Koa } = await import('koa');
    const { koaRelay } = await import('switchyard/koa');
    const app = new Koa();
    app.use(koaRelay(relay, { prefix: '/v1' }));
    server = http.createServer(app.callback());
  } else {
    server = http.createServer(relay.nodeHandler({ prefix: '/v1' }));
  }
  const port = await listen(server);
  return {
    port,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await relay.close();
    },
  };
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.env.BENCH_SPEC ?? '{}') as ServerSpec;
  const started =
    spec.kind === 'mock'
      ? await startMock(spec)
      : spec.kind.startsWith('floor')
        ? await startFloor({ ...(spec as Upstreams), kind: spec.kind as FloorKind, connections: CONNECTIONS })
        : spec.kind === 'failover'
          ? await startRelay('failover', failoverConfig(spec.backup, spec.delayed, spec.p503, spec.dead, spec.skipped))
          : spec.kind === 'limits'
            ? await startRelay('node', await limitsConfig(spec.fast, spec.redisPort))
            : await startRelay(spec.kind as 'node', overheadConfig(spec as Upstreams));
  // A clean exit, so `node --cpu-prof` writes its profile.
  const stop = async () => {
    await Promise.race([started.close(), new Promise((r) => setTimeout(r, 2_000))]);
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
  // `cpu`: this process's CPU time in µs, finer than /proc's 10 ms ticks.
  serve({ shutdown: () => void setImmediate(stop), cpu: () => process.cpuUsage() }, { ready: true, port: started.port });
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
