/**
 * @module
 * Debug detail on the host's terms: a client's `x-switchyard-debug: 1` gets per-attempt
 * details (the `x-switchyard-attempt-details` header, upstream messages in a 502 body's
 * `attempts`) only where the host's `debug` option allows it. Off by default: those
 * details name providers and upstream models and quote upstream error messages.
 */
import type { IncomingMessage } from 'node:http';

/**
 * Whether clients may ask for debug detail: `true` for all of them, or a predicate over
 * the request (an admin caller, an internal network).
 */
export type DebugOption = boolean | ((req: IncomingMessage) => boolean);

/** Whether `req` gets debug detail: it asked for it and `allow` lets it. A predicate that throws says no. */
export function debugAllowed(req: IncomingMessage, allow: DebugOption | undefined): boolean {
  if (req.headers['x-switchyard-debug'] !== '1' || !allow) return false;
  if (allow === true) return true;
  try {
    return allow(req) === true;
  } catch {
    return false;
  }
}
