/**
 * The Koa example behind `npm run start:koa`.
 *
 * A Koa host with its own request logging (pino-http), CORS and API-key check in front
 * of the relay, and a route of its own (`GET /health`). Offline it relays to in-process
 * mocks (a flaky primary, a healthy backup); with OPENAI_API_KEY and/or DEEPSEEK_API_KEY
 * set, to the real providers (see ../shared/providers.ts). Set SWITCHYARD_CLIENT_KEY to
 * require that key from clients; LOG_LEVEL to quieten the logs.
 */
import Router from '@koa/router';
import Koa from 'koa';
import type { Server } from 'node:http';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { pinoHttp } from 'pino-http';
import { createRelay, type Relay } from 'switchyard';
import { koaRelay } from 'switchyard/koa';
import type { MockUpstream } from 'switchyard/testing';
import { providersFromEnv, startupBanner } from '../shared/providers.js';

export interface ExampleApp {
  app: Koa;
  relay: Relay;
  mocks: MockUpstream[];
  close(): Promise<void>;
}

/** Builds the host app: logging, CORS and auth first, then the relay, then the host's own routes. */
export async function createExampleApp(env: NodeJS.ProcessEnv = process.env): Promise<ExampleApp> {
  const { config, mocks } = await providersFromEnv(env);
  const relay = createRelay(config);
  const logger = pino({ level: env.LOG_LEVEL ?? 'info' });
  relay.on('failover', (e) => logger.warn({ requestId: e.requestId, from: e.from.provider, to: e.to.provider, kind: e.kind }, 'failover'));

  const app = new Koa();
  const httpLogger = pinoHttp({
    logger,
    serializers: { req: (req) => ({ method: req.method, url: req.url }), res: (res) => ({ statusCode: res.statusCode }) },
    // Read when the response finished: the relay set it by then.
    customProps: (_req, res) => ({ provider: res.getHeader('x-switchyard-provider') }),
  });
  app.use((ctx, next) => {
    httpLogger(ctx.req, ctx.res);
    return next();
  });

  app.use(async (ctx, next) => {
    ctx.set('access-control-allow-origin', '*');
    if (ctx.method !== 'OPTIONS') return next();
    ctx.set('access-control-allow-methods', 'GET, POST');
    ctx.set('access-control-allow-headers', 'authorization, content-type, x-request-id');
    ctx.status = 204;
  });

  const clientKey = env.SWITCHYARD_CLIENT_KEY;
  app.use(async (ctx, next) => {
    if (!ctx.path.startsWith('/v1/') || !clientKey || ctx.get('authorization') === `Bearer ${clientKey}`) return next();
    ctx.status = 401;
    ctx.body = { error: { message: 'Invalid API key.', type: 'invalid_request_error', code: 'invalid_api_key', param: null } };
  });

  // POST /v1/chat/completions and GET /v1/models; every other path goes on to the router.
  app.use(koaRelay(relay, { prefix: '/v1' }));

  const router = new Router();
  router.get('/health', (ctx) => {
    ctx.body = { status: 'ok', targets: relay.targets() };
  });
  app.use(router.routes()).use(router.allowedMethods());

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
    console.log(startupBanner('Koa', `http://127.0.0.1:${port}/v1`, example.mocks.length > 0, process.env.SWITCHYARD_CLIENT_KEY));
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
