/**
 * @module
 * The framework-free HTTP entry point: routes `POST /chat/completions` and
 * `GET /models` under a prefix, reads the body, runs the relay and writes the result.
 * Express mounts it as it is; Koa and Nest adapters call {@link handleChatCompletion}.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ClientClosedError, RouteNotFoundError, SwitchyardError, isSwitchyardError, type AttemptRecord } from '../errors.js';
import type { Endpoint } from '../providers/provider.js';
import type { Relay } from '../relay.js';
import { readJsonBody } from './body.js';
import { metaHeaders, sendError, sendJson, sendStream, sendStreamError, startHeartbeat } from './respond.js';

/** Options of {@link Relay.nodeHandler}. */
export interface NodeHandlerOptions {
  /**
   * Path prefix the routes live under, e.g. `/v1`. Leave empty when a framework already
   * strips its mount path (Express `app.use('/v1', ...)`).
   * @default ''
   */
  prefix?: string;
}

/** A `node:http` request listener that also works as Connect/Express middleware. */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void;

const SAFE_ID = /^[\w.:-]{1,128}$/;

function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && SAFE_ID.test(given) ? given : randomUUID();
}

class MethodNotAllowedError extends SwitchyardError {
  constructor(method: string, allowed: string) {
    super('ERR_SWITCHYARD_NOT_FOUND', `Method ${method} is not allowed here; use ${allowed}.`, {
      status: 405,
      type: 'invalid_request_error',
      openaiCode: 'method_not_allowed',
    });
  }
}

/**
 * Serves one request for `endpoint` on raw Node objects. `parsedBody` is a body a host
 * framework already parsed; without it the request stream is read.
 */
export async function handleEndpoint(
  relay: Relay,
  endpoint: Endpoint,
  req: IncomingMessage,
  res: ServerResponse,
  parsedBody?: unknown,
): Promise<void> {
  const requestId = requestIdOf(req);
  const debug = req.headers['x-switchyard-debug'] === '1';
  const controller = new AbortController();
  // 'close' before the response finished means the client went away.
  const onClose = () => {
    if (!res.writableFinished) controller.abort(new ClientClosedError());
  };
  res.on('close', onClose);
  let stopHeartbeat: (() => void) | undefined;
  try {
    const body = await readJsonBody(req, relay.maxBodyBytes, parsedBody);
    if (endpoint === 'chat' && relay.heartbeatMs > 0 && (body as { stream?: unknown } | null)?.stream === true) {
      stopHeartbeat = startHeartbeat(res, relay.heartbeatMs);
    }
    const chain = req.headers['x-switchyard-chain'];
    const result = await relay.handle({
      endpoint,
      body,
      signal: controller.signal,
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
    if (res.headersSent) return sendStreamError(res, err);
    const attempts: AttemptRecord[] = isSwitchyardError(err) ? err.attempts : [];
    const headers = metaHeaders({ requestId, attempts }, debug);
    // A body we did not finish reading would be parsed as the next request on this socket.
    if (isSwitchyardError(err) && err.status === 413) headers.connection = 'close';
    sendError(res, err, headers);
  } finally {
    res.off('close', onClose);
  }
}

/** Serves one chat completion request; see {@link handleEndpoint}. */
export function handleChatCompletion(relay: Relay, req: IncomingMessage, res: ServerResponse, parsedBody?: unknown): Promise<void> {
  return handleEndpoint(relay, 'chat', req, res, parsedBody);
}

/** Serves one embeddings request; see {@link handleEndpoint}. */
export function handleEmbeddings(relay: Relay, req: IncomingMessage, res: ServerResponse, parsedBody?: unknown): Promise<void> {
  return handleEndpoint(relay, 'embeddings', req, res, parsedBody);
}

/** Serves `GET /models`. */
export function handleModels(relay: Relay, res: ServerResponse): void {
  sendJson(res, 200, {}, relay.modelsBody());
}

/** Builds the listener behind {@link Relay.nodeHandler}. */
export function createNodeHandler(relay: Relay, options: NodeHandlerOptions): NodeHandler {
  const prefix = (options.prefix ?? '').replace(/\/+$/, '');
  return (req, res, next) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const route = path.startsWith(prefix) ? path.slice(prefix.length) : undefined;
    const endpoint = route === '/chat/completions' ? 'chat' : route === '/embeddings' ? 'embeddings' : undefined;
    if (endpoint) {
      if (req.method === 'POST') {
        void handleEndpoint(relay, endpoint, req, res);
        return;
      }
      return sendError(res, new MethodNotAllowedError(req.method ?? '', 'POST'), { allow: 'POST' });
    }
    if (route === '/models') {
      if (req.method === 'GET' || req.method === 'HEAD') return handleModels(relay, res);
      return sendError(res, new MethodNotAllowedError(req.method ?? '', 'GET'), { allow: 'GET' });
    }
    if (next) return next();
    sendError(res, new RouteNotFoundError(req.method ?? '', path), {});
  };
}

