/**
 * @module
 * The process behind `switchyard serve`: a relay built from a configuration file, on
 * its own HTTP server under `/v1`. It is an ordinary host of the public API: Express
 * with `switchyard/express` when Express is installed, plain `node:http` with the same
 * routes when not, an optional static client key in front.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import http, { type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRelay, isSwitchyardError, loadConfigFile, RouteNotFoundError, toErrorResponse, watchConfigFile, type NodeHandlerOptions, type Relay } from 'switchyard';

/** Where the routes live: OpenAI clients take `http://host:port/v1` as their base URL. */
export const PREFIX = '/v1';
/** After the drain, how long a connection still busy may take before it is cut. */
const FORCE_CLOSE_MS = 2_000; // 2s

export interface SidecarOptions {
  /** Path of the JSON (or YAML) configuration file. */
  config: string;
  port: number;
  host: string;
  /** The key clients must send as `Authorization: Bearer <key>`; none: no check. */
  clientKey?: string;
  /** Operator routes to mount (`metrics` needs prom-client). */
  routes: { health: boolean; stats: boolean; dashboard: boolean; metrics: boolean; admin: boolean; requests?: boolean };
  /**
   * Honour a client's `x-switchyard-debug: 1` (see `NodeHandlerOptions.debug`).
   * @default false
   */
  debug?: boolean;
  /** Apply edits of the configuration file while running. */
  watch: boolean;
  /** Where progress lines go. */
  log: (line: string) => void;
}

export interface Sidecar {
  relay: Relay;
  server: http.Server;
  /** `http://host:port/v1`. */
  url: string;
  /** What serves the routes. */
  framework: 'express' | 'node:http';
  /** Stops taking connections, drains the relay for up to `drainMs`, then closes everything. */
  close(drainMs: number): Promise<void>;
}

/** Starts the sidecar; resolves once it listens. */
export async function startSidecar(options: SidecarOptions): Promise<Sidecar> {
  const config = await loadConfigFile(options.config);
  const metricsModule = options.routes.metrics ? await loadMetrics() : undefined;
  const express = await loadExpress();
  let relay: Relay;
  try {
    relay = createRelay(config);
  } catch (err) {
    // Field errors name the field; say which file it is in.
    if (isSwitchyardError(err)) err.message = `${options.config}: ${err.message}`;
    throw err;
  }
  const metrics = metricsModule?.prometheusMetrics(relay);
  const handlerOptions: NodeHandlerOptions = { ...options.routes, metrics, debug: options.debug ?? false };

  let listener: RequestListener;
  const check = options.clientKey === undefined ? undefined : clientKeyCheck(options.clientKey);
  if (express) {
    const { expressRelay } = await import('switchyard/express');
    const app = express();
    app.disable('x-powered-by');
    if (check) app.use(check);
    app.use(PREFIX, expressRelay(relay, handlerOptions));
    app.use((req: IncomingMessage, res: ServerResponse) => sendError(res, new RouteNotFoundError(req.method ?? '', (req.url ?? '/').split('?')[0]!)));
    // Express's own error page would show a stack trace; answer in the envelope instead.
    app.use((_err: unknown, _req: IncomingMessage, res: ServerResponse, _next: unknown) => sendError(res, undefined));
    listener = app;
  } else {
    const relayHandler = relay.nodeHandler({ prefix: PREFIX, ...handlerOptions });
    listener = check ? (req, res) => check(req, res, () => relayHandler(req, res)) : (req, res) => relayHandler(req, res);
  }

  const server = http.createServer(listener);
  try {
    server.listen(options.port, options.host);
    await once(server, 'listening');
  } catch (err) {
    metrics?.stop();
    await relay.close();
    throw err;
  }
  const watcher = options.watch ? watchConfigFile(relay, options.config) : undefined;
  relay.on('control', (e) => {
    if (e.action === 'update') options.log(`config applied from ${options.config}: ${JSON.stringify(e.detail)}`);
    if (e.action === 'configError') options.log(`config NOT applied, the previous one stays: ${String(e.detail?.message)}`);
  });

  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    relay,
    server,
    url: `http://${host}:${port}${PREFIX}`,
    framework: express ? 'express' : 'node:http',
    async close(drainMs) {
      watcher?.stop();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // New requests on open connections get 503 with Retry-After meanwhile.
      await relay.close({ drainMs });
      metrics?.stop();
      // Responses the drain cut are ending now: close each connection once it is idle.
      const idle = setInterval(() => server.closeIdleConnections(), 20);
      const force = setTimeout(() => server.closeAllConnections(), FORCE_CLOSE_MS);
      await closed;
      clearInterval(idle);
      clearTimeout(force);
    },
  };
}

type Express = typeof import('express');

/** Express if it is installed (an optional peer dependency), else undefined. */
async function loadExpress(): Promise<Express | undefined> {
  try {
    const mod = (await import('express')) as Express | { default: Express };
    return 'default' in mod ? mod.default : mod;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function loadMetrics(): Promise<typeof import('switchyard/metrics')> {
  try {
    return await import('switchyard/metrics');
  } catch (err) {
    if (isNotFound(err)) throw new Error('--metrics needs the prom-client package, which is not installed (npm install prom-client)', { cause: err });
    throw err;
  }
}

function isNotFound(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Requires `Authorization: Bearer <key>`. Both sides are hashed first, so the compare
 * takes the same time whatever the length or content of what was sent.
 */
function clientKeyCheck(key: string): (req: IncomingMessage, res: ServerResponse, next: () => void) => void {
  const expected = digest(key);
  return (req, res, next) => {
    const header = req.headers.authorization ?? '';
    const given = /^Bearer /i.test(header) ? header.slice(7).trim() : '';
    if (timingSafeEqual(digest(given), expected)) return next();
    const body = { error: { message: 'Missing or incorrect API key: send Authorization: Bearer <key>.', type: 'invalid_request_error', code: 'invalid_api_key', param: null } };
    res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' });
    res.end(JSON.stringify(body));
  };
}

function sendError(res: ServerResponse, err: unknown): void {
  if (res.headersSent) return void res.destroy();
  const { status, headers, body } = toErrorResponse(err);
  res.writeHead(status, { ...headers, 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
