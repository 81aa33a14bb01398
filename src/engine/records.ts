/**
 * @module
 * Attempt records: what each try on a target did, as the client's error body, the
 * debug header and events report it.
 */
import type { ResolvedTarget } from '../config.js';
import type { AttemptRecord } from '../errors/index.js';

const clip = (text: string) => (text.length > 200 ? `${text.slice(0, 200)}…` : text);

export function record(target: ResolvedTarget, outcome: AttemptRecord['outcome'], latencyMs: number, status?: number, detail?: string, message?: string): AttemptRecord {
  const r: AttemptRecord = { provider: target.provider.name, model: target.model, outcome, latencyMs };
  if (status !== undefined) r.status = status;
  if (detail !== undefined) r.detail = clip(detail);
  if (message !== undefined) r.message = clip(message);
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
