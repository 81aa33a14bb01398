/**
 * @module
 * One request from start to finish: validate, pick the model or chain, check the
 * caller's limits and budgets, answer from the cache, run the failover chain under the
 * overall deadline, then account for what it cost. Streams are handed back once committed
 * and settled when they end.
 */
import type { ResolvedConfig, ResolvedModel, ResolvedTarget } from './config.js';
import { forEvents, runChain, type ChainSuccess, type EngineRuntime } from './engine.js';
import {
  ClientClosedError,
  DeadlineExceededError,
  InvalidRequestError,
  RelayClosedError,
  isSwitchyardError,
  type AttemptRecord,
} from './errors.js';
import type { RelayEventMap, RelayEvents, ResponseInfo } from './events.js';
import type { InFlight } from './inflight.js';
import type { ResponseCache } from './governance/cache.js';
import { estimatePromptTokens, expectedOutput, type Guard, type Ticket } from './governance/guard.js';
import { abortAfter, linkedController } from './policy/timeout.js';
import { costOf as priceUsage, priceOf } from './pricing.js';
import { adapterFor } from './providers/index.js';
import type { ChatBody, EmbeddingsBody, Endpoint, Usage } from './providers/provider.js';
import type { RelayMeta, RelayRequest, RelayResult } from './relay.js';
import { validateChatBody, validateEmbeddingsBody } from './request.js';
import { completionText } from './observe/content.js';
import { selectModel } from './routing/select.js';
import { RelayStream, type StreamSegment } from './stream/relay-stream.js';

/** What a request borrows from its relay. */
export interface RequestHost {
  readonly config: ResolvedConfig;
  readonly events: RelayEvents;
  readonly runtime: EngineRuntime;
  readonly guard?: Guard;
  readonly cache?: ResponseCache;
  readonly inflight: InFlight;
  readonly closed: boolean;
}

/** What a continuation request asks of the next target after a stream broke (stream resume). */
const RESUME_PROMPT =
  'Your previous answer was cut off. Continue it exactly where it stopped, without repeating anything and without any preamble.';

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

/** Runs one request; see {@link Relay.handle}. */
export async function runRequest(host: RequestHost, request: RelayRequest): Promise<RelayResult> {
  if (host.closed) throw new RelayClosedError();
  const { config, events } = host;
  const endpoint: Endpoint = request.endpoint ?? 'chat';
  const body: ChatBody | EmbeddingsBody = endpoint === 'chat' ? validateChatBody(request.body) : validateEmbeddingsBody(request.body);
  const model = selectModel(config, body, request.chain);
  if (endpoint === 'embeddings' && !model.targets.some((t) => adapterFor(t.provider.type).embeddingsRequest)) {
    throw new InvalidRequestError(`The model \`${model.name}\` does not support embeddings.`, 'model');
  }
  const requestId = request.requestId ?? crypto.randomUUID();
  const stream = endpoint === 'chat' && body.stream === true;
  const { now, totalMs } = config;
  const started = now();
  const attempts: AttemptRecord[] = [];
  const failed = (err: unknown, streaming?: { provider: string; upstreamModel: string; firstTokenMs: number }) => {
    if (isSwitchyardError(err) && events.has('error')) {
      events.emit('error', { requestId, model: model.name, code: err.code, status: err.status, attempts: forEvents(attempts), latencyMs: now() - started, ...streaming });
    }
    return err;
  };
  // [observe] The start of the request, in the caller's async context.
  if (events.has('request')) events.emit('request', requestStart(requestId, model, endpoint, body, stream, request.caller, started));
  if (config.content && events.has('content')) events.emit('content', { requestId, model: model.name, input: endpoint === 'chat' ? (body as ChatBody).messages : undefined });

  // Limits and budgets run only when some are configured: otherwise nothing is estimated.
  const ticket: Ticket | undefined = host.guard
    ? await host.guard
        .admit(requestId, model, request.caller, estimatePromptTokens(body), expectedOutput(body))
        .catch((err: unknown) => Promise.reject(failed(err)))
    : undefined;
  const cacheKey = !stream && host.cache ? host.cache.key(endpoint, model.name, body) : undefined;
  const metaOf = (provider: string, upstreamModel: string, target?: ResolvedTarget): RelayMeta => ({
    requestId,
    model: body.model,
    provider,
    upstreamModel,
    attempts,
    chain: model.name,
    strategy: model.strategy,
    fallbacks: target ? fallbacksBefore(attempts, target) : [],
    headers: ticket?.headers,
  });
  if (cacheKey !== undefined) {
    const hit = host.cache!.get(cacheKey);
    if (hit) {
      if (ticket) await host.guard!.release(ticket);
      if (events.has('complete')) {
        events.emit('complete', {
          requestId, model: model.name, provider: hit.provider, upstreamModel: hit.upstreamModel,
          stream: false, attempts: 0, latencyMs: now() - started, cached: true,
        });
      }
      return { stream: false, meta: { ...metaOf(hit.provider, hit.upstreamModel), cache: 'hit' }, body: hit.body };
    }
  }

  // The caller's own controller when it gave one; else ours, linked to its signal.
  const controller = request.controller ?? new AbortController();
  const parent = request.controller ? undefined : request.signal;
  const onAbort = () => controller.abort(new ClientClosedError());
  if (parent?.aborted || controller.signal.aborted) throw failed(new ClientClosedError());
  parent?.addEventListener('abort', onAbort, { once: true });
  const clearDeadline = abortAfter(controller, totalMs, () => new DeadlineExceededError(totalMs));
  host.inflight.add(controller);
  const release = () => {
    clearDeadline();
    parent?.removeEventListener('abort', onAbort);
    host.inflight.delete(controller);
  };

  let success: ChainSuccess;
  try {
    success = await runChain(host.runtime, {
      requestId,
      model,
      endpoint,
      // A per-request fallback list is for the relay, not for the upstream.
      body: 'models' in body ? withoutModels(body) : body,
      stream,
      signal: controller.signal,
      deadlineAt: started + totalMs,
      attempts,
      gate: ticket ? (target) => host.guard!.gate(ticket, target) : undefined,
    });
  } catch (err) {
    release();
    if (ticket) await host.guard!.release(ticket);
    const stale = cacheKey !== undefined && !(err instanceof ClientClosedError) ? host.cache!.stale(cacheKey) : undefined;
    if (stale) {
      if (events.has('complete')) {
        events.emit('complete', {
          requestId, model: model.name, provider: stale.provider, upstreamModel: stale.upstreamModel,
          stream: false, attempts: attempts.filter((a) => a.outcome !== 'skipped').length, latencyMs: now() - started, cached: true, stale: true,
        });
      }
      return { stream: false, meta: { ...metaOf(stale.provider, stale.upstreamModel), cache: 'stale' }, body: stale.body };
    }
    throw failed(err);
  }
  const { target } = success;
  const meta = metaOf(target.provider.name, target.model, target);
  // [observe] streams: the first content is ready now.
  const firstTokenMs = success.stream ? now() - started : undefined;
  const complete = (streamed: boolean, usage: (Usage & { estimated?: boolean }) | undefined, costUsd: number | undefined, response?: ResponseInfo, end: 'complete' | 'abandoned' = 'complete', by = target) => {
    if (!events.has(end)) return;
    const payload = {
      requestId, model: model.name, provider: by.provider.name, upstreamModel: by.model,
      stream: streamed, attempts: attempts.filter((a) => a.outcome !== 'skipped').length, latencyMs: now() - started,
      usage, costUsd, firstTokenMs, response,
    };
    if (end === 'abandoned') events.emit('abandoned', { ...payload, stream: true });
    else events.emit('complete', payload);
  };

  if (!success.stream) {
    release();
    const costUsd = ticket ? await host.guard!.settle(ticket, target, success.usage) : costOf(target, success.usage);
    if (cacheKey !== undefined) {
      host.cache!.set(cacheKey, { body: success.body, provider: meta.provider, upstreamModel: meta.upstreamModel, usage: success.usage });
      meta.cache = 'miss';
    }
    if (costUsd !== undefined) meta.costUsd = costUsd;
    if (config.content && events.has('content')) events.emit('content', { requestId, model: model.name, output: completionText(success.body) });
    complete(false, success.usage, costUsd, success.info);
    return { stream: false, meta, body: success.body };
  }

  // A stream that has started is bounded by the idle timeout, not the overall deadline.
  clearDeadline();
  const chat = body as ChatBody;
  let usage: Usage | undefined;
  const promptEstimate = ticket?.promptTokens ?? 0;
  const chunks: RelayStream = new RelayStream(
    { committed: success.committed, target },
    {
      signal: controller.signal,
      attempts,
      keepUsage: (chat.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true,
      onUsage: (u) => {
        usage = { prompt_tokens: Number(u.prompt_tokens ?? 0), completion_tokens: Number(u.completion_tokens ?? 0) };
      },
      onBreak: (broken) => host.runtime.breaker(broken).failure(),
      trailer: () => {
        const served = chunks.targets.at(-1)!;
        const costUsd = costOf(served, usage);
        return costUsd === undefined ? undefined : { cost_usd: costUsd, usage };
      },
      collectText: config.content,
      resume: config.resume ? (delivered, broken) => resume(host, { requestId, model, body: chat, signal: controller.signal, attempts }, delivered, broken) : undefined,
      onEnd: (outcome, error) => {
        release();
        const served = chunks.targets.at(-1)!;
        // A stream that ended without reporting usage still cost something: estimate it.
        const spent: (Usage & { estimated?: boolean }) | undefined =
          usage ?? { prompt_tokens: promptEstimate, completion_tokens: Math.max(0, chunks.sent - 1), estimated: true };
        const settled = ticket ? host.guard!.settle(ticket, served, spent) : Promise.resolve(costOf(served, spent));
        void settled.then((costUsd) => {
          // [observe] the stream's own story: its end, its answer, what it said.
          if (config.content && events.has('content')) events.emit('content', { requestId, model: model.name, output: chunks.text });
          if (outcome === 'interrupted' && error) failed(error, { provider: served.provider.name, upstreamModel: served.model, firstTokenMs: firstTokenMs! });
          else complete(true, spent, costUsd, chunks.info(), outcome === 'complete' ? 'complete' : 'abandoned', served);
        });
      },
    },
  );
  return { stream: true, meta, chunks };
}

/** [observe] The `request` event's payload. */
function requestStart(requestId: string, model: ResolvedModel, endpoint: Endpoint, body: ChatBody | EmbeddingsBody, stream: boolean, caller: string | undefined, at: number): RelayEventMap['request'] {
  const e: RelayEventMap['request'] = {
    requestId, model: model.name, endpoint, requested: body.model, kind: model.kind, targets: model.targets.map((t) => t.id), stream, at,
  };
  if (caller !== undefined) e.caller = caller;
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  if (typeof maxTokens === 'number') e.maxTokens = maxTokens;
  if (typeof body.temperature === 'number') e.temperature = body.temperature;
  return e;
}

/** Cost in US$ of `usage` on `target`, when both are known. */
function costOf(target: ResolvedTarget, usage: Usage | undefined): number | undefined {
  const price = usage && priceOf(target);
  return price && usage ? priceUsage(price, usage.prompt_tokens, usage.completion_tokens) : undefined;
}

/**
 * Stream resume: runs the rest of the chain (without the target that broke) on a
 * request that carries the text already delivered, asking the model to go on from
 * there. Bounded by its own `totalMs` deadline; the client's disconnect still aborts it.
 */
async function resume(
  host: RequestHost,
  req: { requestId: string; model: ResolvedModel; body: ChatBody; signal: AbortSignal; attempts: AttemptRecord[] },
  delivered: string,
  broken: readonly ResolvedTarget[],
): Promise<StreamSegment> {
  const targets = req.model.targets.filter((t) => !broken.includes(t));
  if (targets.length === 0) throw new Error('no other target to resume on');
  const body: ChatBody = {
    ...req.body,
    messages: [...req.body.messages, { role: 'assistant', content: delivered }, { role: 'user', content: RESUME_PROMPT }],
  };
  const own = linkedController(req.signal);
  const { totalMs, now } = host.config;
  const clearDeadline = abortAfter(own.controller, totalMs, () => new DeadlineExceededError(totalMs));
  try {
    const success = await runChain(host.runtime, {
      requestId: req.requestId,
      model: { ...req.model, targets, hedge: undefined },
      endpoint: 'chat',
      body,
      stream: true,
      signal: own.signal,
      deadlineAt: now() + totalMs,
      attempts: req.attempts,
      role: 'resume',
    });
    if (!success.stream) throw new Error('unreachable: a resumed stream produced a JSON body');
    const dispose = success.committed.dispose;
    success.committed.dispose = () => {
      dispose?.();
      own.dispose();
    };
    return { committed: success.committed, target: success.target };
  } catch (err) {
    own.dispose();
    throw err;
  } finally {
    clearDeadline();
  }
}
