/**
 * The Express example behind `npm start`.
 *
 * Offline it relays to in-process mocks (a flaky primary, a healthy backup); with
 * OPENAI_API_KEY and/or DEEPSEEK_API_KEY set, to the real providers (see
 * ../shared/providers.ts). Set SWITCHYARD_CLIENT_KEY to require that key from clients
 * (the host's own auth). Also serves a streaming chat page at `/` and the relay's live
 * dashboard at `/v1/dashboard`.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Server } from 'node:http';
import { pathToFileURL } from 'node:url';
import { createRelay } from 'switchyard';
import { expressRelay } from 'switchyard/express';
import type { MockUpstream } from 'switchyard/testing';
import { providersFromEnv, startupBanner } from '../shared/providers.js';
import { CHAT_HTML } from './chat-page.js';

export interface ExampleApp {
  app: express.Express;
  relay: ReturnType<typeof createRelay>;
  mocks: MockUpstream[];
  close(): Promise<void>;
}

/** Builds the host app: its own logging and auth first, then the relay route. */
export async function createExampleApp(env: NodeJS.ProcessEnv = process.env): Promise<ExampleApp> {
  const { config, mocks } = await providersFromEnv(env);
  const relay = createRelay(config);
  relay.on('failover', (e) => console.log(`[relay] ${e.requestId} failover ${e.from.provider} -> ${e.to.provider} (${e.kind})`));

  const app = express();
  app.use((req: Request, res: Response, next: NextFunction) => {
    // The dashboard polls its stats every second: not worth a log line each.
    if (req.path === '/v1/stats') return next();
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
  // The chat page is public; the API calls it makes carry the key typed into it.
  app.get('/', (_req: Request, res: Response) => {
    res.set('content-security-policy', "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'");
    res.type('html').send(CHAT_HTML);
  });
  // Operator routes (/v1/stats, /v1/health, /v1/dashboard) sit behind the same key check.
  // A browser cannot add a bearer header to a page it navigates to, so with a client key
  // set the dashboard needs a check the browser carries (a session cookie, basic auth).
  app.use('/v1', requireKey, expressRelay(relay, { stats: true, health: true, dashboard: true }));

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
    console.log(startupBanner('Express', `http://127.0.0.1:${port}/v1`, example.mocks.length > 0, process.env.SWITCHYARD_CLIENT_KEY));
    console.log(`chat page: http://127.0.0.1:${port}/   dashboard: http://127.0.0.1:${port}/v1/dashboard`);
  });
  // SIGTERM: stop taking connections, let requests and streams in flight finish for up
  // to 10 s (new ones get 503 with Retry-After meanwhile), then exit.
  const stop = () => {
    server.close();
    void example.relay
      .close({ drainMs: 10_000 })
      .then(() => example.close())
      .then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main();
