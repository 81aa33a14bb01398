/**
 * @module
 * The resolved configuration: what `resolveConfig()` makes of a {@link RelayConfig},
 * every default filled in. Its own module so the resolvers in `config/` and the code that
 * reads the result import it without importing each other.
 */
import type { IncomingMessage } from 'node:http';
import type { Budget, FailoverRules, Price, ProviderConfig, RateLimit, RelayConfig, Strategy } from '../options.js';
import type { Store } from '../store/store.js';
import type { ParamRules } from '../hooks/param-rules.js';
import type { PiiKind } from '../hooks/pii.js';
import type { RelayHooks } from '../hooks/types.js';
import type { AlertRule } from '../observe/alerts/types.js';
import type { RequestLogSink } from '../observe/request-log/sink.js';
import type { AlertWebhookOptions } from '../options.js';
import type { Redactor } from '../secrets/redactor.js';

export interface ResolvedRetry {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface ResolvedBreakerOptions {
  failureThreshold: number;
  cooldownMs: number;
}

export interface ResolvedProvider {
  name: string;
  type: ProviderConfig['type'];
  /** `scheme://host:port` of the upstream, the key of its connection pool. */
  origin: string;
  /** Path prefix of the API, without a trailing slash (`/v1`). */
  basePath: string;
  /**
   * Headers sent with every upstream request, authorization included. A function, so
   * no inspect, JSON or spread of a provider (or of anything holding one) shows them.
   */
  headers(): Readonly<Record<string, string>>;
  /** [secrets] The configuration's redactor (shared by all its providers): every secret the relay holds. */
  redactor: Redactor;
  /** Per-request credentials (a SigV4 signature, a refreshed token), added by the attempt. */
  auth?: ProviderAuth;
  /** Settings of the cloud provider types. */
  cloud?: CloudSettings;
  /** Anthropic and Claude on Bedrock or Vertex: `max_tokens` when the client sets none. */
  maxTokens: number;
  /** Ask for `stream_options.include_usage` in streams. */
  streamUsage: boolean;
  /** OpenAI-compatible: it also serves the Responses API natively. */
  responses: boolean;
  /** Active health checks, when configured. */
  healthCheck?: { intervalMs: number; path: string; timeoutMs: number };
  maxConnections: number;
  connectMs: number;
  /** Identity of the provider's connection pool: a changed origin or size means a new pool. */
  poolKey: string;
}

/**
 * A target as one public model or chain binds it: per-binding options (latency cap,
 * price, weight, retries, rules, limits, context window) are its own, while its `id`
 * (`provider/model`) names what bindings of the same upstream share: pool, breaker,
 * statistics and rate-limit buckets.
 */
export interface ResolvedTarget {
  /** `provider/model`: identity of the target's breaker, statistics and buckets. */
  id: string;
  provider: ResolvedProvider;
  model: string;
  retry: ResolvedRetry;
  firstByteMs: number;
  idleMs: number;
  firstTokenMs: number;
  breaker: ResolvedBreakerOptions;
  /** Rule layers, most specific first: target, provider, global. */
  rules: FailoverRules[];
  weight: number;
  maxLatencyMs?: number;
  contextWindow?: number;
  price?: Price;
  rateLimit?: RateLimit;
  budget?: Budget;
  /** Resume broken streams on this target by prefill. */
  prefill: boolean;
  /** Its own parameter rules (drop, set, rename). */
  params?: ParamRules;
}

/** A public model or a chain: what a request's `model` resolves to. */
export interface ResolvedModel {
  name: string;
  /**
   * The name events and metrics use: the model's or chain's name, or one constant for a
   * client's per-request fallback list, so a client cannot mint label values.
   */
  label: string;
  kind: 'model' | 'chain';
  targets: ResolvedTarget[];
  strategy: Strategy;
  hedge?: { afterMs: number | 'p95' };
  waitForRecoveryMs: number;
  budget?: Budget;
}

/** Callers, limits, budgets and the store, resolved. */
export interface ResolvedGovernance {
  callerKey?: (req: IncomingMessage) => string | undefined;
  callerLimit?: RateLimit;
  callerBudget?: Budget;
  store: Store;
  /** Whether the relay created the store (and so closes it). */
  ownStore: boolean;
  onStoreError: { limits: 'allow' | 'deny'; budgets: 'allow' | 'deny'; retry: { attempts: number; baseDelayMs: number } };
  /** Whether any limit or budget is configured anywhere: when not, none of this runs. */
  active: boolean;
}

export interface ResolvedCache {
  anyTemperature: boolean;
  maxEntries: number;
  maxBytes: number;
  ttlMs: number;
  staleIfError: boolean;
}

export interface ResolvedConfig {
  providers: Map<string, ResolvedProvider>;
  /** Public models and chains, by name. */
  models: Map<string, ResolvedModel>;
  requestFallbacks: boolean;
  exploration: number;
  governance: ResolvedGovernance;
  cache?: ResolvedCache;
  totalMs: number;
  bodyMs: number;
  maxBodyBytes: number;
  maxResponseBytes: number;
  resume: boolean;
  heartbeatMs: number;
  telemetry: ResolvedTelemetry;
  requestLog?: ResolvedRequestLog;
  alerts?: ResolvedAlerts;
  /** Whether the host opted in to prompt and completion content (`content` events). */
  content: boolean;
  hooks?: RelayHooks;
  hooksTimeoutMs: number;
  /** Map or drop parameters a target's model refuses. */
  compat: boolean;
  /** The PII guardrail, resolved. */
  pii?: { mode: 'mask' | 'block'; input: boolean; output: boolean; kinds: ReadonlySet<PiiKind> };
  /** [secrets] Every secret of every provider, for text that leaves the relay. */
  redactor: Redactor;
  now: () => number;
  random: () => number;
}

/** What the cloud adapters need besides the URL. */
export type CloudSettings =
  | { type: 'azure-openai'; apiVersion: string }
  | { type: 'bedrock'; region: string; claude: 'invoke' | 'converse' }
  | { type: 'gemini' }
  | { type: 'vertex'; project: string; location: string };

/** An upstream request as a signer sees it. */
export interface OutgoingRequest {
  method: string;
  /** `scheme://host[:port]`. */
  origin: string;
  /** Path and query, as sent. */
  path: string;
  /** The provider's static headers. */
  headers: Readonly<Record<string, string>>;
  body: string;
}

/** The per-request credentials of one provider. */
export interface ProviderAuth {
  /** Headers to add to `request`. Rejects (a `CredentialsError`) when none can be had. */
  headers(request: OutgoingRequest, signal: AbortSignal): Promise<Record<string, string>>;
  /** The upstream refused the credentials (401/403): fetch new ones next time. */
  invalidate(): void;
}

/** `telemetry`, resolved. */
export interface ResolvedTelemetry {
  traces: boolean;
  metrics: boolean;
  captureContent: boolean;
  propagate: boolean;
}

export interface ResolvedRequestLog {
  size: number;
  sinks: RequestLogSink[];
  prompts: boolean;
}

/**
 * `alerts.webhook`, resolved. Its URL and headers may carry the receiver's credentials
 * (a token in a Slack URL, an `authorization` header): behind a function, so no inspect
 * or JSON of the configuration shows them.
 */
export type ResolvedWebhook = Omit<Required<AlertWebhookOptions>, 'url' | 'headers'> & { target(): Pick<Required<AlertWebhookOptions>, 'url' | 'headers'> };

export type ResolvedAlertRule = Required<Omit<AlertRule, 'only'>> & { only?: string };

export interface ResolvedAlerts {
  rules: ResolvedAlertRule[];
  webhook?: ResolvedWebhook;
  evaluateEveryMs: number;
}
