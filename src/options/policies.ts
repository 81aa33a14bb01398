/**
 * @module
 * Failover, retry, timeout, breaker, stream and limit options: how the relay treats each attempt. Defaults live in `DEFAULTS` (`options.ts`).
 */
import type { FailureKind } from '../errors/index.js';

/** What to do after a failed attempt. */
export type FailoverAction =
  /** Try the same target again after a backoff, while `retry.attempts` allows; then fall back. */
  | 'retry'
  /** Move on to the next target at once. */
  | 'fallback'
  /** Stop and give the upstream's answer to the client: the request itself is at fault. */
  | 'return';

/**
 * Overrides of the failover table, keyed by upstream HTTP status (`503`) or by
 * {@link FailureKind} (`timeout`). A status rule wins over a kind rule of the same scope;
 * target rules win over provider rules, which win over global rules.
 *
 * @example
 * ```ts
 * rules: { 404: 'fallback', timeout: 'fallback', content_policy: 'fallback' }
 * ```
 */
export type FailoverRules = { [status: number]: FailoverAction } & { [K in FailureKind]?: FailoverAction };

/** Retries of one target. */
export interface RetryOptions {
  /**
   * Attempts per target, the first included (`1` = never retry the same target).
   * @default 2
   */
  attempts?: number;
  /**
   * Base of the exponential backoff; the n-th retry sleeps a random time in
   * `[0, min(maxDelayMs, baseDelayMs * 2^(n-1))]` (full jitter).
   * @default 200
   */
  baseDelayMs?: number;
  /**
   * Upper bound of one backoff sleep, and of an upstream `Retry-After` the relay will wait for.
   * @default 5000
   */
  maxDelayMs?: number;
}

/** Timeouts, all in milliseconds. */
export interface TimeoutOptions {
  /**
   * Establishing the TCP/TLS connection to an upstream.
   * @default 5000
   */
  connectMs?: number;
  /**
   * From sending a request until the upstream's response headers arrive.
   * @default 30000
   */
  firstByteMs?: number;
  /**
   * Longest silence between two body chunks of an upstream response.
   * @default 30000
   */
  idleMs?: number;
  /**
   * Streams only: from sending a request until the first content chunk (text, tool call,
   * reasoning). A target slower than that is abandoned and the next one tried.
   * @default 60000
   */
  firstTokenMs?: number;
  /**
   * Receiving a client's whole request body; a slower client (a trickle, slowloris) gets
   * 408 and its connection closed.
   * @default 30000
   */
  bodyMs?: number;
  /**
   * Overall deadline of one client request across every target, retry and backoff.
   * A non-streaming request must be answered within it; a stream must have started
   * (first content sent) within it, after which `idleMs` alone guards it, so a
   * long answer that keeps producing tokens is never cut off.
   * @default 120000
   */
  totalMs?: number;
}

/** Circuit breaker of one target (a provider and model pair). */
export interface BreakerOptions {
  /**
   * Consecutive failures that open the breaker.
   * @default 5
   */
  failureThreshold?: number;
  /**
   * How long an open breaker skips its target before letting one probe through.
   * @default 30000
   */
  cooldownMs?: number;
}

/** Streaming behaviour. */
export interface StreamOptions {
  /**
   * Stream resume: when an upstream dies after content was sent, ask the next target to
   * continue from the text already delivered and splice its tokens into the same client
   * stream, dropping what the continuation repeats. The HTTP trailer
   * `x-switchyard-resumed-from` names the targets that served. Streams with tool calls
   * or several choices are never resumed.
   * @default false
   */
  resume?: boolean;
  /**
   * Send an SSE comment (`: keep-alive`) every this many ms while waiting for the first
   * token, so proxies and browsers keep the connection. The first heartbeat commits the
   * response (status 200): failover still works until content arrives, but a request
   * that then fails everywhere ends with an error event instead of an error status.
   * `0` turns heartbeats off.
   * @default 0
   */
  heartbeatMs?: number;
}

/** Limits on what the relay reads. */
export interface LimitOptions {
  /**
   * Largest request body accepted, in bytes (larger: HTTP 413).
   * @default 10485760 (10 MiB: room for base64 images)
   */
  maxBodyBytes?: number;
  /**
   * Largest non-streaming upstream response read, in bytes (larger: the attempt fails as `bad_response`).
   * @default 33554432 (32 MiB)
   */
  maxResponseBytes?: number;
}
