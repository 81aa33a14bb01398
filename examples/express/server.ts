/**
 * The Express example behind `npm start`.
 *
 * With no provider keys in the environment it starts two in-process mock upstreams, a
 * flaky primary and a healthy backup, so failover is visible offline. With
 * OPENAI_API_KEY and/or DEEPSEEK_API_KEY set it relays to the real providers instead.
 * Set SWITCHYARD_CLIENT_KEY to require that key from clients (the host's own auth).
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Server } from 'node:http';
import { pathToFileURL } from 'node:url';
import { createRelay, type RelayConfig } from 'switchyard';
import { expressRelay } from 'switchyard/express';
import { createMockUpstream, type MockUpstream } from 'switchyard/testing';

export interface ExampleApp {
  app: express.Express;
  relay: ReturnType<typeof createRelay>;
  mocks: MockUpstream[];
  close(): Promise<void>;
}

/** Real providers when keys are set, else a flaky and a healthy mock upstream. */
async function providersFromEnv(env: NodeJS.ProcessEnv): Promise<{ config: RelayConfig; mocks: MockUpstream[] }> {
  if (env.OPENAI_API_KEY || env.DEEPSEEK_API_KEY) {
    const config: RelayConfig = { providers: {}, models: { 'gpt-4.1': { targets: [] } } };
    if (env.OPENAI_API_KEY) {
      config.providers.openai = { type: 'openai', baseURL: 'https://api.openai.com/v1', apiKeyEnv: 'OPENAI_API_KEY' };
      config.models['gpt-4.1']!.targets.push({ provider: 'openai', model: 'gpt-4.1' });
    }
    if (env.DEEPSEEK_API_KEY) {
      config.providers.deepseek = { type: 'openai', baseURL: 'https://api.deepseek.com/v1', apiKeyEnv: 'DEEPSEEK_API_KEY' };
      config.models['gpt-4.1']!.targets.push({ provider: 'deepseek', model: 'deepseek-chat' });
    }
    return { config, mocks: [] };
  }
  const primary = await createMockUpstream({ name: 'primary' });
  const backup = await createMockUpstream({ name: 'backup', chunkDelayMs: 15 });
  // Flaky: of every four requests, three fail (a 503, a connection reset, a 503).
  const faults = [{ status: 503 }, { reset: true }, { status: 503 }, null];
  primary.onRequest((req) => faults[(req.id - 1) % faults.length]);
  const config: RelayConfig = {
    providers: {
      primary: { type: 'openai', baseURL: primary.url, apiKey: 'sk-example-primary' },
      backup: { type: 'openai', baseURL: backup.url, apiKey: 'sk-example-backup' },
    },
    models: {
      'gpt-4.1': { targets: [{ provider: 'primary', model: 'gpt-4.1' }, { provider: 'backup', model: 'deepseek-v3.2' }] },
    },
    retry: { attempts: 2, baseDelayMs: 50 },
  };
  return { config, mocks: [primary, backup] };
}

/** Builds the host app: its own logging and auth first, then the relay route. */
export async function createExampleApp(env: NodeJS.ProcessEnv = process.env): Promise<ExampleApp> {
  const { config, mocks } = await providersFromEnv(env);
  const relay = createRelay(config);
  relay.on('failover', (e) => console.log(`[relay] ${e.requestId} failover ${e.from.provider} -> ${e.to.provider} (${e.kind})`));

  const app = express();
  app.use((req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const served = res.getHeader('x-switchyard-provider') ?? '-';
      console.log(`${req.method} ${req.originalUrl} ${res.statusCode} ${ms.toFixed(1)}ms provider=${served}`);
    });
    next();
  });
  const clientKey = env.SWITCHYARD_CLIENT_KEY;
  const requireKey = (req: Request, res: Response, next: NextFunction) => {
    if (!clientKey || req.headers.authorization === `Bearer ${clientKey}`) return next();
    res.status(401).json({ error: { message: 'Invalid API key.', type: 'invalid_request_error', code: 'invalid_api_key', param: null } });
  };
  app.use('/v1', requireKey, expressRelay(relay));

  return {
    app,
    relay,
    mocks,
    async close() {
      await relay.close();
      await Promise.all(mocks.map((m) => m.close()));
    },
  };
}

async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 8787);
  const example = await createExampleApp();
  const server: Server = example.app.listen(port, '127.0.0.1', () => {
    const base = `http://127.0.0.1:${port}/v1`;
    console.log(`switchyard example listening on ${base}`);
    console.log(example.mocks.length ? 'offline mode: a flaky mock primary and a healthy mock backup' : 'relaying to real providers');
    console.log(`try:\n  curl -s ${base}/chat/completions -H 'content-type: application/json' \\\n    -d '{"model":"gpt-4.1","messages":[{"role":"user","content":"Hello"}]}' -D - `);
  });
  const stop = () => {
    server.close();
    void example.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main();
