/**
 * @module
 * The base of every error switchyard throws or returns: a {@link SwitchyardError} with a
 * stable, literal-typed `code` whose status and OpenAI `type`/`code` come from the
 * catalogue, and a type guard that works across two copies of the package.
 */
import { ERROR_CATALOG, type SwitchyardErrorCode } from './catalog.js';

/** Why an upstream attempt failed. Failover rules are keyed by these. */
export type FailureKind =
  | 'connect'
  | 'reset'
  | 'timeout'
  | 'rate_limit'
  | 'auth'
  | 'server'
  | 'bad_request'
  | 'context_length'
  | 'content_policy'
  | 'bad_response'
  /** The target cannot take this request (a field it cannot carry, an endpoint it lacks): never sent. */
  | 'unsupported'
  /** The upstream says the configured model does not exist (404 `model_not_found`): a configuration error. */
  | 'target_misconfigured';

/**
 * One upstream attempt as reported to clients, events and errors. Never holds a key.
 */
export interface AttemptRecord {
  provider: string;
  model: string;
  /**
   * `ok`, a {@link FailureKind}, `skipped` when the target was not tried (open breaker,
   * drained, over its limit, context window too small), or `cancelled` when a hedged
   * attempt lost the race.
   */
  outcome: 'ok' | 'skipped' | 'cancelled' | FailureKind;
  /** Upstream HTTP status, when one was received. */
  status?: number;
  /** Milliseconds from sending the request until the outcome was known. */
  latencyMs: number;
  /** Short reason in the relay's words, e.g. `breaker open`, `HTTP 503`, an error code. */
  detail?: string;
  /**
   * The upstream's own error message (redacted), for the client's error body and debug
   * header only: it may quote the prompt, so events never carry it.
   */
  message?: string;
  /** Parameters the relay changed for this target (`max_tokens→max_completion_tokens`, `-temperature`, `=field`). */
  adapted?: string[];
}

const BRAND = Symbol.for('switchyard.error');

/** What a {@link SwitchyardError} carries besides its code and message. */
export interface SwitchyardErrorInit {
  param?: string | null;
  attempts?: AttemptRecord[];
  retryAfter?: number;
  headers?: Record<string, string>;
  cause?: unknown;
  /** Overrides of the catalogue (an upstream's own status and types, passed on). */
  status?: number;
  type?: string;
  openaiCode?: string;
}

/**
 * Base class of every switchyard error.
 *
 * @example
 * ```ts
 * try { await relay.chat(body) } catch (err) {
 *   if (isSwitchyardError(err) && err.code === 'ERR_SWITCHYARD_ALL_TARGETS_FAILED') console.log(err.attempts)
 * }
 * ```
 */
export class SwitchyardError extends Error {
  /** HTTP status a client receives for this error. */
  readonly status: number;
  /** OpenAI envelope `type`. */
  readonly type: string;
  /** OpenAI envelope `code` (snake_case, stable). */
  readonly openaiCode: string;
  /** The request field at fault, when there is one. */
  readonly param: string | null;
  /** Upstream attempts made before this error, oldest first. */
  readonly attempts: AttemptRecord[];
  /** Seconds a client should wait before retrying, when known. */
  readonly retryAfter?: number;
  /** Extra response headers (e.g. `x-ratelimit-*`). */
  readonly headers?: Record<string, string>;

  constructor(
    readonly code: SwitchyardErrorCode,
    message: string,
    init: SwitchyardErrorInit = {},
  ) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    const entry = ERROR_CATALOG[code];
    this.name = new.target.name;
    this.status = init.status ?? entry.status;
    this.type = init.type ?? entry.type;
    this.openaiCode = init.openaiCode ?? entry.openaiCode;
    this.param = init.param ?? null;
    this.attempts = init.attempts ?? [];
    if (init.retryAfter !== undefined) this.retryAfter = init.retryAfter;
    if (init.headers !== undefined) this.headers = init.headers;
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/** True for any switchyard error, even one thrown by another copy of the package. */
export function isSwitchyardError(err: unknown): err is SwitchyardError {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[BRAND] === true;
}
