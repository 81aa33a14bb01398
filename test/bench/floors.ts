/**
 * @module
 * The floors: what a pass-through costs before any relay logic, one per way of serving
 * HTTP the relay is measured on. Each is its framework with one route that pipes the
 * request to an undici pool and the answer back, nothing parsed: bare `node:http`,
 * Express, Koa (with `@koa/router`) and Nest (Express platform, its body parser off:
 * nothing parsed). Each adapter of switchyard is judged against its own framework's
 * floor, so the framework's own cost is not counted as the relay's.
 */
import { once } from 'node:events';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool, type Dispatcher } from 'undici';

export type FloorKind = 'floor' | 'floor-express' | 'floor-koa' | 'floor-nest';

/** Upstream mocks by path prefix: `/slow/...`, `/paced/...` and `/slow10k/...` go to theirs, the rest to `fast`. */
export interface FloorSpec {
  kind: FloorKind;
  fast: string;
  slow: string;
  paced: string;
  slow10k: string;
  connections: number;
}

const PREFIXES = ['slow', 'paced', 'slow10k'] as const;
const PATHS = ['/v1/chat/completions', ...PREFIXES.map((p) => `/${p}/v1/chat/completions`)];

async function listen(server: http.Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/** Pipes `req` to the pool its path names and the answer to `res`; the one route of every floor. */
function passThrough(spec: FloorSpec): { pipe(req: IncomingMessage, res: ServerResponse): Promise<void>; close(): Promise<void> } {
  const pools = {
    fast: new Pool(new URL(spec.fast).origin, { connections: spec.connections }),
    slow: new Pool(new URL(spec.slow).origin, { connections: spec.connections }),
    paced: new Pool(new URL(spec.paced).origin, { connections: spec.connections }),
    slow10k: new Pool(new URL(spec.slow10k).origin, { connections: spec.connections }),
  };
  return {
    async pipe(req, res) {
      let path = req.url ?? '/';
      let pool = pools.fast;
      for (const name of PREFIXES) {
        if (path.startsWith(`/${name}/`)) {
          pool = pools[name];
          path = path.slice(name.length + 1);
        }
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
    },
    close: async () => {
      await Promise.all(Object.values(pools).map((p) => p.destroy()));
    },
  };
}

/** Starts the floor `spec.kind` on 127.0.0.1:0. */
export async function startFloor(spec: FloorSpec): Promise<{ port: number; close(): Promise<void> }> {
  const through = passThrough(spec);
  if (spec.kind === 'floor-nest') {
    const { Controller, Module, Post, Req, Res } = await import('@nestjs/common');
    const { NestFactory } = await import('@nestjs/core');
    class FloorController {
      handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
        return through.pipe(req, res);
      }
    }
    // Decorators applied by hand: the bench bundle has no decorator metadata to lean on.
    const descriptor = Object.getOwnPropertyDescriptor(FloorController.prototype, 'handle')!;
    Req()(FloorController.prototype, 'handle', 0);
    Res()(FloorController.prototype, 'handle', 1);
    Post(PATHS)(FloorController.prototype, 'handle', descriptor);
    Controller()(FloorController);
    class FloorModule {}
    Module({ controllers: [FloorController] })(FloorModule);
    const app = await NestFactory.create(FloorModule, { logger: false, bodyParser: false });
    await app.listen(0, '127.0.0.1');
    const port = (app.getHttpServer().address() as AddressInfo).port;
    return { port, close: async () => (await app.close(), through.close()) };
  }
  let server: http.Server;
  if (spec.kind === 'floor-express') {
    const { default: express } = await import('express');
    const app = express();
    app.post(PATHS, (req, res) => void through.pipe(req, res));
    server = http.createServer(app);
  } else if (spec.kind === 'floor-koa') {
    const { default: Koa } = await import('koa');
    const { default: Router } = await import('@koa/router');
    const app = new Koa();
    const router = new Router();
    router.post(PATHS, async (ctx) => {
      ctx.respond = false;
      await through.pipe(ctx.req, ctx.res);
    });
    app.use(router.routes());
    server = http.createServer(app.callback());
  } else {
    server = http.createServer((req, res) => void through.pipe(req, res));
  }
  const port = await listen(server);
  return {
    port,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await through.close();
    },
  };
}
