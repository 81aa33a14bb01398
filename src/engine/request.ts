/**
 * @module
 * One request from start to finish: validate, pick the model or chain, measure the
 * prompt, admit it against the caller's limits and budgets, answer from the cache, run
 * the failover chain under the overall deadline, then settle what it cost. Streams are
 * handed back once committed and settled when they end. Whatever happens, the ledger is
 * settled or released exactly once.
 */
import type { ResolvedTarget } from '../config/resolved.js';
import {
  ClientClosedError,
  DeadlineExceededError,
  InvalidRequestError,
  RelayClosedError,
  isSwitchyardError,
  type AttemptRecord,
} from '../errors/index.js';
import { Ledger } from '../governance/ledger.js';
import { abortAfter } from '../policy/timeout.js';
import type { RelayMeta, RelayRequest, RelayResult } from '../relay-types.js';
import { selectModel } from '../routing/select.js';
import { measurePrompt, promptTokens } from '../tokens/estimate.js';
import { runChain, type ChainSuccess } from './chain.js';
import { clientRequest, fromChat, keepResponse } from './client-request.js';
import { Report, totalCost, type Spent } from './report.js';
import { completionText, redactKeys } from '../observe/content.js';
import type { RequestHost } from './host.js';
import type { ChainRequest } from './runtime.js';

export type { RequestHost } from './host.js';
import { streamAnswer } from './stream-answer.js';


function withoutModels<T extends Record<string, unknown>>(body: T): T {
  const { models: _, ...rest } = body;
  return rest as T;
}

/** `provider/model` of each target that was skipped or failed, in order, the server excluded. */
function fallbacksBefore(attempts: AttemptRecord[], served: ResolvedTarget): string[] {
  const out = new Set<string>();
  for (const a of attempts) {
    const id = `${a.provider}/${a.model}`;
    if (a.outcome !== 'ok' && a.outcome !== 'cancelled' && id !== served.id) out.add(id);
  }
  return [...out];
}



const numberOr = (value: unknown) => (typeof value === 'number' ? value : undefined);

/** Runs one request; see {@link Relay.handle}. */
export async function runRequest(host: RequestHost, request: RelayRequest): Promise<RelayResult> {
  if (host.closed) throw new RelayClosedError();
  const { config, events } = host;
  const format = request.format ?? 'chat';
  const client = await clientRequest(format, request.body, request.headers ?? {}, host.responses);
  const { endpoint, stream } = client;
  const model = selectModel(config, client.request as { model: string; models?: unknown }, request.chain);
  if (endpoint === 'embeddings' && !model.targets.some((t) => host.runtime.adapter(t).embeddingsRequest)) {
    throw new InvalidRequestError(`The model \`${model.name}\` does not support embeddings.`, 'model');
  }
  const requestId = request.requestId ?? crypto.randomUUID();
  const { now, totalMs } = config;
  const started = now();
  const attempts: AttemptRecord[] = [];
  const body = client.body;
  const messages = endpoint === 'chat' ? (body as { messages?: unknown[] }).messages : undefined;
  // In the caller's async context: a tracer's active span is the host's request span.
  const report = new Report(events, {
    requestId, model, endpoint, requested: client.request.model, caller: request.caller, stream, started, now, attempts,
    maxTokens: numberOr(body.max_completion_tokens ?? body.max_tokens), temperature: numberOr(body.temperature),
    messages: config.requestLog?.prompts && messages ? (JSON.parse(redactKeys(JSON.stringify(messages), [])) as unknown[]) : undefined,
  });
  if (config.content) report.content({ input: messages });
  const failed = (err: unknown) => report.failed(err);

  // The caller's own controller when it gave one; else ours, linked to its signal.
  const controller = request.controller ?? new AbortController();
  const parent = request.controller ? undefined : request.signal;
  if (parent?.aborted || controller.signal.aborted) throw failed(new ClientClosedError());
  const estimate = measurePrompt(body);
  // Limits and budgets run only when some are configured.
  const ledger = host.ledger ? new Ledger(host.ledger, requestId, model, request.caller, estimate) : undefined;
  if (ledger) {
    await ledger.admit().catch((err: unknown) => Promise.reject(failed(err)));
    // The client may have left while the store answered: nothing it held stays held.
    if (parent?.aborted || controller.signal.aborted) {
      ledger.release();
      throw failed(new ClientClosedError());
    }
  }
  const metaOf = (provider: string, upstreamModel: string, target?: ResolvedTarget): RelayMeta => ({
    requestId,
    model: client.request.model,
    provider,
    upstreamModel,
    attempts,
    chain: model.name,
    strategy: model.strategy,
    fallbacks: target ? fallbacksBefore(attempts, target) : [],
    headers: ledger?.headers,
  });
  const cacheKey = !stream && host.cache ? host.cache.key(format, model.name, client.request) : undefined;
  if (cacheKey !== undefined) {
    const hit = host.cache!.get(cacheKey);
    if (hit) {
      ledger?.release();
      report.cached(hit.provider, hit.upstreamModel);
      return { stream: false, meta: { ...metaOf(hit.provider, hit.upstreamModel), cache: 'hit' }, body: hit.body };
    }
  }

  const onAbort = () => controller.abort(new ClientClosedError());
  parent?.addEventListener('abort', onAbort, { once: true });
  const clearDeadline = abortAfter(controller, totalMs, () => new DeadlineExceededError(totalMs));
  host.inflight.add(controller);
  const release = () => {
    clearDeadline();
    parent?.removeEventListener('abort', onAbort);
    host.inflight.delete(controller);
  };

  const chain: ChainRequest = {
    requestId,
    model,
    endpoint,
    // A per-request fallback list is for the relay, not for the upstream.
    body: 'models' in body ? withoutModels(body) : body,
    raw: 'models' in body || client.plan ? undefined : request.rawBody,
    plan: client.plan,
    stream,
    signal: controller.signal,
    deadlineAt: started + totalMs,
    attempts,
    estimate,
    ledger,
  };
  let success: ChainSuccess;
  try {
    success = await runChain(host.runtime, chain);
  } catch (err) {
    release();
    ledger?.release();
    const stale = cacheKey !== undefined && !(err instanceof ClientClosedError) ? host.cache!.stale(cacheKey) : undefined;
    if (stale) {
      report.cached(stale.provider, stale.upstreamModel, true);
      return { stream: false, meta: { ...metaOf(stale.provider, stale.upstreamModel), cache: 'stale' }, body: stale.body };
    }
    throw failed(err);
  }
  const { target } = success;
  const meta = metaOf(target.provider.name, target.model, target);

  if (!success.stream) {
    release();
    // An answer without usage still cost something: its prompt, and about a token per 4 bytes.
    const usage: Spent = success.usage ?? { prompt_tokens: promptTokens(estimate, target), completion_tokens: Math.ceil(success.body.length / 4), estimated: true };
    const served = [{ target, usage }];
    const costUsd = ledger ? ledger.settle(served) : totalCost(served);
    if (config.content) report.content({ output: completionText(success.body) });
    // A native answer is already in the client's format; a translated one becomes it.
    const answer = success.native ? success.body : fromChat(client, success.body, model.name);
    await keepResponse(client, host.responses, client.plan ? JSON.parse(answer.toString('utf8')) : undefined, success.native ? target.provider.name : undefined).catch(() => {});
    if (cacheKey !== undefined) {
      host.cache!.set(cacheKey, { body: answer, provider: meta.provider, upstreamModel: meta.upstreamModel, usage: success.usage });
      meta.cache = 'miss';
    }
    if (costUsd !== undefined) meta.costUsd = costUsd;
    report.complete({ served, costUsd, response: success.info });
    return { stream: false, meta, body: answer };
  }

  // A stream that has started is bounded by the idle timeout, not the overall deadline.
  clearDeadline();
  const chunks = streamAnswer(host, { client, chain, success, report, release, ledger, firstTokenMs: now() - started, model: model.name });
  return { stream: true, meta, chunks };
}
