/**
 * @module
 * What the engine needs from the relay for one request, passed down in the call: the
 * configuration, events, connection pools, breakers, statistics and drains (the
 * registry's), and the shared probe lock. The engine never reaches back into the relay.
 */
import type { RequestHooks } from './hooks.js';
import type { Pool } from 'undici';
import type { ResolvedConfig, ResolvedModel, ResolvedTarget } from '../config.js';
import type { AttemptRecord } from '../errors/index.js';
import type { RelayEvents } from '../events.js';
import type { Ledger } from '../governance/ledger.js';
import type { BreakerState, CircuitBreaker } from '../policy/breaker.js';
import type { ChatBody, EmbeddingsBody, Endpoint, NativeFormatName, ProviderAdapter } from '../providers/provider.js';
import type { NativeReading, Unsupported } from './attempt.js';
import type { TargetStats } from '../routing/stats.js';
import type { PromptEstimate } from '../tokens/estimate.js';

/** A claim on the single half-open probe of a target, shared by relay instances. */
export interface ProbeClaim {
  /** Gives the claim back at once (the probe was abandoned or said nothing). */
  release(): void;
}

export interface EngineRuntime {
  config: ResolvedConfig;
  events: RelayEvents;
  stats: TargetStats;
  pool(target: ResolvedTarget): Pool;
  adapter(target: ResolvedTarget): ProviderAdapter;
  breaker(target: ResolvedTarget): CircuitBreaker;
  /** Whether the target's provider is being drained (no new requests). */
  draining(target: ResolvedTarget): boolean;
  /**
   * With a shared store: claims the half-open probe of `target` for `ttlMs` (until its
   * verdict, at most the attempt's own time limit). Resolves with the claim, or with the
   * milliseconds another instance still holds it.
   */
  claimProbe?(target: ResolvedTarget, ttlMs: number): Promise<ProbeClaim | { heldMs: number }>;
  /**
   * Called just before each upstream attempt is sent (telemetry starts its span here);
   * returns extra headers for that request (`traceparent`), or undefined.
   */
  beforeAttempt?(info: AttemptStart): Record<string, string> | undefined;
}

/** What {@link EngineRuntime.beforeAttempt} is told about an attempt. */
export interface AttemptStart {
  requestId: string;
  target: ResolvedTarget;
  /** 1-based attempt number on this target. */
  attempt: number;
  cause: 'first' | 'retry' | 'hedge' | 'resume';
  /** `hedge` or `resume` for an attempt that is neither a first try nor a retry. */
  role?: 'hedge' | 'resume';
  breaker: BreakerState;
}

/**
 * A client format other than chat (Responses, Messages): targets that speak it get the
 * client's own request natively; the others get `ChainRequest.body`, its chat translation.
 */
export interface FormatPlan {
  format: NativeFormatName;
  /**
   * The client's request for a native target (a continued Responses conversation differs
   * by provider). Throws `UnsupportedFeature` when that target cannot take it.
   */
  native(target: ResolvedTarget): Record<string, unknown>;
  /** Why no translated target can take the request (a hosted tool, say), when none can. */
  untranslatable?: Unsupported;
  /** How to read the format's native answers. */
  reading: Omit<NativeReading, 'events'>;
  /** The client headers a native target receives (Messages: `anthropic-version`, `anthropic-beta`). */
  headers: Record<string, string>;
}

/** One client request as the engine sees it. */
export interface ChainRequest {
  requestId: string;
  model: ResolvedModel;
  endpoint: Endpoint;
  body: ChatBody | EmbeddingsBody;
  /**
   * The bytes `body` was parsed from, when the relay read them and `body` is the client's
   * own (chat, embeddings): a target that sends it as it came patches `model` into them.
   * Anything that changes `body` must drop them.
   */
  raw?: Buffer;
  /** The client's format, when it is not chat: native targets are sent its own request. */
  plan?: FormatPlan;
  /** The body for one target when it differs from `body` (a resumed stream's continuation). */
  bodyFor?: (target: ResolvedTarget) => ChatBody | EmbeddingsBody;
  stream: boolean;
  /** Aborts on client disconnect or deadline; its reason says which. */
  signal: AbortSignal;
  /** When the overall deadline passes (ms, on `config.now`'s clock). */
  deadlineAt: number;
  /** Filled in as attempts are made. */
  attempts: AttemptRecord[];
  /** The prompt, measured once. */
  estimate: PromptEstimate;
  /** Limits and budgets of this request, when any are configured. */
  ledger?: Ledger;
  /** This chain continues a stream that broke (its attempts are `resume`s). */
  resume?: boolean;
  /** The host's hooks for this request (`beforeAttempt` runs in the pipeline). */
  hooks?: RequestHooks;
}
