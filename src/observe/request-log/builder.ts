/**
 * @module
 * Builds one {@link RequestRecord} per request from the relay's events: `request` opens
 * it, `attempt` and `failover` fill it in, and `complete`, `error` or `abandoned` close it.
 */
import type { RelayEventMap, RelayEvents } from '../../events.js';
import { redactKeys } from '../content.js';
import type { RecordAttempt, RequestRecord } from './record.js';

/** Records being built at once; past it the oldest is dropped (an end never reported). */
const MAX_OPEN = 10_000;

type End = RelayEventMap['complete'] | RelayEventMap['abandoned'] | RelayEventMap['error'];

/** Listens to `events` and calls `finished` with each record; returns the function that stops it. */
export function buildRecords(events: RelayEvents, prompts: boolean, finished: (record: RequestRecord) => void): () => void {
  const open = new Map<string, RequestRecord>();

  const close = (e: End, status: RequestRecord['status']) => {
    const r = open.get(e.requestId);
    if (!r) return;
    open.delete(e.requestId);
    r.status = status;
    r.latencyMs = e.latencyMs;
    if ('firstTokenMs' in e && e.firstTokenMs !== undefined) r.firstTokenMs = e.firstTokenMs;
    if (e.provider !== undefined && e.upstreamModel !== undefined) {
      r.servedBy = `${e.provider}/${e.upstreamModel}`;
      const position = r.chain.indexOf(r.servedBy);
      if (position >= 0) r.position = position;
    }
    if ('code' in e) {
      r.errorCode = e.code;
      r.httpStatus = e.status;
      // The error carries every attempt, skipped targets included.
      r.attempts = e.attempts.map((a): RecordAttempt => {
        const prior = r.attempts.find((x) => x.target === `${a.provider}/${a.model}` && x.latencyMs === a.latencyMs);
        const out: RecordAttempt = { target: `${a.provider}/${a.model}`, outcome: a.outcome, latencyMs: a.latencyMs };
        if (a.status !== undefined) out.status = a.status;
        if (prior?.role) out.role = prior.role;
        return out;
      });
      if (e.code === 'ERR_SWITCHYARD_CLIENT_CLOSED') r.status = 'abandoned';
    } else {
      r.httpStatus = status === 'abandoned' ? 499 : 200;
      if (e.usage) r.tokens = { input: e.usage.prompt_tokens, output: e.usage.completion_tokens, ...(e.usage.estimated ? { estimated: true } : {}) };
      if (e.costUsd !== undefined) r.costUsd = e.costUsd;
      if ('cached' in e && e.cached) r.cache = e.stale ? 'stale' : 'hit';
      if (e.response?.finishReasons) r.finishReasons = e.response.finishReasons;
    }
    finished(r);
  };

  const off = [
    events.on('request', (e) => {
      if (open.size >= MAX_OPEN) open.delete(open.keys().next().value!);
      const r: RequestRecord = {
        time: e.at,
        requestId: e.requestId,
        model: e.model,
        requested: e.requested,
        chain: e.targets,
        format: e.endpoint,
        stream: e.stream,
        attempts: [],
        failovers: 0,
        status: 'ok',
        httpStatus: 200,
        latencyMs: 0,
      };
      if (e.caller !== undefined) r.caller = e.caller;
      open.set(e.requestId, r);
    }),
    events.on('attempt', (e) => {
      const r = open.get(e.requestId);
      if (!r) return;
      const a: RecordAttempt = { target: `${e.provider}/${e.upstreamModel}`, outcome: e.outcome, latencyMs: e.latencyMs };
      if (e.status !== undefined) a.status = e.status;
      if (e.role) a.role = e.role;
      r.attempts.push(a);
    }),
    events.on('failover', (e) => {
      const r = open.get(e.requestId);
      if (r) r.failovers++;
    }),
    events.on('complete', (e) => close(e, 'ok')),
    events.on('abandoned', (e) => close(e, 'abandoned')),
    events.on('error', (e) => close(e, 'error')),
  ];
  if (prompts) {
    off.push(
      events.on('content', (e) => {
        const r = open.get(e.requestId);
        // Opted in, but still no credentials: anything shaped like a key is redacted.
        if (r && e.input) r.messages = JSON.parse(redactKeys(JSON.stringify(e.input), [])) as unknown[];
      }),
    );
  }
  return () => {
    off.forEach((f) => f());
    open.clear();
  };
}
