/**
 * The NestJS example behind `npm run start:nest`.
 *
 * A Nest host with its own request logging (pino-http), CORS and API-key guard
 * (./api-key.guard.ts) around the relay, which SwitchyardModule mounts at /v1
 * (./app.module.ts). Offline it relays to in-process mocks (a flaky primary, a healthy
 * backup); with OPENAI_API_KEY and/or DEEPSEEK_API_KEY set, to the real providers (see
 * ../shared/providers.ts). Set SWITCHYARD_CLIENT_KEY to require that key from clients;
 * LOG_LEVEL to quieten the logs.
 */
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { pinoHttp } from 'pino-http';
import { Relay } from 'switchyard';
import type { MockUpstream } from 'switchyard/testing';
import { providersFromEnv, startupBanner } from '../shared/providers.js';
import { AppModule } from './app.module.js';

export interface ExampleApp {
  app: NestExpressApplication;
  relay: Relay;
  mocks: MockUpstream[];
  close(): Promise<void>;
}

/** Builds the host app (not listening yet). */
export async function createExampleApp(env: NodeJS.ProcessEnv = process.env): Promise<ExampleApp> {
  const { config, mocks } = await providersFromEnv(env);
  const logger = pino({ level: env.LOG_LEVEL ?? 'info' });
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot({ relay: config, clientKey: env.SWITCHYARD_CLIENT_KEY }), {
    logger: logger.isLevelEnabled('info') ? undefined : false,
  });
  app.use(
    pinoHttp({
      logger,
      serializers: { req: (req) => ({ method: req.method, url: req.url }), res: (res) => ({ statusCode: res.statusCode }) },
      customProps: (_req, res) => ({ provider: res.getHeader('x-switchyard-provider') }),
    }),
  );
  app.enableCors();
  // Nest parses JSON before any route, at most 100 kb by default: long chats need more.
  // (Or create the app with `bodyParser: false` and the relay reads its own body.)
  app.useBodyParser('json', { limit: '10mb' });

  const relay = app.get(Relay);
  relay.on('failover', (e) => logger.warn({ requestId: e.requestId, from: e.from.provider, to: e.to.provider, kind: e.kind }, 'failover'));
  return {
    app,
    relay,
    mocks,
    async close() {
      await app.close(); // closes the relay too (SwitchyardModule.onModuleDestroy)
      await Promise.all(mocks.map((m) => m.close()));
    },
  };
}

async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 8787);
  const example = await createExampleApp();
  await example.app.listen(port, '127.0.0.1');
  console.log(startupBanner('NestJS', `http://127.0.0.1:${port}/v1`, example.mocks.length > 0, process.env.SWITCHYARD_CLIENT_KEY));
  // SIGTERM: let requests and streams in flight finish for up to 10 s (new ones get 503
  // with Retry-After meanwhile), then close the app and exit.
  const stop = () =>
    void example.relay
      .close({ drainMs: 10_000 })
      .then(() => example.close())
      .then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main();
