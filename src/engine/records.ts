/**
 * @module
 * Attempt records: what each try on a target did, as the client's error body, the
 * debug header and events report it.
 */
import type { ResolvedTarget } from '../config.js';
import type { AttemptRecord } from '../errors/index.js';

/** Longest detail or upstream message a record keeps, in characters. */
const MAX_TEXT = 200;

export function record(target: ResolvedTarget, outcome: AttemptRecord['outcome'], latencyMs: number, status?: number, detail?: string, message?: string): AttemptRecord {
  const r: AttemptRecord = { provider: target.provider.name, model: target.model, outcome, latencyMs };
  // [secrets] Redacted, then clipped (a secret cannot be cut in half and half kept): records
  // reach clients, events, logs and spans.
  const { redactor } = target.provider;
  if (status !== undefined) r.status = status;
  if (detail !== undefined) r.detail = redactor.message(detail, MAX_TEXT);
  if (message !== undefined) r.message = redactor.message(message, MAX_TEXT);
  return r;
}

/** Attempt records as events carry them: without upstream messages, which may quote the prompt. */
export function forEvents(attempts: AttemptRecord[]): AttemptRecord[] {
  return attempts.map(({ message: _, ...rest }) => rest);
}

/** Whether a record is an upstream request really sent (not a skip). */
export function wasSent(a: AttemptRecord): boolean {
  return a.outcome !== 'skipped' && a.outcome !== 'unsupported';
}
