/**
 * The conformance table: every way switchyard can be mounted, each as a real host server
 * on 127.0.0.1 with the same host behaviour around the relay: a header set by the host
 * on every response (`x-host`), an API-key check in front of `/v1` (401 without
 * `authorization: Bearer host-key`) and a host route of its own, `GET /v1/health`.
 * Adding a framework means adding one entry to {@link MOUNTS}.
 */
import 'reflect-metadata';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import {
  Controller,
  Get,
  Injectable,
  Module,
  UnauthorizedException,
  type CallHandler,
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
  type NestInterceptor,
} from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import express, { type NextFunction, type Request, type Response } from 'express';
import Koa from 'koa';
import type { AddressInfo } from 'node:net';
import { createRelay, type RelayConfig } from 'switchyard';
import { expressRelay } from 'switchyard/express';
import { koaRelay } from 'switchyard/koa';
import { SwitchyardModule } from 'switchyard/nest';
import { closeServer, listen } from './harness.js';

export const HOST_KEY = 'host-key';

/** A host server with the relay mounted under `/v1`. */
export interface Mounted {
  /** `http://127.0.0.1:PORT/v1` */
  url: string;
  close(): Promise<void>;
}

export interface Mount {
  name: string;
  /** A JSON body parser of the host runs before the relay (the relay gets the parsed body). */
  hostParser: boolean;
  /**
   * A body that is not JSON gets the relay's envelope: the relay parses it itself, or
   * (Nest) the module answers its platform parser's errors on the relay's paths. Under a
   * bare `express.json()` or `@koa/bodyparser` the host parser's own 400 goes out
   * (oversized bodies still get the relay's 413: it checks the declared length of a
   * parsed body too).
   */
  parseErrorsInEnvelope: boolean;
  start(config: RelayConfig): Promise<Mounted>;
}

const unauthorized = { error: { message: 'Invalid API key.', type: 'invalid_request_error', code: 'invalid_api_key', param: null } };
const authorized = (header: string | undefined) => header === `Bearer ${HOST_KEY}`;

function expressMount(name: string, withParser: boolean): Mount {
  return {
    name,
    hostParser: withParser,
    parseErrorsInEnvelope: !withParser,
    async start(config) {
      const relay = createRelay(config);
      const app = express();
      app.use((_req: Request, res: Response, next: NextFunction) => {
        res.setHeader('x-host', name);
        next();
      });
      if (withParser) app.use(express.json());
      const requireKey = (req: Request, res: Response, next: NextFunction) => {
        if (authorized(req.headers.authorization)) return next();
        res.status(401).json(unauthorized);
      };
      app.use('/v1', requireKey, expressRelay(relay));
      app.get('/v1/health', (_req: Request, res: Response) => {
        res.json({ status: 'ok' });
      });
      const { server, origin } = await listen(app);
      return {
        url: `${origin}/v1`,
        async close() {
          await closeServer(server);
          await relay.close();
        },
      };
    },
  };
}

function koaMount(name: string, withParserAndRouter: boolean): Mount {
  return {
    name,
    hostParser: withParserAndRouter,
    parseErrorsInEnvelope: !withParserAndRouter,
    async start(config) {
      const relay = createRelay(config);
      const app = new Koa();
      app.silent = true; // Koa logs what a parser rejects; the tests send such bodies on purpose.
      const router = new Router();
      app.use((ctx, next) => {
        ctx.set('x-host', name);
        return next();
      });
      const requireKey: Koa.Middleware = (ctx, next) => {
        if (!ctx.path.startsWith('/v1/') || authorized(ctx.get('authorization') || undefined)) return next();
        ctx.status = 401;
        ctx.body = unauthorized;
      };
      if (withParserAndRouter) {
        // The relay behind the host's parser, mounted through the host's router.
        app.use(bodyParser());
        router.all('/v1/*rest', requireKey, koaRelay(relay, { prefix: '/v1' }));
      } else {
        // The relay reads its own body; the host's parser after it serves the host's routes.
        app.use(requireKey);
        app.use(koaRelay(relay, { prefix: '/v1' }));
        app.use(bodyParser());
      }
      // Registered after the relay: reached only through the relay's next().
      router.get('/v1/health', (ctx) => {
        ctx.body = { status: 'ok' };
      });
      app.use(router.routes());
      const { server, origin } = await listen(app.callback());
      return {
        url: `${origin}/v1`,
        async close() {
          await closeServer(server);
          await relay.close();
        },
      };
    },
  };
}

/** The host's own auth, as a global guard. */
@Injectable()
class ApiKeyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>();
    if (!authorized(req.headers.authorization)) throw new UnauthorizedException(unauthorized);
    return true;
  }
}

/** The host's own response header, as a global interceptor (Express `res.header`, Fastify `reply.header`). */
class HostHeaderInterceptor implements NestInterceptor {
  constructor(private readonly name: string) {}
  intercept(context: ExecutionContext, next: CallHandler) {
    context.switchToHttp().getResponse<{ header(name: string, value: string): unknown }>().header('x-host', this.name);
    return next.handle();
  }
}

@Controller('v1')
class HealthController {
  @Get('health')
  health() {
    return { status: 'ok' };
  }
}

function nestMount(name: string, platform: 'express' | 'fastify', bodyParser: boolean): Mount {
  return {
    name,
    hostParser: bodyParser,
    parseErrorsInEnvelope: true,
    async start(config) {
      @Module({
        imports: [SwitchyardModule.forRoot({ ...config, path: 'v1' })],
        controllers: [HealthController],
        providers: [{ provide: APP_GUARD, useClass: ApiKeyGuard }],
      })
      class AppModule {}
      const options = { logger: false as const, bodyParser, forceCloseConnections: true };
      const app: INestApplication =
        platform === 'fastify' ? await NestFactory.create(AppModule, new FastifyAdapter(), options) : await NestFactory.create(AppModule, options);
      app.useGlobalInterceptors(new HostHeaderInterceptor(name));
      await app.listen(0, '127.0.0.1');
      const { port } = app.getHttpServer().address() as AddressInfo;
      return {
        url: `http://127.0.0.1:${port}/v1`,
        close: () => app.close(),
      };
    },
  };
}

export const MOUNTS: Mount[] = [
  expressMount('express', false),
  expressMount('express + express.json()', true),
  koaMount('koa (parser after the relay)', false),
  koaMount('koa + @koa/bodyparser + @koa/router', true),
  nestMount('nest (express)', 'express', true),
  nestMount('nest (express, bodyParser: false)', 'express', false),
  nestMount('nest (fastify)', 'fastify', true),
];
