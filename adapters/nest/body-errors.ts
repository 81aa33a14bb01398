/**
 * @module
 * Bodies Nest's parser rejects on the relay's routes (malformed JSON, too large, an
 * unsupported encoding), answered in the relay's envelope for the route's API (OpenAI's,
 * or Anthropic's on `/messages`) instead of Nest's `{statusCode, message}`.
 *
 * The parser runs before any route, so only global exception handling sees its errors.
 * A global filter that caught them by type would also catch the same errors on the
 * host's own routes, and could shadow the host's filters there. So the module does two
 * small things instead, and nothing outside the relay's paths changes:
 *
 * 1. On the relay's paths only, a platform hook turns the parser's error into a
 *    {@link RelayBodyRejected}: under Express an error middleware placed after the routes
 *    and before Nest's error handler; under Fastify the relay's routes get their own
 *    `errorHandler` (Fastify parses after routing) that hands it on to Nest's.
 * 2. {@link RelayBodyErrorFilter}, registered with `APP_FILTER`, catches that class and
 *    nothing else, and writes the core's envelope. A host's own catch-all global filter
 *    (`app.useGlobalFilters`) still sees it first, as Nest orders global filters; it is an
 *    `HttpException` with the right status and the envelope as its response.
 */
import { Catch, HttpException, Inject, Injectable, type ArgumentsHost, type ExceptionFilter, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { BODY_ROUTES, parserRejection, routeErrorResponse, type Rejection, type SwitchyardError } from 'switchyard';

/** A body Nest's parser rejected on one of the relay's routes, as the relay words it. */
export class RelayBodyRejected extends HttpException {
  constructor(
    /** The route below the module's path (`/chat/completions`, `/messages`). */
    readonly route: string,
    readonly error: SwitchyardError,
  ) {
    const { status, body } = routeErrorResponse(route, error);
    super(body as Record<string, unknown>, status);
  }
}

/** Writes a {@link RelayBodyRejected} in the relay's envelope, through the platform's own reply. */
@Catch(RelayBodyRejected)
@Injectable()
export class RelayBodyErrorFilter implements ExceptionFilter<RelayBodyRejected> {
  constructor(@Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: RelayBodyRejected, host: ArgumentsHost): void {
    const adapter = this.adapterHost.httpAdapter;
    const response: unknown = host.switchToHttp().getResponse();
    const { status, headers, body } = routeErrorResponse(exception.route, exception.error);
    for (const [name, value] of Object.entries(headers)) adapter.setHeader(response, name, value);
    // The rest of a body that was not read would be taken for the next request.
    if (status === 413) adapter.setHeader(response, 'connection', 'close');
    adapter.reply(response, body, status);
  }
}

/** The route below `path` that `pathname` is, when it is one of the relay's body routes. */
export function relayRoute(path: string, pathname: string): string | undefined {
  const base = `/${path.replace(/^\/+|\/+$/g, '')}`.replace(/^\/$/, '');
  // A global prefix may come in front: matched from the end, on a segment boundary.
  return BODY_ROUTES.find((route) => pathname.replace(/\/+$/, '').endsWith(`${base}${route}`));
}

/** What a parser error says, by its platform's words; undefined for errors that are not about the body. */
function rejectionOf(err: unknown): { why: Rejection; limit?: number } | undefined {
  const e = err as { type?: unknown; code?: unknown; status?: unknown; statusCode?: unknown; limit?: unknown } | null;
  if (typeof e !== 'object' || e === null) return undefined;
  // Express (body-parser).
  switch (e.type) {
    case 'entity.parse.failed':
      return { why: 'invalid' };
    case 'entity.too.large':
      return { why: 'too_large', limit: typeof e.limit === 'number' ? e.limit : undefined };
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return { why: 'encoding' };
  }
  // Fastify's content-type parser.
  switch (e.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { why: 'invalid' };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { why: 'empty' };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { why: 'too_large' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { why: 'media_type' };
  }
  // Fastify's JSON parser refusing a `__proto__` key (secure-json-parse).
  if (err instanceof SyntaxError && (e.statusCode === 400 || e.status === 400)) return { why: 'invalid' };
  return undefined;
}

/** The {@link RelayBodyRejected} for `err` on `pathname`, or undefined when it is not one. */
export function relayBodyRejection(path: string, pathname: string, err: unknown, limit?: number): RelayBodyRejected | undefined {
  const route = relayRoute(path, pathname);
  const rejection = route === undefined ? undefined : rejectionOf(err);
  if (!route || !rejection) return undefined;
  return new RelayBodyRejected(route, parserRejection(rejection.why, rejection.limit ?? (rejection.why === 'too_large' ? limit : undefined)));
}

type Next = (err?: unknown) => void;
interface FastifyRoute {
  url: string;
  errorHandler?: (err: unknown, request: FastifyRequestLike, reply: unknown) => unknown;
}
interface FastifyRequestLike {
  url: string;
  /** The instance the route belongs to: its `errorHandler` is the one set with `setErrorHandler` (Nest's). */
  server: FastifyLike;
  routeOptions?: { bodyLimit?: number };
}
interface FastifyLike {
  errorHandler: (err: unknown, request: FastifyRequestLike, reply: unknown) => unknown;
  initialConfig?: { bodyLimit?: number };
  addHook(name: 'onRoute', hook: (route: FastifyRoute) => void): unknown;
}
interface ExpressLike {
  use(handler: (err: unknown, req: { originalUrl?: string; url?: string }, res: unknown, next: Next) => void): unknown;
}

const pathOf = (url: string | undefined) => (url ?? '/').split('?')[0]!;

/**
 * Installs the platform hooks for the relay mounted at `path` (see the module header).
 * Constructed with the module, before Nest registers any route; Express's middleware goes
 * in at `onModuleInit`, after the routes and before Nest's error handler.
 */
export class BodyErrorHooks implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly path: string,
  ) {
    const adapter = adapterHost.httpAdapter;
    if (adapter?.getType() !== 'fastify') return;
    const fastify = adapter.getInstance<FastifyLike>();
    fastify.addHook('onRoute', (route) => {
      if (relayRoute(path, route.url) === undefined) return;
      const own = route.errorHandler;
      // Fastify calls a route's handler unbound: the instance is the request's `server`.
      route.errorHandler = (err, request, reply) => {
        const limit = request.routeOptions?.bodyLimit ?? request.server.initialConfig?.bodyLimit;
        const rejected = relayBodyRejection(path, pathOf(request.url), err, limit);
        // On to the handler in charge (Nest's), as the error Nest should see.
        return (own ?? request.server.errorHandler)(rejected ?? err, request, reply);
      };
    });
  }

  onModuleInit(): void {
    const adapter = this.adapterHost.httpAdapter;
    if (adapter?.getType() !== 'express') return;
    adapter.getInstance<ExpressLike>().use((err, req, _res, next) => {
      next(relayBodyRejection(this.path, pathOf(req.originalUrl ?? req.url), err) ?? err);
    });
  }
}
