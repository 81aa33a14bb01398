/**
 * @module
 * Provider options: where an upstream is and how to reach it. Defaults live in `DEFAULTS` (`options.ts`).
 */
import type { BreakerOptions, FailoverRules, RetryOptions, TimeoutOptions } from './policies.js';

/** An upstream API that speaks OpenAI's chat completions protocol. */
export interface OpenAIProviderConfig {
  type: 'openai';
  /** Base URL including the API version path, e.g. `https://api.deepseek.com/v1`. */
  baseURL: string;
  /** The provider key. Prefer `apiKeyEnv` so keys stay out of source. */
  apiKey?: string;
  /** Name of an environment variable holding the provider key, read once at `createRelay`. */
  apiKeyEnv?: string;
  /**
   * Extra headers sent upstream with every request (e.g. `OpenAI-Organization`). Values
   * of headers whose names look like credentials (`authorization`, `cookie`, names with
   * `key`, `token`, `secret`, `auth`, `session`, `password`, ...) are secrets: the relay
   * redacts them wherever they could leak, as it does the key.
   */
  headers?: Record<string, string>;
  /**
   * Names of `headers` whose values are secrets although their names do not say so
   * (`['x-relay-pass']`). Each must be one of `headers`.
   * @default []
   * @example
   * ```ts
   * { type: 'openai', baseURL, headers: { 'x-tenant': 'acme', 'x-gateway': process.env.GATEWAY_PASS! }, secretHeaders: ['x-gateway'] }
   * ```
   */
  secretHeaders?: string[];
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
  /**
   * The provider also serves OpenAI's Responses API (`POST {baseURL}/responses`): a
   * Responses client's request goes to it natively, untranslated, so reasoning items,
   * encrypted reasoning and hosted tools survive. Without it Responses clients are
   * translated to chat completions for this provider.
   * @default false
   */
  responses?: boolean;
  /** Per-provider overrides of the global `breaker`. */
  breaker?: BreakerOptions;
  /** Per-provider failover rules. */
  rules?: FailoverRules;
  /** Optional active health checks that open or close this provider's breakers. Off by default. */
  healthCheck?: HealthCheckOptions;
}

/**
 * Anthropic's Messages API. A Messages client's request passes through natively; other
 * clients' requests, answers and streams are translated (docs/providers.md says what
 * cannot be).
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
