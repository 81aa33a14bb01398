/**
 * @module
 * The value of an alert's metric for each subject, from the finished requests in its
 * window. Undefined where there is too little traffic to say (fewer than `minRequests`).
 */
import type { ResolvedAlertRule } from '../../config/resolved.js';
import type { RequestRecord } from '../request-log/record.js';
import { publicModel } from '../tracing/attributes.js';

function p95(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)];
}

/** The subjects a record counts for under `by`. */
function subjects(r: RequestRecord, by: ResolvedAlertRule['by']): string[] {
  if (by === 'relay') return ['relay'];
  if (by === 'model') return [publicModel(r.model)];
  const touched = new Set(r.attempts.filter((a) => a.outcome !== 'skipped').map((a) => a.target));
  if (r.servedBy) touched.add(r.servedBy);
  return [...touched];
}

/** Whether the request failed on `subject` (a target's own attempts count for it). */
function failed(r: RequestRecord, rule: ResolvedAlertRule, subject: string): boolean | undefined {
  if (rule.by !== 'target') return r.status === 'abandoned' ? undefined : r.status === 'error';
  const mine = r.attempts.filter((a) => a.target === subject && a.outcome !== 'skipped' && a.outcome !== 'cancelled');
  if (mine.length === 0) return undefined;
  return mine.some((a) => a.outcome !== 'ok');
}

/** Whether the request was not served by its first choice (for a target: it moved on from it). */
function failedOver(r: RequestRecord, rule: ResolvedAlertRule, subject: string): boolean | undefined {
  if (r.status !== 'ok' || r.cache) return undefined;
  if (rule.by === 'target') return r.attempts.some((a) => a.target === subject) ? r.servedBy !== subject : undefined;
  return r.failovers > 0;
}

/** Value per subject of a windowed metric over `records` (all inside the window). */
export function measure(rule: ResolvedAlertRule, records: RequestRecord[]): Map<string, number | undefined> {
  const groups = new Map<string, RequestRecord[]>();
  for (const r of records) {
    for (const s of subjects(r, rule.by)) {
      if (rule.only !== undefined && s !== rule.only) continue;
      let g = groups.get(s);
      if (!g) groups.set(s, (g = []));
      g.push(r);
    }
  }
  const out = new Map<string, number | undefined>();
  for (const [subject, group] of groups) {
    const enough = (n: number) => n >= rule.minRequests;
    switch (rule.metric) {
      case 'errorRate':
      case 'failoverRate': {
        const judge = rule.metric === 'errorRate' ? failed : failedOver;
        const verdicts = group.map((r) => judge(r, rule, subject)).filter((v): v is boolean => v !== undefined);
        out.set(subject, enough(verdicts.length) ? verdicts.filter(Boolean).length / verdicts.length : undefined);
        break;
      }
      case 'p95LatencyMs': {
        const values = group.filter((r) => r.status === 'ok' && (rule.by !== 'target' || r.servedBy === subject)).map((r) => r.latencyMs);
        out.set(subject, enough(values.length) ? p95(values) : undefined);
        break;
      }
      case 'p95FirstTokenMs': {
        const values = group.filter((r) => r.firstTokenMs !== undefined && (rule.by !== 'target' || r.servedBy === subject)).map((r) => r.firstTokenMs!);
        out.set(subject, enough(values.length) ? p95(values) : undefined);
        break;
      }
      case 'spendUsd':
        out.set(subject, group.filter((r) => rule.by !== 'target' || r.servedBy === subject).reduce((sum, r) => sum + (r.costUsd ?? 0), 0));
        break;
      case 'breakerOpenMs':
        break; // not windowed: see the evaluator
    }
  }
  return out;
}
