/**
 * @module
 * Typed relay events. `on()` returns the function that unsubscribes. Payloads are
 * built only when someone listens, hold no keys and no prompt text, and a listener
 * that throws never breaks a request.
 */
import type { BreakerState } from './policy/breaker.js';
import type { AttemptRecord, FailureKind, SwitchyardErrorCode } from './errors/index.js';

/** Fields every request-scoped event carries. */
export interface RequestEventBase {
  /** The `x-switchyard-request-id` of the client request. */
  requestId: string;
  /** The public model the client asked for. */
  model: string;
}

/** Payload of each event, by name. */
export interface RelayEventMap {
  /** An upstream attempt ended (successfully or not). */
  attempt: RequestEventBase & {
    /** 1-based attempt number on this target. */
    attempt: number;
    /** What started it: the first try, a retry, a hedge or a resumed stream. */
    cause: 'first' | 'retry' | 'hedge' | 'resume';
    provider: string;
    upstreamModel: string;
    outcome: AttemptRecord['outcome'];
    status?: number;
    latencyMs: number;
    detail?: string;
  };
  /** The same target is about to be tried again after `delayMs`. */
  retry: RequestEventBase & { provider: string; upstreamModel: string; attempt: number; delayMs: number; kind: FailureKind };
  /** The relay gave up on one target and moves on to the next. */
  failover: RequestEventBase & { from: { provider: string; model: string }; to: { provider: string; model: string }; kind: FailureKind | 'skipped' };
  /** A target's breaker opened: it is skipped for its cooldown. */
  breakerOpen: { provider: string; model: string; failures: number; cooldownMs: number };
  /** A target's breaker lets one probe through. */
  breakerHalfOpen: { provider: string; model: string };
  /** A target's breaker closed after a successful probe. */
  breakerClose: { provider: string; model: string };
  /**
   * A request was answered (for streams: the stream ended properly). `model` is the
   * public model or chain; a client's per-request fallback list is `(request fallbacks)`.
   */
  complete: RequestEventBase & {
    provider: string;
    upstreamModel: string;
    stream: boolean;
    attempts: number;
    latencyMs: number;
    /** Token counts the upstream reported (an estimate, marked `estimated`, when it reported none). */
    usage?: { prompt_tokens: number; completion_tokens: number; estimated?: boolean };
    /** Cost in US$ by the target's price, when it has one. */
    costUsd?: number;
    /** Answered from the response cache. */
    cached?: boolean;
    /** Upstream stream events dropped because they were not valid JSON. */
    droppedEvents?: number;
  };
  /** A caller or target was over its rate limit. */
  rateLimited: RequestEventBase & {
    scope: 'caller' | 'target';
    /** The caller key, or `provider/model` of the target. */
    subject: string;
    limit: 'requests' | 'tokens';
    perMinute: number;
    retryAfterMs: number;
  };
  /** A caller, public model or target budget could not take this request. */
  budgetExceeded: RequestEventBase & { scope: 'caller' | 'model' | 'target'; subject: string; period: 'day' | 'month'; capUsd: number; spentUsd: number };
  /** An operator changed something: a configuration update, a breaker override, a drain. */
  control: {
    action: 'update' | 'breaker' | 'drain' | 'undrain' | 'configError';
    /** Who did it, as the host passed it (`{ actor }`). */
    actor?: string;
    provider?: string;
    model?: string;
    state?: 'open' | 'closed' | 'auto';
    detail?: Record<string, unknown>;
  };
  /**
   * The store failed; `allowed` says whether the request went on unchecked. Reported at
   * most once a second per operation (a store that is down fails every call);
   * `suppressed` counts the failures of that operation not reported since the last one.
   */
  storeError: {
    operation: string;
    message: string;
    allowed: boolean;
    suppressed: number;
    /** A correction after an answer (`settle`, `give`) that failed: the retry about to be made (1, 2, ...). */
    retry?: number;
    /** A correction given up on after its last retry (or at `close()`): the store's totals are off by it. */
    lost?: boolean;
  };
  /**
   * Every request, once, when it is over: how it ended, who served it, and what it used
   * and cost (a stream that broke or that the client left still cost what was sent).
   * Never holds the prompt or the answer.
   */
  request: RequestEventBase & {
    /** The chain that routed it, when it was one. */
    chain?: string;
    /** The caller key (`callers.key`), when there is one. */
    caller?: string;
    stream: boolean;
    /** `complete`: answered; `error`: the client got an error; `interrupted`: a stream broke after it started; `aborted`: the client left. */
    outcome: 'complete' | 'error' | 'interrupted' | 'aborted';
    /** The HTTP status the client got (499 when it left). */
    status: number;
    /** The error's code, when it ended in one. */
    code?: SwitchyardErrorCode;
    /** The target that served (the last one after a stream resume). */
    provider?: string;
    upstreamModel?: string;
    attempts: AttemptRecord[];
    latencyMs: number;
    /** Tokens in all, when an answer was (partly) served; `estimated` when an upstream reported none. */
    usage?: { prompt_tokens: number; completion_tokens: number; estimated?: boolean };
    /** Cost in US$, when every serving target has a price. */
    costUsd?: number;
    /** Each target's share of the answer (several after a stream resume). */
    served: { provider: string; model: string; usage: { prompt_tokens: number; completion_tokens: number; estimated?: boolean }; costUsd?: number }[];
    /** Answered from the response cache. */
    cached?: boolean;
  };
  /** A request ended in an error the client sees (stream interruptions included). */
  error: RequestEventBase & { code: SwitchyardErrorCode; status: number; attempts: AttemptRecord[]; latencyMs: number };
}

export type RelayEventName = keyof RelayEventMap;
export type RelayListener<E extends RelayEventName> = (payload: RelayEventMap[E]) => void;

/** Also the breaker states, re-exported for listeners. */
export type { BreakerState };

/** Shortest interval between two `storeError` events of one operation. */
const STORE_ERROR_EVERY_MS = 1_000; // 1 s

/** A minimal typed emitter; cheaper than EventEmitter and safe against throwing listeners. */
export class RelayEvents {
  private readonly listeners: { [E in RelayEventName]?: RelayListener<E>[] } = {};

  /** Subscribes; returns the unsubscribe function. */
  on<E extends RelayEventName>(event: E, listener: RelayListener<E>): () => void {
    const list = (this.listeners[event] ??= []) as RelayListener<E>[];
    list.push(listener);
    return () => {
      const current = this.listeners[event] as RelayListener<E>[] | undefined;
      if (!current) return;
      const next = current.filter((l) => l !== listener);
      if (next.length > 0) (this.listeners as Record<string, unknown>)[event] = next;
      else delete this.listeners[event];
    };
  }

  /** Whether anyone listens: callers skip building a payload when not. */
  has(event: RelayEventName): boolean {
    return this.listeners[event] !== undefined;
  }

  emit<E extends RelayEventName>(event: E, payload: RelayEventMap[E]): void {
    const list = this.listeners[event] as RelayListener<E>[] | undefined;
    if (!list) return;
    for (const listener of list) {
      try {
        listener(payload);
      } catch {
        // A host's listener must never break a request.
      }
    }
  }

  private readonly storeErrors = new Map<string, { at: number; suppressed: number }>();

  /** Emits `storeError`, at most once a second per operation and outcome. */
  storeError(payload: Omit<RelayEventMap['storeError'], 'suppressed'>): void {
    if (!this.has('storeError')) return;
    const key = `${payload.operation}:${payload.allowed}`;
    const now = Date.now();
    const seen = this.storeErrors.get(key);
    if (seen && now - seen.at < STORE_ERROR_EVERY_MS) {
      seen.suppressed++;
      return;
    }
    this.storeErrors.set(key, { at: now, suppressed: 0 });
    this.emit('storeError', { ...payload, suppressed: seen?.suppressed ?? 0 });
  }

  /** Number of listeners in all, for leak checks. */
  count(): number {
    let n = 0;
    for (const list of Object.values(this.listeners)) n += (list as unknown[]).length;
    return n;
  }

  clear(): void {
    for (const k of Object.keys(this.listeners)) delete this.listeners[k as RelayEventName];
  }
}
