/**
 * @module
 * Koa adapter. The core's node handler serves the relay's routes on Node's raw request
 * and response (streams need backpressure and a clean abort); on those routes Koa's own
 * response handling is turned off with `ctx.respond = false`, and every other path goes
 * on to `next()`.
 */
import type { Middleware } from 'koa';
import { finished } from 'node:stream/promises';
import type { NodeHandlerOptions, Relay } from 'switchyard';

/** Options of {@link koaRelay}: those of the core's node handler (operator routes included). */
export interface KoaRelayOptions extends NodeHandlerOptions {
  /**
   * Path prefix the routes live under, e.g. `/v1`. Keep the full prefix under
   * `@koa/router`, which does not strip its paths; leave it empty under `koa-mount`,
   * which does.
   * @default ''
   */
  prefix?: string;
}

/**
 * Koa middleware serving the relay's routes: `POST {prefix}/chat/completions`,
 * `POST {prefix}/embeddings` and `GET {prefix}/models`.
 * Works with or without a body parser in front (`@koa/bodyparser`, `koa-bodyparser`):
 * a parsed `ctx.request.body` is used as it is, an unread body is read by the relay.
 * The returned promise settles once the relay's response is finished, so middleware in
 * front (loggers, metrics) sees the final status after `await next()`.
 *
 * @example
 * ```ts
 * app.use(requireApiKey);
 * app.use(koaRelay(relay, { prefix: '/v1' }));
 * ```
 */
export function koaRelay(relay: Relay, options: KoaRelayOptions = {}): Middleware {
  const handler = relay.nodeHandler(options);
  return async (ctx, next) => {
    // The core takes a body a parser already read from req.body, where Express leaves
    // it; Koa parsers leave it on ctx.request.body.
    const parsed = (ctx.request as { body?: unknown }).body;
    if (ctx.req.readableEnded && parsed !== undefined) (ctx.req as { body?: unknown }).body = parsed;
    const served = await new Promise<boolean>((resolve) => {
      handler(ctx.req, ctx.res, () => resolve(false));
      finished(ctx.res).then(() => resolve(true), () => resolve(true));
    });
    if (!served) return next();
    // The relay wrote the raw response: Koa must neither buffer it nor send its own.
    ctx.respond = false;
  };
}
