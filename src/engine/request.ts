/**
 * @module
 * One request from start to finish: validate, pick the model or chain, measure the
 * prompt, admit it against the caller's limits and budgets, answer from the cache, run
 * the failover chain under the overall deadline, then settle what it cost. Streams are
 * handed back once committed and settled when they end. Whatever happens, the ledger is
 * settled or released exactly once.
 */
import type { ResolvedModel, ResolvedTarget } from '../config/resolved.js';
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
import { narrowedChain, selectModel } from '../routing/select.js';
import { measurePrompt, promptTokens } from '../tokens/estimate.js';
import { runChain, type ChainSuccess } from './chain.js';
import { clientRequest, fromChat, keepResponse, type ClientRequest } from './client-request.js';
import { RequestHooks } from './hooks.js';
import { Report, totalCost, type Spent } from './report.js';
import { completionText } from '../observe/content.js';
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
  const { config } = host;
  const format = request.format ?? 'chat';
  const headers = request.headers ?? {};
  let client = await clientRequest(format, request.body, headers, host.responses);
  const requestId = request.requestId ?? crypto.randomUUID();
  // The caller's own controller when it gave one; else ours, linked to its signal.
  const controller = request.controller ?? new AbortController();
  const parent = request.controller ? undefined : request.signal;
  const hooks = config.hooks || config.pii ? new RequestHooks(config, { format, body: client.request, model: client.request.model, caller: request.caller, headers, requestId }, parent ? AbortSignal.any([controller.signal, parent]) : controller.signal) : undefined;
  if (!hooks) return serve(host, request, { client, requestId, controller, parent });
  try {
    // The host's say before routing: a rewritten body is the client's again, validated as such.
    const change = await hooks.beforeRequest();
    if (change.body) client = await clientRequest(format, change.body, headers, host.responses);
    const model = change.models ? narrowedChain(config, change.models) : undefined;
    // A rewritten body is no longer the bytes the client sent.
    return await serve(host, change.body ? { ...request, rawBody: undefined } : request, { client, requestId, controller, parent, hooks, model });
  } catch (err) {
    hooks.onError(err);
    throw err;
  }
}

/** What {@link runRequest} settled before serving: the client's request, its id and abort wiring, its hooks. */
interface Prepared {
  client: ClientRequest;
  requestId: string;
  controller: AbortController;
  parent: AbortSignal | undefined;
  hooks?: RequestHooks;
  /** The chain a `beforeRequest` hook narrowed the request to. */
  model?: ResolvedModel;
}

async function serve(host: RequestHost, request: RelayRequest, prepared: Prepared): Promise<RelayResult> {
  const { config, events } = host;
  const { client, requestId, controller, parent, hooks } = prepared;
  const { format, endpoint, stream } = client;
  const model = prepared.model ?? selectModel(config, client.request as { model: string; models?: unknown }, request.chain);
  if (endpoint === 'embeddings' && !model.targets.some((t) => host.runtime.adapter(t).embeddingsRequest)) {
    throw new InvalidRequestError(`The model \`${model.name}\` does not support embeddings.`, 'model');
  }
  const { now, totalMs } = config;
  const started = now();
  const attempts: AttemptRecord[] = [];
  const body = client.body;
  const messages = endpoint === 'chat' ? (body as { messages?: unknown[] }).messages : undefined;
  // In the caller's async context: a tracer's active span is the host's request span.
  const report = new Report(events, {
    requestId, model, endpoint, format, requested: client.request.model, caller: request.caller, stream, started, now, attempts,
    maxTokens: numberOr(body.max_completion_tokens ?? body.max_tokens), temperature: numberOr(body.temperature),
    messages: config.requestLog?.prompts && messages ? (JSON.parse(config.redactor.message(JSON.stringify(messages))) as unknown[]) : undefined,
  });
  if (config.content) report.content({ input: messages });
  const failed = (err: unknown) => report.failed(err);

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
    hooks,
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
    let answer = success.native ? success.body : fromChat(client, success.body, model.name);
    if (hooks) {
      // The host's last word: it may replace the answer or refuse it (what it cost is spent either way).
      try {
        answer = await hooks.afterResponse(answer, target);
      } catch (err) {
        throw report.failed(err, { served, costUsd });
      }
    }
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
  const answered = streamAnswer(host, { client, chain, success, report, release, ledger, firstTokenMs: now() - started, model: model.name });
  const chunks = hooks ? hooks.guardStream(answered, format, target) : answered;
  return { stream: true, meta, chunks };
}
