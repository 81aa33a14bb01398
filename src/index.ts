/**
 * @module
 * switchyard: an embeddable LLM relay. `createRelay()` builds the failover engine;
 * mount it with `relay.nodeHandler()` or an adapter (`switchyard/express`, ...).
 */
export { createRelay, Relay } from './relay/relay.js';
export type { RelayRequest, RelayResult, RelayMeta, ChatCompletion, ChatCompletionChunk, EmbeddingList, CallOptions, TargetStatus } from './relay/relay.js';
export type {
  RelayConfig,
  ProviderConfig,
  OpenAIProviderConfig,
  AnthropicProviderConfig,
  ModelConfig,
  TargetConfig,
  RetryOptions,
  TimeoutOptions,
  BreakerOptions,
  LimitOptions,
  FailoverRules,
  FailoverAction,
} from './options.js';
export { DEFAULTS, DEFAULT_RULES } from './options.js';
export type {
  AzureOpenAIProviderConfig,
  BedrockProviderConfig,
  GeminiProviderConfig,
  VertexProviderConfig,
  AwsCredentials,
  AwsCredentialsInput,
  TokenFunction,
  TokenResult,
  TokenCredentialLike,
} from './options/cloud.js';
export { claudeOnCloud, bedrockClaudeEvents, isBedrockClaude, isVertexClaude } from './providers/claude-cloud.js';
export {
  SwitchyardError,
  isSwitchyardError,
  InvalidConfigError,
  InvalidRequestError,
  ModelNotFoundError,
  RouteNotFoundError,
  BodyTooLargeError,
  AllTargetsFailedError,
  RateLimitedError,
  NoTargetAvailableError,
  DeadlineExceededError,
  UpstreamRejectedError,
  StreamInterruptedError,
  ClientClosedError,
  RelayClosedError,
  toErrorResponse,
} from './errors/index.js';
export type { SwitchyardErrorCode, FailureKind, AttemptRecord, ErrorEnvelope, EnvelopeOptions } from './errors/index.js';
export type { RelayEventMap, RelayEventName, RelayListener } from './events.js';
export type { BreakerState, BreakerSnapshot } from './policy/breaker.js';
export type { NodeHandler, NodeHandlerOptions, EndpointOptions } from './http/node-handler.js';
export type { DebugOption } from './http/debug.js';
export { BODY_ROUTES, parserRejection, routeErrorResponse, sendRouteError, type Rejection } from './http/route-errors.js';
export { handleAdmin, handleChatCompletion, handleCountTokens, handleEmbeddings, handleEndpoint, handleMessages, handleModels, handleResponses, handleStoredResponse, operatorRoutes } from './http/node-handler.js';
export { sendError } from './http/respond.js';
export type { OperatorRoute } from './http/node-handler.js';
export type { StatsSnapshot, HealthSnapshot, TargetStats } from './observe/stats.js';
export type { Endpoint } from './providers/provider.js';
export type { RelayStream, StreamOutcome } from './stream/relay-stream.js';
export { MemoryStore } from './store/memory.js';
export type { Store, BucketState, BudgetState, Awaitable, BreakerTransition, BreakerSubscriber, ProbeClaim } from './store/store.js';
export { DEFAULT_PRICES, defaultPrice, priceOf, costOf } from './pricing.js';
export type { RateLimit, Budget, CallerOptions, CacheOptions, Strategy, RoutingOptions, ChainConfig, ChainStep, Price, HealthCheckOptions, StreamOptions } from './options.js';
export { CallerRateLimitedError, BudgetExceededError, StoreUnavailableError } from './errors/index.js';
export { loadConfigFile, watchConfigFile } from './config-file.js';
export type { WatchConfigFileOptions, ConfigFileWatcher } from './config-file.js';
export type { ResponseInfo } from './events.js';
export type { TelemetryOptions, RequestLogOptions, AlertOptions, AlertWebhookOptions, CompatOptions, GuardrailOptions, PiiGuardrail } from './options.js';
export type { RequestRecord, RecordAttempt, RecordStatus } from './observe/request-log/record.js';
export type { RequestLogSink } from './observe/request-log/sink.js';
export { JsonLinesFileSink } from './observe/request-log/file-sink.js';
export type { JsonLinesFileSinkOptions } from './observe/request-log/file-sink.js';
export type { RecordFilter } from './observe/request-log/log.js';
export type { AnalyticsSnapshot, ChainAnalytics } from './observe/request-log/analytics.js';
export type { AlertRule, AlertEvent, AlertMetric } from './observe/alerts/types.js';
export type { AlertEvaluator } from './observe/alerts/evaluator.js';
export type {
  RelayHooks,
  HookContext,
  HookTarget,
  HookAttempt,
  HookAnswer,
  HookEvent,
  HookReject,
  BeforeRequestResult,
  BeforeAttemptResult,
  AfterResponseResult,
  OnChunkResult,
} from './hooks/types.js';
export type { PiiKind } from './hooks/pii.js';
export type { ParamRules } from './hooks/compat.js';
export { findPii, maskPii } from './hooks/pii.js';
