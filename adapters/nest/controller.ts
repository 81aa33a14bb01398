/**
 * @module
 * The relay's routes as a Nest controller, so the host's guards, interceptors, pipes and
 * exception filters run in front of them as for any route. The handlers take the raw
 * request and response (`@Req`, `@Res`) and hand them to the core, which writes JSON,
 * SSE or the OpenAI error envelope itself.
 */
import { Controller, Delete, Get, Inject, Param, Post, Req, Res, type Type } from '@nestjs/common';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import {
  Relay,
  RouteNotFoundError,
  handleAdmin,
  handleChatCompletion,
  handleCountTokens,
  handleEmbeddings,
  handleMessages,
  handleModels,
  handleResponses,
  handleStoredResponse,
  operatorRoutes,
  sendError,
  type DebugOption,
  type NodeHandlerOptions,
  type OperatorRoute,
} from 'switchyard';

/**
 * Operator routes the module may serve (`GET {path}/health`, `/stats`, `/dashboard`,
 * `/metrics`, and with `admin` `GET {path}/admin/targets`, `POST {path}/admin/breaker`
 * and `POST {path}/admin/drain`).
 */
export type OperatorRouteOptions = Omit<NodeHandlerOptions, 'prefix' | 'debug'>;

/** Express hands Nest Node's own objects; Fastify wraps them. */
type PlatformRequest = IncomingMessage & { raw?: IncomingMessage; body?: unknown };
type PlatformResponse = ServerResponse | { raw: ServerResponse; hijack(): void; getHeaders(): OutgoingHttpHeaders };

function nodeRequest(req: PlatformRequest): IncomingMessage {
  return req.raw ?? req;
}

/**
 * With the platform's JSON parser on, the stream is read and `body` is its result;
 * without it (`bodyParser: false`) the relay reads the body under its own limit.
 */
function parsedBody(req: PlatformRequest): unknown {
  return nodeRequest(req).readableEnded ? req.body : undefined;
}

/** Node's response, taken over from Fastify when that is the platform. */
function nodeResponse(res: PlatformResponse): ServerResponse {
  if (!('raw' in res)) return res;
  // Fastify sends nothing itself after hijack(), so headers the host set through the
  // reply (CORS, interceptors) go onto the raw response before the relay writes it.
  res.hijack();
  for (const [name, value] of Object.entries(res.getHeaders())) if (value !== undefined) res.raw.setHeader(name, value);
  return res.raw;
}

/** The routes (`POST chat/completions`, `POST embeddings`, `GET models`); {@link relayController} mounts them under a path. */
export class SwitchyardController {
  /** Operator routes enabled for this controller class (set by {@link relayController}). */
  static routes: OperatorRouteOptions = {};
  /** Whether clients may ask for debug detail (set by {@link relayController}). */
  static debug: DebugOption = false;
  private readonly operator: Map<string, OperatorRoute>;

  constructor(@Inject(Relay) private readonly relay: Relay) {
    this.operator = operatorRoutes(relay, (this.constructor as typeof SwitchyardController).routes);
  }

  /** Serves one enabled operator route (`health`, `admin/targets`, ...); {@link relayController} gives it its paths. */
  async operatorRoute(route: string, req: PlatformRequest, res: PlatformResponse): Promise<void> {
    const raw = nodeResponse(res);
    const serve = this.operator.get(`/${route}`);
    if (serve) return serve(raw, nodeRequest(req));
    sendError(raw, new RouteNotFoundError('GET', route), {});
  }

  /** Serves one admin control (`admin/breaker`, `admin/drain`). */
  async adminRoute(action: 'breaker' | 'drain', req: PlatformRequest, res: PlatformResponse): Promise<void> {
    await handleAdmin(this.relay, action, nodeRequest(req), nodeResponse(res));
  }

  @Post('chat/completions')
  async chatCompletions(@Req() req: PlatformRequest, @Res() res: PlatformResponse): Promise<void> {
    await handleChatCompletion(this.relay, nodeRequest(req), nodeResponse(res), parsedBody(req), { debug: this.debug });
  }

  @Post('embeddings')
  async embeddings(@Req() req: PlatformRequest, @Res() res: PlatformResponse): Promise<void> {
    await handleEmbeddings(this.relay, nodeRequest(req), nodeResponse(res), parsedBody(req), { debug: this.debug });
  }

  /** This controller class's debug option. */
  private get debug(): DebugOption {
    return (this.constructor as typeof SwitchyardController).debug;
  }

  @Post('responses')
  async responses(@Req() req: PlatformRequest, @Res() res: PlatformResponse): Promise<void> {
    await handleResponses(this.relay, nodeRequest(req), nodeResponse(res), parsedBody(req), { debug: this.debug });
  }

  @Get('responses/:id')
  async storedResponse(@Req() req: PlatformRequest, @Res() res: PlatformResponse, @Param('id') id: string): Promise<void> {
    await handleStoredResponse(this.relay, 'GET', id, nodeResponse(res));
  }

  @Delete('responses/:id')
  async deleteResponse(@Req() req: PlatformRequest, @Res() res: PlatformResponse, @Param('id') id: string): Promise<void> {
    await handleStoredResponse(this.relay, 'DELETE', id, nodeResponse(res));
  }

  @Post('messages')
  async messages(@Req() req: PlatformRequest, @Res() res: PlatformResponse): Promise<void> {
    await handleMessages(this.relay, nodeRequest(req), nodeResponse(res), parsedBody(req), { debug: this.debug });
  }

  @Post('messages/count_tokens')
  async countTokens(@Req() req: PlatformRequest, @Res() res: PlatformResponse): Promise<void> {
    await handleCountTokens(this.relay, nodeRequest(req), nodeResponse(res), parsedBody(req));
  }

  @Get('models')
  models(@Req() req: PlatformRequest, @Res() res: PlatformResponse): void {
    handleModels(this.relay, nodeResponse(res), nodeRequest(req));
  }
}

/** A controller class serving the relay's routes under `path`. */
export function relayController(path: string, routes: OperatorRouteOptions = {}, debug: DebugOption = false): Type<SwitchyardController> {
  @Controller(path)
  class RelayController extends SwitchyardController {
    static override routes = routes;
    static override debug = debug;
  }
  // Only enabled operator routes are declared, so a host's own `GET v1/health` keeps working.
  const enabled: string[] = (['health', 'stats', 'dashboard', 'metrics', 'requests'] as const).filter((r) => routes[r] || ((r === 'stats' || r === 'requests') && routes.dashboard));
  if (routes.admin) enabled.push('admin/targets');
  const declare = (name: string, method: typeof Get, path: string, value: (this: SwitchyardController, req: PlatformRequest, res: PlatformResponse) => Promise<void>) => {
    const descriptor: PropertyDescriptor = { value, writable: true, configurable: true };
    Object.defineProperty(RelayController.prototype, name, descriptor);
    method(path)(RelayController.prototype, name, descriptor);
    Req()(RelayController.prototype, name, 0);
    Res()(RelayController.prototype, name, 1);
  };
  enabled.forEach((route, i) => declare(`operator${i}`, Get, route, function (req, res) {
    return this.operatorRoute(route, req, res);
  }));
  if (routes.admin) {
    for (const action of ['breaker', 'drain'] as const) {
      declare(`admin_${action}`, Post, `admin/${action}`, function (req, res) {
        return this.adminRoute(action, req, res);
      });
    }
  }
  return RelayController;
}
