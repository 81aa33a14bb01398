/**
 * @module
 * The framework-free HTTP entry point: routes `POST /chat/completions`, `/embeddings`,
 * `/responses` and `/messages` (and the side routes of `side-routes.ts`) under a prefix,
 * reads the body, runs the relay and writes the result in the client's format. Express
 * mounts it as it is; Koa and Nest adapters call {@link handleEndpoint} and its kin.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ClientClosedError, InvalidRequestError, MethodNotAllowedError, RouteNotFoundError, isSwitchyardError, type AttemptRecord } from '../errors/index.js';
import type { FormatName } from '../formats/format.js';
import type { HandlerRelay as Relay } from './handler-relay.js';
import { DASHBOARD_HTML } from '../observe/dashboard-page.js';
import { serveRequestLog } from '../observe/request-log/feed.js';
import { readJsonBody, readJsonBodyRaw } from './body.js';
import { debugAllowed, type DebugOption } from './debug.js';
import { metaHeaders, sendError, sendJson, sendStream, sendStreamError, startHeartbeat } from './respond.js';
import { handleCountTokens, handleModels, handleStoredResponse } from './side-routes.js';

/** Options of {@link Relay.nodeHandler}. */
export interface NodeHandlerOptions {
  /**
   * Path prefix the routes live under, e.g. `/v1`. Leave empty when a framework already
   * strips its mount path (Express `app.use('/v1', ...)`).
   * @default ''
   */
  prefix?: string;
  /**
   * Serve `GET {prefix}/health`: overall and per-target health (503 when no target can
   * take traffic). Mount the relay behind the host's own auth before enabling it.
   * @default false
   */
  health?: boolean;
  /**
   * Serve `GET {prefix}/stats`: live per-target statistics as JSON.
   * @default false
   */
  stats?: boolean;
  /**
   * Serve `GET {prefix}/dashboard`: a live page of breakers, latency, traffic, spend, the
   * request monitor, failover analytics and firing alerts (it reads `./stats` and
   * `./requests`, so it also turns `stats` and `requests` on).
   * @default false
   */
  dashboard?: boolean;
  /**
   * Serve `GET {prefix}/requests`: the request log, newest first (`?model=&caller=&status=&limit=`),
   * or live as Server-Sent Events (`Accept: text/event-stream` or `?stream=1`). It shows
   * callers and models: mount it behind the host's own auth, like the dashboard.
   * @default false
   */
  requests?: boolean;
  /** Serve `GET {prefix}/metrics` from this Prometheus exporter (see `switchyard/metrics`). */
  metrics?: { contentType: string; render(): Promise<string> | string };
  /**
   * Serve operator controls: `GET {prefix}/admin/targets`, `POST {prefix}/admin/breaker`
   * (`{ provider, model?, state: 'open' | 'closed' | 'auto' }`) and `POST {prefix}/admin/drain`
   * (`{ provider, draining }`). Only behind the host's own auth: they change routing. The
   * actor in the `control` event is the `x-switchyard-actor` header, else the caller key.
   * @default false
   */
  admin?: boolean;
  /**
   * [debug] Whether a client's `x-switchyard-debug: 1` is honoured: `true` for every client,
   * or a predicate over the request (`(req) => isAdmin(req)`). When honoured, the answer
   * carries `x-switchyard-attempt-details` and a 502 body's `attempts` keep the upstreams'
   * (redacted) messages; otherwise the header is ignored and `attempts` keep provider,
   * model, outcome, status, latency and detail only.
   * @default false
   * @example
   * ```ts
   * relay.nodeHandler({ prefix: '/v1', debug: (req) => req.socket.remoteAddress === '127.0.0.1' })
   * ```
   */
  debug?: DebugOption;
}

/** The relay's API routes below the prefix, by the format each speaks. */
const ROUTES: Record<string, FormatName> = {
  '/chat/completions': 'chat',
  '/embeddings': 'embeddings',
  '/responses': 'responses',
  '/messages': 'messages',
};

/** What {@link handleEndpoint} takes of the handler options. */
export type EndpointOptions = Pick<NodeHandlerOptions, 'debug'>;

/** A `node:http` request listener that also works as Connect/Express middleware. */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void;

const SAFE_ID = /^[\w.:-]{1,128}$/;

function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && SAFE_ID.test(given) ? given : randomUUID();
}

/**
 * Serves one request in `format` (`chat`, `responses`, `messages`, `embeddings`) on raw
 * Node objects, answering errors in that format's own envelope. `parsedBody` is a body a
 * host framework already parsed; without it the request stream is read. `options.debug`
 * says whether the client may have debug detail.
 */
export async function handleEndpoint(
  relay: Relay,
  format: FormatName,
  req: IncomingMessage,
  res: ServerResponse,
  parsedBody?: unknown,
  options: EndpointOptions = {},
): Promise<void> {
  const requestId = requestIdOf(req);
  const debug = debugAllowed(req, options.debug);
  const controller = new AbortController();
  // 'close' before the response finished means the client went away.
  const onClose = () => {
    if (!res.writableFinished) controller.abort(new ClientClosedError());
  };
  res.on('close', onClose);
  let stopHeartbeat: (() => void) | undefined;
  try {
    const { body, raw } = await readJsonBodyRaw(req, relay.maxBodyBytes, parsedBody, relay.bodyTimeoutMs);
    if (format !== 'embeddings' && relay.heartbeatMs > 0 && (body as { stream?: unknown } | null)?.stream === true) {
      stopHeartbeat = startHeartbeat(res, relay.heartbeatMs);
    }
    const chain = req.headers['x-switchyard-chain'];
    const result = await relay.handle({
      format,
      body,
      rawBody: raw,
      headers: req.headers,
      controller,
      requestId,
      chain: typeof chain === 'string' ? chain : undefined,
      caller: relay.callerOf(req),
    });
    stopHeartbeat?.();
    const headers = metaHeaders(result.meta, debug);
    if (result.stream) await sendStream(res, headers, result.chunks);
    else sendJson(res, 200, headers, result.body);
  } catch (err) {
    stopHeartbeat?.();
    if (err instanceof ClientClosedError) return;
    if (res.headersSent) return sendStreamError(res, err, format);
    const attempts: AttemptRecord[] = isSwitchyardError(err) ? err.attempts : [];
    const headers = metaHeaders({ requestId, attempts }, debug);
    // A body we did not finish reading would be parsed as the next request on this socket.
    if (isSwitchyardError(err) && (err.status === 413 || err.status === 408)) headers.connection = 'close';
    sendError(res, err, headers, format, { upstreamMessages: debug });
  } finally {
    res.off('close', onClose);
  }
}

/** Serves one chat completion request; see {@link handleEndpoint}. */
export function handleChatCompletion(relay: Relay, req: IncomingMessage, res: ServerResponse, parsedBody?: unknown, options?: EndpointOptions): Promise<void> {
  return handleEndpoint(relay, 'chat', req, res, parsedBody, options);
}

/** Serves one embeddings request; see {@link handleEndpoint}. */
export function handleEmbeddings(relay: Relay, req: IncomingMessage, res: ServerResponse, parsedBody?: unknown, options?: EndpointOptions): Promise<void> {
  return handleEndpoint(relay, 'embeddings', req, res, parsedBody, options);
}

/** Serves one OpenAI Responses request (`POST /responses`); see {@link handleEndpoint}. */
export function handleResponses(relay: Relay, req: IncomingMessage, res: ServerResponse, parsedBody?: unknown, options?: EndpointOptions): Promise<void> {
  return handleEndpoint(relay, 'responses', req, res, parsedBody, options);
}

/** Serves one Anthropic Messages request (`POST /messages`); see {@link handleEndpoint}. */
export function handleMessages(relay: Relay, req: IncomingMessage, res: ServerResponse, parsedBody?: unknown, options?: EndpointOptions): Promise<void> {
  return handleEndpoint(relay, 'messages', req, res, parsedBody, options);
}

export { handleCountTokens, handleModels, handleStoredResponse } from './side-routes.js';

/** Serves one operator route (`/health`, `/stats`, `/dashboard`, `/metrics`, `/requests`); `req` carries its query. */
export type OperatorRoute = (res: ServerResponse, req?: IncomingMessage) => void | Promise<void>;

/**
 * The operator routes `options` enables, by path (`/health`, ...). Adapters whose
 * framework routes by decorator (Nest) serve them one by one from this map.
 */
export function operatorRoutes(relay: Relay, options: Omit<NodeHandlerOptions, 'prefix'>): Map<string, OperatorRoute> {
  const routes = new Map<string, OperatorRoute>();
  const noStore = { 'cache-control': 'no-store' };
  if (options.stats || options.health || options.dashboard) relay.statsCollector();
  if (options.admin) routes.set('/admin/targets', (res) => sendJson(res, 200, noStore, JSON.stringify({ targets: relay.targets() })));
  if (options.health) {
    routes.set('/health', (res) => {
      const health = relay.health();
      sendJson(res, health.status === 'down' ? 503 : 200, noStore, JSON.stringify(health));
    });
  }
  if (options.stats || options.dashboard) routes.set('/stats', (res) => sendJson(res, 200, noStore, JSON.stringify(relay.stats())));
  if (options.requests || options.dashboard) {
    const log = relay.requestLog();
    routes.set('/requests', (res, req) => serveRequestLog(log, req, res));
  }
  if (options.dashboard) {
    routes.set('/dashboard', (res) => {
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        ...noStore,
        // The page is self-contained: it may only talk to its own origin.
        'content-security-policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:",
      });
      res.end(DASHBOARD_HTML);
    });
  }
  const metrics = options.metrics;
  if (metrics) {
    routes.set('/metrics', async (res) => {
      const body = await metrics.render();
      res.writeHead(200, { 'content-type': metrics.contentType, ...noStore });
      res.end(body);
    });
  }
  return routes;
}

/** Serves one admin control (`POST {prefix}/admin/breaker` or `/admin/drain`); adapters that route by decorator call it. */
export async function handleAdmin(relay: Relay, action: 'breaker' | 'drain', req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const body = (await readJsonBody(req, 64 * 1024)) as Record<string, unknown> | null;
    const provider = body?.provider;
    if (typeof provider !== 'string') throw new InvalidRequestError('Missing `provider`.', 'provider');
    const given = req.headers['x-switchyard-actor'];
    const actor = (typeof given === 'string' && SAFE_ID.test(given) ? given : undefined) ?? relay.callerOf(req);
    if (action === 'breaker') {
      const state = body!.state;
      if (state !== 'open' && state !== 'closed' && state !== 'auto') throw new InvalidRequestError('`state` must be "open", "closed" or "auto".', 'state');
      const model = typeof body!.model === 'string' ? body!.model : undefined;
      relay.setBreaker(provider, model, state, { actor });
    } else {
      if (typeof body!.draining !== 'boolean') throw new InvalidRequestError('`draining` must be a boolean.', 'draining');
      if (body!.draining) relay.drain(provider, { actor });
      else relay.undrain(provider, { actor });
    }
    sendJson(res, 200, {}, JSON.stringify({ targets: relay.targets() }));
  } catch (err) {
    sendError(res, err, {});
  }
}

/** Builds the listener behind {@link Relay.nodeHandler}. */
export function createNodeHandler(relay: Relay, options: NodeHandlerOptions): NodeHandler {
  const prefix = (options.prefix ?? '').replace(/\/+$/, '');
  const operator = operatorRoutes(relay, options);
  // Named, so tracers and profilers of the host show it as `switchyard`.
  const switchyard: NodeHandler = (req, res, next) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const route = path.startsWith(prefix) ? path.slice(prefix.length) : undefined;
    const format = route === undefined ? undefined : ROUTES[route];
    if (format) {
      if (req.method === 'POST') {
        handleEndpoint(relay, format, req, res, undefined, options).catch(() => res.destroy());
        return;
      }
      return sendError(res, new MethodNotAllowedError(req.method ?? '', 'POST'), {}, format);
    }
    if (route === '/messages/count_tokens') {
      if (req.method === 'POST') return void handleCountTokens(relay, req, res).catch(() => res.destroy());
      return sendError(res, new MethodNotAllowedError(req.method ?? '', 'POST'), {}, 'messages');
    }
    if (route === '/models') {
      if (req.method === 'GET' || req.method === 'HEAD') return handleModels(relay, res, req);
      return sendError(res, new MethodNotAllowedError(req.method ?? '', 'GET'), {});
    }
    const stored = route?.startsWith('/responses/') ? decodeURIComponent(route.slice('/responses/'.length)) : undefined;
    if (stored !== undefined && stored.length > 0 && !stored.includes('/')) {
      if (req.method === 'GET' || req.method === 'DELETE') return void handleStoredResponse(relay, req.method, stored, res).catch((err: unknown) => sendError(res, err, {}, 'responses'));
      return sendError(res, new MethodNotAllowedError(req.method ?? '', 'GET, DELETE'), {}, 'responses');
    }
    if (options.admin && (route === '/admin/breaker' || route === '/admin/drain')) {
      if (req.method !== 'POST') return sendError(res, new MethodNotAllowedError(req.method ?? '', 'POST'), {});
      void handleAdmin(relay, route === '/admin/breaker' ? 'breaker' : 'drain', req, res);
      return;
    }
    const serve = route === undefined ? undefined : operator.get(route);
    if (serve) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, new MethodNotAllowedError(req.method ?? '', 'GET'), {});
      void Promise.resolve(serve(res, req)).catch((err: unknown) => sendError(res, err, {}));
      return;
    }
    if (next) return next();
    sendError(res, new RouteNotFoundError(req.method ?? '', path), {});
  };
  return switchyard;
}
