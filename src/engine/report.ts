/**
 * @module
 * What one request tells its listeners: `complete` when it was answered, `error` when the
 * client got an error, and in every case, once, a `request` record of how it ended, who
 * served it and what it used and cost (a stream the client left still cost what was
 * sent). Payloads are built only when someone listens and never hold keys or prompts.
 */
import type { ResolvedModel } from '../config.js';
import { ClientClosedError, isSwitchyardError, type AttemptRecord, type SwitchyardErrorCode } from '../errors/index.js';
import type { RelayEventMap, RelayEvents } from '../events.js';
import type { Served } from '../governance/ledger.js';
import { costOf, priceOf } from '../pricing.js';
import type { Usage } from '../providers/provider.js';
import { forEvents, wasSent } from './records.js';

/** Token counts, marked when the relay estimated them (the upstream reported none). */
export type Spent = Usage & { estimated?: boolean };

/** How a request ended, as the `request` record says. */
export type RequestOutcome = RelayEventMap['request']['outcome'];

/** Total usage of the shares of an answer. */
export function totalUsage(served: readonly Served[]): Spent {
  const sum: Spent = { prompt_tokens: 0, completion_tokens: 0 };
  for (const s of served) {
    sum.prompt_tokens += s.usage.prompt_tokens;
    sum.completion_tokens += s.usage.completion_tokens;
    if ((s.usage as Spent).estimated) sum.estimated = true;
  }
  return sum;
}

/** Cost in US$ of the shares of an answer, when every serving target has a price. */
export function totalCost(served: readonly Served[]): number | undefined {
  let usd = 0;
  for (const s of served) {
    const price = priceOf(s.target);
    if (!price) return undefined;
    usd += costOf(price, s.usage.prompt_tokens, s.usage.completion_tokens);
  }
  return usd;
}

export class Report {
  private done = false;

  constructor(
    private readonly events: RelayEvents,
    private readonly base: { requestId: string; model: ResolvedModel; caller?: string; stream: boolean; started: number; now: () => number; attempts: AttemptRecord[] },
  ) {}

  private get latencyMs(): number {
    return this.base.now() - this.base.started;
  }

  /** Served from the response cache. */
  cached(provider: string, upstreamModel: string): void {
    const { events, base } = this;
    if (events.has('complete')) {
      events.emit('complete', { requestId: base.requestId, model: base.model.label, provider, upstreamModel, stream: false, attempts: 0, latencyMs: this.latencyMs, cached: true });
    }
    this.finish('complete', 200, [], undefined, { provider, upstreamModel, cached: true });
  }

  /** Answered (a stream: it ended properly), by `served`. */
  complete(served: readonly Served[], costUsd: number | undefined, droppedEvents = 0): void {
    const { events, base } = this;
    const last = served.at(-1)!.target;
    if (events.has('complete')) {
      events.emit('complete', {
        requestId: base.requestId, model: base.model.label, provider: last.provider.name, upstreamModel: last.model,
        stream: base.stream, attempts: base.attempts.filter(wasSent).length, latencyMs: this.latencyMs,
        usage: totalUsage(served), costUsd, ...(droppedEvents ? { droppedEvents } : {}),
      });
    }
    this.finish('complete', 200, served, costUsd);
  }

  /**
   * Failed with `err` (the client's error), or a stream that ended otherwise after
   * `served` had started it (`interrupted`, or `aborted` when the client left).
   */
  failed(err: unknown, served: readonly Served[] = [], costUsd?: number): unknown {
    const aborted = err instanceof ClientClosedError || (isSwitchyardError(err) && err.code === 'ERR_SWITCHYARD_CLIENT_CLOSED');
    const { events, base } = this;
    if (isSwitchyardError(err) && !aborted && events.has('error')) {
      events.emit('error', { requestId: base.requestId, model: base.model.label, code: err.code, status: err.status, attempts: forEvents(base.attempts), latencyMs: this.latencyMs });
    }
    const outcome: RequestOutcome = aborted ? 'aborted' : served.length > 0 ? 'interrupted' : 'error';
    this.finish(outcome, isSwitchyardError(err) ? err.status : 500, served, costUsd, isSwitchyardError(err) ? { code: err.code } : {});
    return err;
  }

  private finish(
    outcome: RequestOutcome,
    status: number,
    served: readonly Served[],
    costUsd: number | undefined,
    extra: { provider?: string; upstreamModel?: string; cached?: boolean; code?: SwitchyardErrorCode } = {},
  ): void {
    if (this.done) return;
    this.done = true;
    const { events, base } = this;
    if (!events.has('request')) return;
    const last = served.at(-1)?.target;
    events.emit('request', {
      requestId: base.requestId,
      model: base.model.label,
      chain: base.model.kind === 'chain' ? base.model.label : undefined,
      caller: base.caller,
      stream: base.stream,
      outcome,
      status,
      provider: extra.provider ?? last?.provider.name,
      upstreamModel: extra.upstreamModel ?? last?.model,
      attempts: forEvents(base.attempts),
      latencyMs: this.latencyMs,
      usage: served.length > 0 ? totalUsage(served) : undefined,
      costUsd,
      served: served.map((s) => {
        const price = priceOf(s.target);
        return { provider: s.target.provider.name, model: s.target.model, usage: s.usage, costUsd: price ? costOf(price, s.usage.prompt_tokens, s.usage.completion_tokens) : undefined };
      }),
      ...(extra.cached ? { cached: true } : {}),
      ...(extra.code ? { code: extra.code } : {}),
    });
  }
}
