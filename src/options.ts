/**
 * @module
 * Public configuration types and their defaults. Every default lives in {@link DEFAULTS};
 * `resolveConfig()` in `config.ts` validates a {@link RelayConfig} once and fills them in.
 */
import type { IncomingMessage } from 'node:http';
import type { FailureKind } from './errors.js';
import type { Store } from './store/store.js';
import type { AlertOptions, RequestLogOptions, TelemetryOptions } from './observe/options.js';

export type { AlertOptions, AlertWebhookOptions, RequestLogOptions, TelemetryOptions } from './observe/options.js';

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
   * stream. The final chunk then carries `switchyard: { resumed: true, targets }`.
   * Streams with tool calls or several choices are never resumed.
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

/** An upstream API that speaks OpenAI's chat completions protocol. */
export interface OpenAIProviderConfig {
  type: 'openai';
  /** Base URL including the API version path, e.g. `https://api.deepseek.com/v1`. */
  baseURL: string;
  /** The provider key. Prefer `apiKeyEnv` so keys stay out of source. */
  apiKey?: string;
  /** Name of an environment variable holding the provider key, read once at `createRelay`. */
  apiKeyEnv?: string;
  /** Extra headers sent upstream with every request (e.g. `OpenAI-Organization`). */
  headers?: Record<string, string>;
  /**
   * Keep-alive connections to this provider.
   * @default 128
   */
  maxConnections?: number;
  /** Per-provider overrides of the global `retry`. */
  retry?: RetryOptions;
  /** Per-provider overrides of `connectMs`, `firstByteMs`, `idleMs` and `firstTokenMs`. */
  timeouts?: Omit<TimeoutOptions, 'totalMs' | 'bodyMs'>;
  /**
   * Ask for usage in streams (`stream_options.include_usage`) so cost can be counted;
   * the usage chunk is stripped again when the client did not ask for it. Turn off for
   * OpenAI-compatible servers that reject `stream_options`.
   * @default true
   */
  streamUsage?: boolean;
  /** Per-provider overrides of the global `breaker`. */
  breaker?: BreakerOptions;
  /** Per-provider failover rules. */
  rules?: FailoverRules;
  /** Optional active health checks that open or close this provider's breakers. Off by default. */
  healthCheck?: HealthCheckOptions;
}

/**
 * Anthropic's Messages API. Clients still speak OpenAI's format; the relay translates
 * requests, answers and streams (see the README for what cannot be translated).
 */
export interface AnthropicProviderConfig extends Omit<OpenAIProviderConfig, 'type' | 'baseURL'> {
  type: 'anthropic';
  /**
   * Base URL including the version path.
   * @default 'https://api.anthropic.com/v1'
   */
  baseURL?: string;
  /**
   * The `anthropic-version` header.
   * @default '2023-06-01'
   */
  anthropicVersion?: string;
  /**
   * `max_tokens` sent when the client set neither `max_tokens` nor
   * `max_completion_tokens` (Anthropic requires it).
   * @default 4096
   */
  maxTokens?: number;
}

/** Any supported provider. */
export type ProviderConfig = OpenAIProviderConfig | AnthropicProviderConfig;

/** One place a public model can be served from. */
export interface TargetConfig {
  /** Name of an entry in `providers`. */
  provider: string;
  /** The provider's own model id, sent upstream in place of the public name. */
  model: string;
  /** Per-target retry overrides. */
  retry?: RetryOptions;
  /** Per-target failover rules (win over provider and global rules). */
  rules?: FailoverRules;
  /**
   * Share of traffic under the `weighted` strategy (relative to the other targets).
   * @default 1
   */
  weight?: number;
  /**
   * Abandon an attempt on this target that has not produced its first byte (for streams:
   * its first content) within this many ms, and move on to the next target.
   */
  maxLatencyMs?: number;
  /** Context window in tokens: a prompt that cannot fit skips this target. */
  contextWindow?: number;
  /** Price in US dollars per million tokens; defaults come from the built-in table (see `pricing.ts`). */
  price?: Price;
  /** Limits below the provider's own: a target over them is skipped like an open breaker. */
  rateLimit?: RateLimit;
  /** Spending cap of this target: over it, the target is skipped. */
  budget?: Budget;
}

/**
 * Requests and tokens per minute, as token buckets refilled evenly over a minute. Tokens
 * are estimated before the call (prompt) and corrected with the real usage after it.
 */
export interface RateLimit {
  requestsPerMinute?: number;
  tokensPerMinute?: number;
}

/**
 * A spending cap in US$ over a calendar period (UTC). The estimated cost is reserved
 * before a call and settled with the real usage after it, so concurrent requests cannot
 * overshoot the cap by more than their estimates' error.
 */
export interface Budget {
  usd: number;
  period: 'day' | 'month';
}

/** Who is calling, and what each caller may do. */
export interface CallerOptions {
  /**
   * The caller's identity, from the host's own auth (a user id, an API key's id, a
   * tenant). Requests without one are not limited per caller. Use an id, not a secret:
   * it appears in `rateLimited` and `budgetExceeded` events.
   */
  key: (req: IncomingMessage) => string | undefined;
  /** Per-caller limits: over them the client gets 429 with `Retry-After` and `x-ratelimit-*` headers. */
  rateLimit?: RateLimit;
  /** Per-caller spending cap: over it the client gets 402 naming the budget. */
  budget?: Budget;
}

/** The exact-match response cache for non-streaming requests. */
export interface CacheOptions {
  /**
   * Cache requests whatever their `temperature`. By default only deterministic ones
   * (`temperature: 0`) are cached.
   * @default false
   */
  anyTemperature?: boolean;
  /** @default 1000 */
  maxEntries?: number;
  /** @default 67108864 (64 MiB) */
  maxBytes?: number;
  /** @default 600000 (10 min) */
  ttlMs?: number;
  /**
   * When every target failed, answer from the cache (marked `x-switchyard-cache: stale`)
   * if the same request was answered before, however old the entry.
   * @default false
   */
  staleIfError?: boolean;
}

/** US dollars per million tokens. */
export interface Price {
  input: number;
  output: number;
}

/**
 * How a model or chain picks which target goes first.
 * - `ordered`: the configured order (first healthy target first).
 * - `weighted`: a random order drawn by `weight`, open breakers last.
 * - `latency`: lowest recent time to first byte first (EWMA), exploring now and then.
 * - `cost`: cheapest first by price, among targets whose context window fits.
 * - `least-busy`: fewest requests in flight first.
 */
export type Strategy = 'ordered' | 'weighted' | 'latency' | 'cost' | 'least-busy';

/** Routing settings shared by models and chains. */
export interface RoutingOptions {
  /**
   * Which target goes first.
   * @default 'ordered'
   */
  strategy?: Strategy;
  /**
   * Hedged requests: if the first target has not produced its first byte after `afterMs`
   * (a number, or `'p95'` of its recent latency), start the next target too; the first to
   * answer wins and the other is aborted. Costs the extra upstream calls it starts.
   */
  hedge?: { afterMs: number | 'p95' };
  /**
   * When every target's breaker is open, wait up to this long for the first one to let a
   * probe through instead of failing at once (bounded by the request deadline). 0: off.
   * @default 0
   */
  waitForRecoveryMs?: number;
}

/** A public model name and its ordered targets: the first is primary, the rest fallbacks. */
export interface ModelConfig extends RoutingOptions {
  targets: TargetConfig[];
  /** Spending cap of this public model, over all its targets: over it, requests get 402. */
  budget?: Budget;
}

/** One step of a chain: a public model's name (all its targets) or a single target. */
export type ChainStep = string | TargetConfig;

/**
 * A named chain (tier): an ordered list of public models or targets. A chain name is a
 * valid `model`, and the header `x-switchyard-chain` picks one too.
 */
export type ChainConfig = ChainStep[] | (RoutingOptions & { targets: ChainStep[] });

/** Active health checks of one provider. */
export interface HealthCheckOptions {
  /** Probe every this many ms. */
  intervalMs: number;
  /**
   * Path below the provider's base URL, fetched with GET.
   * @default '/models'
   */
  path?: string;
  /**
   * A probe slower than this fails.
   * @default 5000
   */
  timeoutMs?: number;
}

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
  onStoreError?: { limits?: 'allow' | 'deny'; budgets?: 'allow' | 'deny' };
  /** The response cache; off unless set (`true` for the defaults). */
  cache?: boolean | CacheOptions;
  retry?: RetryOptions;
  timeouts?: TimeoutOptions;
  breaker?: BreakerOptions;
  /** Global failover rules, over the default table. */
  rules?: FailoverRules;
  limits?: LimitOptions;
  stream?: StreamOptions;
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
} as const;

/**
 * The default failover table (see the README). Statuses map to kinds in
 * `policy/classify.ts`; the action of each kind is here.
 */
export const DEFAULT_RULES: Readonly<Record<FailureKind, FailoverAction>> = {
  connect: 'retry',
  reset: 'retry',
  timeout: 'retry',
  server: 'retry',
  bad_response: 'retry',
  rate_limit: 'fallback',
  auth: 'fallback',
  // A larger context window elsewhere may fit the prompt.
  context_length: 'fallback',
  bad_request: 'return',
  content_policy: 'return',
};
