/**
 * @module
 * Typed relay events. `on()` returns the function that unsubscribes. Payloads are
 * built only when someone listens, hold no keys and no prompt text, and a listener
 * that throws never breaks a request.
 */
import type { FormatName } from './formats/names.js';
import type { BreakerState } from './policy/breaker.js';
import type { AttemptRecord, FailureKind, SwitchyardErrorCode } from './errors/index.js';
import type { AlertEvent } from './observe/alerts/types.js';
import type { RequestRecord } from './observe/request-log/record.js';

/** Fields every request-scoped event carries. */
export interface RequestEventBase {
  /** The `x-switchyard-request-id` of the client request. */
  requestId: string;
  /** The public model the client asked for. */
  model: string;
}

/** What the answer said about itself (never its content). */
export interface ResponseInfo {
  /** The completion's `id`. */
  id?: string;
  /** The model the upstream says answered. */
  model?: string;
  /** One `finish_reason` per choice that finished. */
  finishReasons?: string[];
}

/** Payload of each event, by name. */
export interface RelayEventMap {
  /**
   * A request was accepted and is about to be routed. Emitted synchronously inside
   * `relay.handle()`, so a listener runs in the caller's async context (its
   * `context.active()` is the host's HTTP span). Every `request` is followed by exactly one
   * `complete`, `error` or `abandoned` with the same `requestId`.
   */
  request: RequestEventBase & {
    /** The operation: `chat` (every generative API) or `embeddings`. */
    endpoint: 'chat' | 'embeddings';
    /** The API the client speaks: `chat`, `responses`, `messages` or `embeddings`. */
    format: FormatName;
    /** The `model` field of the body, as the client sent it. */
    requested: string;
    /** Whether `model` named a public model or a chain (per-request fallbacks count as a chain). */
    kind: 'model' | 'chain';
    /** Target ids (`provider/model`) in configured order: a target's index is its position in the chain. */
    targets: string[];
    stream: boolean;
    /** The caller key (`callers.key`), when there is one. */
    caller?: string;
    maxTokens?: number;
    temperature?: number;
    /** When it started, on the relay's clock (`now`). */
    at: number;
  };
  /** An upstream attempt ended (successfully or not; `cancelled` when a hedge lost or the client left). */
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
    /** Parameters the relay changed for this target (`compat`, the target's `params`): `a→b` renamed, `-a` dropped, `=a` set. */
    adapted?: string[];
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
    /** Served stale from the cache after every target failed (`cached` is true too). */
    stale?: boolean;
    /** Streams: ms from the request's start until the first content was ready to send. */
    firstTokenMs?: number;
    /** Id, model and finish reasons the answer reported. */
    response?: ResponseInfo;
  };
  /** A stream's client went away after the stream started: it ended unfinished, not failed. */
  abandoned: RequestEventBase & {
    provider: string;
    upstreamModel: string;
    stream: true;
    attempts: number;
    latencyMs: number;
    firstTokenMs?: number;
    /** Tokens spent until the client left (estimated unless the upstream reported them). */
    usage?: { prompt_tokens: number; completion_tokens: number; estimated?: boolean };
    costUsd?: number;
    response?: ResponseInfo;
  };
  /**
   * Prompt and completion content. Emitted only when the host opted in
   * (`telemetry.captureContent` or `requestLog.prompts`): no other event holds it.
   * `input` comes with the start of a request, `output` with its end.
   */
  content: RequestEventBase & { input?: unknown[]; output?: string };
  /** A request finished: its whole record, as the request log keeps it (see `requestLog`). */
  requestEnd: RequestRecord;
  /** An alert started or stopped firing (see `alerts`). */
  alert: AlertEvent;
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
  /** A request ended in an error the client sees (stream interruptions included). */
  error: RequestEventBase & {
    code: SwitchyardErrorCode;
    status: number;
    attempts: AttemptRecord[];
    latencyMs: number;
    /** Interrupted streams: the target that was streaming. */
    provider?: string;
    upstreamModel?: string;
    firstTokenMs?: number;
    /** Interrupted streams: what was spent until the break (estimated unless reported) and its cost. */
    usage?: { prompt_tokens: number; completion_tokens: number; estimated?: boolean };
    costUsd?: number;
  };
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
