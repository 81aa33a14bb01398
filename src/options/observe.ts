/**
 * @module
 * Options of the relay's observability: OpenTelemetry, the request log and alerts. Part
 * of `RelayConfig` (re-exported from `options.ts`); their defaults live in `DEFAULTS`.
 */
import type { AlertRule } from '../observe/alerts/types.js';
import type { RequestLogSink } from '../observe/request-log/sink.js';

/**
 * OpenTelemetry, through the optional peer `@opentelemetry/api`: nothing happens when it
 * is not installed or the host registered no tracer or meter provider.
 */
export interface TelemetryOptions {
  /**
   * One span per request (a child of the active span: the host's HTTP span) and one per
   * upstream attempt, with the GenAI semantic conventions.
   * @default true
   */
  traces?: boolean;
  /**
   * The GenAI client metrics (`gen_ai.client.token.usage`, `gen_ai.client.operation.duration`,
   * `gen_ai.server.time_to_first_token`) through the OpenTelemetry metrics API.
   * @default true
   */
  metrics?: boolean;
  /**
   * Record prompts and completions on spans (`gen_ai.input.messages`,
   * `gen_ai.output.messages`), with provider keys redacted; also turns on `content` events.
   * @default false
   */
  captureContent?: boolean;
  /**
   * Send a W3C `traceparent` (and `tracestate`) with each upstream request, so an upstream
   * that traces joins the host's trace. Off because it tells the provider your trace ids.
   * @default false
   */
  propagate?: boolean;
}

/** The request log: a record per finished request, kept in memory and sent to sinks. */
export interface RequestLogOptions {
  /**
   * Records kept in memory for `GET {prefix}/requests` and the dashboard.
   * @default 500
   */
  size?: number;
  /** Where every record also goes, e.g. `new JsonLinesFileSink({ path })`. */
  sinks?: RequestLogSink[];
  /**
   * Keep the request's messages in each record. Off: records never hold prompt text.
   * @default false
   */
  prompts?: boolean;
}

/** Where alerts are posted as JSON (`{ alert: AlertEvent }`), besides the `alert` event. */
export interface AlertWebhookOptions {
  /** `http(s)://` URL. */
  url: string;
  /** Extra headers, e.g. an authorization for the receiver (never sent anywhere else). */
  headers?: Record<string, string>;
  /**
   * Per try.
   * @default 5000
   */
  timeoutMs?: number;
  /**
   * Tries in all (the first included); then the alert is dropped.
   * @default 4
   */
  attempts?: number;
  /**
   * Backoff before the n-th retry: `baseDelayMs * 2^(n-1)`.
   * @default 1000
   */
  baseDelayMs?: number;
}

/** Alert thresholds over the request log's numbers. */
export interface AlertOptions {
  rules: AlertRule[];
  /** Post each firing and resolution here; never waited for by requests. */
  webhook?: AlertWebhookOptions;
  /**
   * How often rules are evaluated.
   * @default 5000
   */
  evaluateEveryMs?: number;
}
