/**
 * @module
 * Express adapter. Express already speaks Node's `(req, res, next)`, so the adapter is
 * the core's node handler with Express's mount path already stripped: mount it where
 * the routes should live, after the host's own auth, CORS and logging.
 */
import type { NodeHandler, NodeHandlerOptions, Relay } from 'switchyard';

/**
 * Options of {@link expressRelay}: those of the core's node handler. `prefix` is an extra
 * prefix below the mount path, usually empty: `app.use('/v1', expressRelay(relay))`.
 */
export type ExpressRelayOptions = NodeHandlerOptions;

/**
 * Express middleware serving `POST /chat/completions` and `GET /models` below its mount
 * path; any other path goes on to `next()`. Works with or without `express.json()` in front.
 *
 * @example
 * ```ts
 * app.use('/v1', requireApiKey, expressRelay(relay, { health: true, stats: true, dashboard: true }));
 * ```
 */
export function expressRelay(relay: Relay, options: ExpressRelayOptions = {}): NodeHandler {
  return relay.nodeHandler(options);
}
