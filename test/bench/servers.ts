/**
 * @module
 * The servers under test, one per child process so each one's CPU and memory are its
 * own: the mock upstream, the pass-through floor proxy, and switchyard on node:http,
 * Express, Koa and Nest (plus a node:http relay set up for the failover runs). The
 * orchestrator starts this file (bundled) with the spec in `BENCH_SPEC`; the child
 * listens on 127.0.0.1:0 and reports its port over IPC. Portkey's gateway is started by
 * `portkey.ts` instead.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool, type Dispatcher } from 'undici';
import type { ProviderConfig, RelayConfig } from 'switchyard';
import { MODEL, PACED_MODEL, REPLY, SLOW_MODEL, UPSTREAM_MODEL } from './config.js';
import { serve } from './ipc.js';

/** What a child runs. Upstreams are given as mock URLs (`http://127.0.0.1:PORT/v1`). */
export type ServerSpec =
  | { kind: 'mock'; chunkDelayMs?: number; latencyMs?: number; status?: number; raw?: string; gapMs?: number }
  | { kind: 'floor'; fast: string; slow: string; paced: string }
  | { kind: 'node' | 'express' | 'koa' | 'nest'; fast: string; slow: string; paced: string }
  | { kind: 'failover'; backup: string; delayed: string; p503: string; dead: string; skipped: number };

const KEY = 'sk-bench';
// Enough upstream connections for the 1,000-stream memory run (the default is 128).
const CONNECTIONS = 1_024;

function openai(baseURL: string, extra: Partial<ProviderConfig> = {}): ProviderConfig {
  return { type: 'openai', baseURL, apiKey: KEY, maxConnections: CONNECTIONS, ...extra } as ProviderConfig;
}

/** The overhead runs' relay: one target per public model, everything else at its default. */
function overheadConfig(fast: string, slow: string, paced: string): RelayConfig {
  return {
    providers: { fast: openai(fast), slow: openai(slow), paced: openai(paced) },
    models: {
      [MODEL]: { targets: [{ provider: 'fast', model: UPSTREAM_MODEL }] },
      [SLOW_MODEL]: { targets: [{ provider: 'slow', model: UPSTREAM_MODEL }] },
      [PACED_MODEL]: { targets: [{ provider: 'paced', model: UPSTREAM_MODEL }] },
    },
  };
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
  const mock = await createMockUpstream({ name: 'bench', reply: REPLY, chunkDelayMs: spec.chunkDelayMs ?? 0, fault, models: [UPSTREAM_MODEL] });
  // The mock records every request for tests; under load that record only grows.
  const forget = setInterval(() => mock.reset(), 1_000);
  return { port: mock.port, close: async () => (clearInterval(forget), mock.close()) };
}

/** The floor: node:http in, undici pool out, bytes piped both ways, nothing parsed. */
async function startFloor(spec: Extract<ServerSpec, { kind: 'floor' }>): Promise<{ port: number; close(): Promise<void> }> {
  const fast = new Pool(new URL(spec.fast).origin, { connections: CONNECTIONS });
  const slow = new Pool(new URL(spec.slow).origin, { connections: CONNECTIONS });
  const paced = new Pool(new URL(spec.paced).origin, { connections: CONNECTIONS });
  const server = http.createServer(async (req, res) => {
    let path = req.url ?? '/';
    let pool = fast;
    if (path.startsWith('/slow/')) {
      pool = slow;
      path = path.slice('/slow'.length);
    } else if (path.startsWith('/paced/')) {
      pool = paced;
      path = path.slice('/paced'.length);
    }
    try {
      const headers: Record<string, string> = { 'content-type': req.headers['content-type'] ?? 'application/json' };
      if (req.headers['content-length']) headers['content-length'] = req.headers['content-length'];
      if (req.headers.authorization) headers.authorization = req.headers.authorization;
      // undici's stream API writes the upstream body straight into `res`: its fastest path.
      await pool.stream({ path, method: (req.method ?? 'POST') as Dispatcher.HttpMethod, headers, body: req }, ({ statusCode, headers: upHeaders }) => {
        const out: Record<string, string> = {};
        for (const name of ['content-type', 'content-length', 'cache-control']) {
          const value = upHeaders[name];
          if (typeof value === 'string') out[name] = value;
        }
        res.writeHead(statusCode, out);
        return res;
      });
    } catch {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    }
  });
  const port = await listen(server);
  return {
    port,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await Promise.all([fast.destroy(), slow.destroy(), paced.destroy()]);
    },
  };
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
      : spec.kind === 'floor'
        ? await startFloor(spec)
        : spec.kind === 'failover'
          ? await startRelay('failover', failoverConfig(spec.backup, spec.delayed, spec.p503, spec.dead, spec.skipped))
          : await startRelay(spec.kind, overheadConfig(spec.fast, spec.slow, spec.paced));
  // A clean exit, so `node --cpu-prof` writes its profile.
  const stop = async () => {
    await Promise.race([started.close(), new Promise((r) => setTimeout(r, 2_000))]);
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
  serve({ shutdown: () => void setImmediate(stop) }, { ready: true, port: started.port });
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
