/**
 * @module
 * Attribute names: the OpenTelemetry GenAI semantic conventions where they say something,
 * `switchyard.*` for the rest. Values are bounded by configuration (model, target and
 * provider names), never taken from free text.
 */
import type { ResolvedProvider } from '../../config/resolved.js';

/** GenAI semantic conventions (and the general ones they use). */
export const GEN_AI = {
  operation: 'gen_ai.operation.name',
  provider: 'gen_ai.provider.name',
  requestModel: 'gen_ai.request.model',
  responseModel: 'gen_ai.response.model',
  maxTokens: 'gen_ai.request.max_tokens',
  temperature: 'gen_ai.request.temperature',
  inputTokens: 'gen_ai.usage.input_tokens',
  outputTokens: 'gen_ai.usage.output_tokens',
  finishReasons: 'gen_ai.response.finish_reasons',
  responseId: 'gen_ai.response.id',
  tokenType: 'gen_ai.token.type',
  inputMessages: 'gen_ai.input.messages',
  outputMessages: 'gen_ai.output.messages',
  errorType: 'error.type',
  serverAddress: 'server.address',
  serverPort: 'server.port',
  httpStatus: 'http.response.status_code',
} as const;

/** switchyard's own. */
export const SY = {
  requestId: 'switchyard.request_id',
  model: 'switchyard.model',
  chain: 'switchyard.chain',
  chainKind: 'switchyard.chain.kind',
  caller: 'switchyard.caller',
  stream: 'switchyard.stream',
  outcome: 'switchyard.outcome',
  servedBy: 'switchyard.served_by',
  position: 'switchyard.position',
  attempts: 'switchyard.attempts',
  failover: 'switchyard.failover',
  failovers: 'switchyard.failovers',
  cost: 'switchyard.cost_usd',
  cache: 'switchyard.cache',
  estimated: 'switchyard.usage.estimated',
  firstToken: 'switchyard.time_to_first_token_ms',
  provider: 'switchyard.provider',
  target: 'switchyard.target',
  attempt: 'switchyard.attempt',
  attemptOutcome: 'switchyard.attempt.outcome',
  attemptRole: 'switchyard.attempt.role',
  breaker: 'switchyard.breaker.state',
  detail: 'switchyard.attempt.detail',
  streamEnd: 'switchyard.stream.end',
} as const;

/** Well-known hosts whose `gen_ai.provider.name` is not their API's flavour. */
const HOSTS: [RegExp, string][] = [
  [/(^|\.)openai\.azure\.com$/, 'azure.ai.openai'],
  [/^api\.openai\.com$/, 'openai'],
  [/^api\.deepseek\.com$/, 'deepseek'],
  [/^api\.mistral\.ai$/, 'mistral_ai'],
  [/^api\.groq\.com$/, 'groq'],
  [/^api\.x\.ai$/, 'x_ai'],
  [/^api\.perplexity\.ai$/, 'perplexity'],
  [/^generativelanguage\.googleapis\.com$/, 'gcp.gemini'],
  [/(^|\.)aiplatform\.googleapis\.com$/, 'gcp.vertex_ai'],
];

type Identity = { name: string; address: string; port: number };
/** Per resolved provider (a configuration update makes new ones), so a URL is parsed once. */
const identities = new WeakMap<ResolvedProvider, Identity>();

/** Host, port and `gen_ai.provider.name` of a provider. */
export function providerIdentity(provider: ResolvedProvider): Identity {
  let id = identities.get(provider);
  if (!id) {
    const url = new URL(provider.origin);
    const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
    const known = HOSTS.find(([re]) => re.test(url.hostname));
    id = { name: known ? known[1] : provider.type, address: url.hostname, port };
    identities.set(provider, id);
  }
  return id;
}

/** The public model of a request, bounded: a per-request fallback list counts as its first name. */
export function publicModel(model: string): string {
  const comma = model.indexOf(',');
  return comma === -1 ? model : model.slice(0, comma);
}
