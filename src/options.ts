/**
 * @module
 * Public configuration types and their defaults. Every default lives in {@link DEFAULTS};
 * `resolveConfig()` in `config.ts` validates a {@link RelayConfig} once and fills them in.
 */
import type { FailureKind } from './errors/index.js';
import type { Store } from './store/store.js';
export type { FailoverAction, FailoverRules, RetryOptions, TimeoutOptions, BreakerOptions, StreamOptions, LimitOptions } from './options/policies.js';
export type { OpenAIProviderConfig, AnthropicProviderConfig, HealthCheckOptions } from './options/providers.js';
export type { AzureOpenAIProviderConfig, BedrockProviderConfig, GeminiProviderConfig, VertexProviderConfig } from './options/cloud.js';
export type { RateLimit, Budget, CallerOptions, CacheOptions } from './options/governance.js';
export type { TargetConfig, Price, Strategy, RoutingOptions, ModelConfig, ChainStep, ChainConfig } from './options/models.js';
import type { BreakerOptions, FailoverAction, FailoverRules, LimitOptions, RetryOptions, StreamOptions, TimeoutOptions } from './options/policies.js';
import type { AnthropicProviderConfig, OpenAIProviderConfig } from './options/providers.js';
import type { AzureOpenAIProviderConfig, BedrockProviderConfig, GeminiProviderConfig, VertexProviderConfig } from './options/cloud.js';

/** Any supported provider. */
export type ProviderConfig =
  | OpenAIProviderConfig
  | AnthropicProviderConfig
  | AzureOpenAIProviderConfig
  | BedrockProviderConfig
  | GeminiProviderConfig
  | VertexProviderConfig;

/** The provider types. */
export type ProviderType = ProviderConfig['type'];
import type { CacheOptions, CallerOptions } from './options/governance.js';
import type { ChainConfig, ModelConfig } from './options/models.js';
import type { AlertOptions, RequestLogOptions, TelemetryOptions } from './options/observe.js';
import type { RelayHooks } from './hooks/types.js';
import type { CompatOptions, GuardrailOptions } from './options/hooks.js';
export type { CompatOptions, GuardrailOptions, PiiGuardrail } from './options/hooks.js';

export type { AlertOptions, AlertWebhookOptions, RequestLogOptions, TelemetryOptions } from './options/observe.js';

/**
 * Everything `createRelay` accepts. Only `providers` and `models` are required.
 *
 * @example
 * ```ts
 * const relay = createRelay({
 *   providers: {
 *     primary: { type: 'openai', baseURL: 'https://api.openai.com/v1', apiKeyEnv: 'OPENAI_API_KEY' },
 *     backup: { type: 'openai', baseURL: 'https://api.deepseek.com/v1', apiKeyEnv: 'DEEPSEEK_API_KEY' },
 *   },
 *   models: {
 *     'gpt-4.1': { targets: [{ provider: 'primary', model: 'gpt-4.1' }, { provider: 'backup', model: 'deepseek-chat' }] },
 *   },
 * });
 * ```
 */
export interface RelayConfig {
  providers: Record<string, ProviderConfig>;
  models: Record<string, ModelConfig>;
  /** Named chains (tiers) over public models and targets. */
  chains?: Record<string, ChainConfig>;
  /** Request-level routing controls. */
  routing?: {
    /**
     * Honour a client's per-request fallbacks (`models: [...]` in the body, as OpenRouter
     * clients send). Only configured public models and chains can be named, never a URL.
     * @default true
     */
    requestFallbacks?: boolean;
    /**
     * Share of requests under the `latency` strategy that try a random target first, so a
     * recovered target is noticed again.
     * @default 0.05
     */
    exploration?: number;
  };
  /** Per-caller identity, limits and budget. */
  callers?: CallerOptions;
  /**
   * Where rate-limit buckets and budget spend live.
   * @default new MemoryStore()
   */
  store?: Store;
  /**
   * What to do when the store fails (a shared store unreachable): `allow` serves the
   * request unchecked, `deny` refuses it with 503.
   * @default { limits: 'allow', budgets: 'allow' }
   */
  onStoreError?: {
    limits?: 'allow' | 'deny';
    budgets?: 'allow' | 'deny';
    /**
     * Corrections the store refuses after an answer was served (a budget settled with the
     * real cost, tokens given back) never fail the request: they are reported as
     * `storeError` events and retried in the background, `attempts` more times, waiting
     * `baseDelayMs` doubled each time; after the last, `lost: true`.
     * @default { attempts: 4, baseDelayMs: 250 }
     */
    retry?: { attempts?: number; baseDelayMs?: number };
  };
  /** The response cache; off unless set (`true` for the defaults). */
  cache?: boolean | CacheOptions;
  retry?: RetryOptions;
  timeouts?: TimeoutOptions;
  breaker?: BreakerOptions;
  /** Global failover rules, over the default table. */
  rules?: FailoverRules;
  limits?: LimitOptions;
  stream?: StreamOptions;
  /** The host's hooks: shape requests and answers per target (see `RelayHooks`). */
  hooks?: RelayHooks;
  /**
   * Time budget of one hook call, in ms: a hook still running then fails the request
   * with `hook_failed`.
   * @default 1000
   */
  hooksTimeoutMs?: number;
  /** Parameter compatibility per model family (see `hooks/compat.ts`). */
  compat?: CompatOptions;
  /** Built-in guardrails. */
  guardrails?: GuardrailOptions;
  /** OpenTelemetry traces and metrics (on when `@opentelemetry/api` is there). */
  telemetry?: TelemetryOptions;
  /** The request log; on with its defaults when mounted (`requests: true` on the handler). */
  requestLog?: RequestLogOptions;
  /** Alerts: thresholds on error rate, failovers, latency, first token, spend and breakers. */
  alerts?: AlertOptions;
  /**
   * Clock in milliseconds, for tests of breakers and deadlines bookkeeping.
   * @default Date.now
   */
  now?: () => number;
  /**
   * Random source in [0, 1) for backoff jitter, for reproducible tests.
   * @default Math.random
   */
  random?: () => number;
}

/** The default of every setting, with its unit. */
export const DEFAULTS = {
  retry: {
    attempts: 2,
    baseDelayMs: 200, // .2 s
    maxDelayMs: 5_000, // 5 s
  },
  timeouts: {
    connectMs: 5_000, // 5 s
    firstByteMs: 30_000, // 30 s
    idleMs: 30_000, // 30 s
    firstTokenMs: 60_000, // 1 min
    bodyMs: 30_000, // 30 s
    totalMs: 120_000, // 2 min
  },
  breaker: {
    failureThreshold: 5,
    cooldownMs: 30_000, // 30 s
  },
  stream: {
    resume: false,
    heartbeatMs: 0, // off
  },
  limits: {
    maxBodyBytes: 10 * 1024 * 1024, // 10 MiB
    maxResponseBytes: 32 * 1024 * 1024, // 32 MiB
  },
  maxConnections: 128,
  routing: {
    strategy: 'ordered',
    requestFallbacks: true,
    exploration: 0.05,
    waitForRecoveryMs: 0, // off
    /** Weight of the newest sample in the latency EWMA. */
    ewmaAlpha: 0.3,
  },
  cache: {
    maxEntries: 1000,
    maxBytes: 64 * 1024 * 1024, // 64 MiB
    ttlMs: 600_000, // 10 min
  },
  /** Output tokens assumed for a cost estimate when a request sets no `max_tokens`. */
  typicalOutputTokens: 500,
  healthCheck: {
    path: '/models',
    timeoutMs: 5_000, // 5 s
  },
  anthropic: {
    baseURL: 'https://api.anthropic.com/v1',
    version: '2023-06-01',
    maxTokens: 4096,
  },
  azure: {
    apiVersion: 'v1',
  },
  bedrock: {
    /** The `anthropic_version` Claude on Bedrock expects in the body. */
    anthropicVersion: 'bedrock-2023-05-31',
    claude: 'invoke',
  },
  gemini: {
    baseURL: 'https://generativelanguage.googleapis.com/v1beta',
  },
  vertex: {
    /** The `anthropic_version` Claude on Vertex expects in the body. */
    anthropicVersion: 'vertex-2023-10-16',
  },
  /** Credentials that expire (AWS temporary keys, OAuth and Entra ID tokens). */
  credentials: {
    /** Refresh this long before expiry (at most half the remaining lifetime). */
    refreshMarginMs: 300_000, // 5 min
    /** Lifetime assumed for a token returned without an expiry. */
    tokenTtlMs: 60_000, // 1 min
    /** A credential fetch slower than this fails the attempts waiting for it. */
    timeoutMs: 10_000, // 10 s
  },
  hooksTimeoutMs: 1_000, // 1 s
  /** Seconds suggested to a client by `Retry-After` when no upstream said. */
  retryAfterSeconds: 1,
  telemetry: {
    traces: true,
    metrics: true,
    captureContent: false,
    propagate: false,
  },
  requestLog: {
    size: 500,
    prompts: false,
  },
  alerts: {
    evaluateEveryMs: 5_000, // 5 s
    windowMs: 300_000, // 5 min
    forMs: 0,
    minRequests: 10,
    webhook: {
      timeoutMs: 5_000, // 5 s
      attempts: 4,
      baseDelayMs: 1_000, // 1 s
    },
  },
  /** JSON-lines file sink of the request log. */
  fileSink: {
    maxBytes: 64 * 1024 * 1024, // 64 MiB
    maxAgeMs: 86_400_000, // 1 day
    keep: 7,
  },
  /** Store corrections after an answer (budget settlements, tokens given back) that failed. */
  settleRetry: {
    attempts: 4, // retries after the first try
    baseDelayMs: 250, // .25 s, doubled each retry
  },
  /** Values (`Store.putValue`) the in-memory store keeps. */
  store: {
    maxValues: 10_000,
    maxValueBytes: 64 * 1024 * 1024, // 64 MiB
  },
  /** Stored Responses (`previous_response_id`, `GET /responses/{id}`). */
  responses: {
    ttlMs: 86_400_000, // 1 day
    maxRecordBytes: 8 * 1024 * 1024, // 8 MiB: one turn's input and output
  },
} as const;

/**
 * The default failover table (see the README). Statuses map to kinds in
 * `policy/classify.ts`; the action of each kind is here.
 */
export const DEFAULT_RULES: Readonly<Record<FailureKind, FailoverAction>> = {
  connect: 'retry',
  reset: 'retry',
  // A silent target mostly stays silent: retrying it doubles the wait before the next one.
  timeout: 'fallback',
  server: 'retry',
  bad_response: 'retry',
  rate_limit: 'fallback',
  auth: 'fallback',
  // A larger context window elsewhere may fit the prompt.
  context_length: 'fallback',
  // The configured model does not exist there: another target may serve.
  target_misconfigured: 'fallback',
  // Never sent: the target cannot take this request; another may.
  unsupported: 'fallback',
  bad_request: 'return',
  content_policy: 'return',
};
