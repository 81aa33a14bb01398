/**
 * @module
 * Resolves `telemetry`, `requestLog` and `alerts`, naming the bad field of each.
 */
import { InvalidConfigError } from '../errors/index.js';
import { DEFAULTS } from '../options.js';
import { sealed } from '../secrets/sealed.js';
import type { AlertMetric } from '../observe/alerts/types.js';
import type { ResolvedAlertRule, ResolvedAlerts, ResolvedRequestLog, ResolvedTelemetry, ResolvedWebhook } from './resolved.js';
import type { RequestLogSink } from '../observe/request-log/sink.js';
import { boolean, describe, expectObject, number, section, string } from './checks.js';

const METRICS: readonly AlertMetric[] = ['errorRate', 'failoverRate', 'p95LatencyMs', 'p95FirstTokenMs', 'spendUsd', 'breakerOpenMs'];

export function resolveTelemetry(value: unknown): ResolvedTelemetry {
  const o = section(value, 'telemetry', ['traces', 'metrics', 'captureContent', 'propagate']);
  const d = DEFAULTS.telemetry;
  return {
    traces: boolean(o.traces, 'telemetry.traces', d.traces),
    metrics: boolean(o.metrics, 'telemetry.metrics', d.metrics),
    captureContent: boolean(o.captureContent, 'telemetry.captureContent', d.captureContent),
    propagate: boolean(o.propagate, 'telemetry.propagate', d.propagate),
  };
}

export function resolveRequestLog(value: unknown): ResolvedRequestLog | undefined {
  if (value === undefined) return undefined;
  const o = section(value, 'requestLog', ['size', 'sinks', 'prompts']);
  const sinks = o.sinks === undefined ? [] : o.sinks;
  if (!Array.isArray(sinks)) throw new InvalidConfigError('requestLog.sinks', `expected an array of sinks, got ${describe(sinks)}`);
  sinks.forEach((s, i) => {
    if (typeof (s as Partial<RequestLogSink> | null)?.write !== 'function') {
      throw new InvalidConfigError(`requestLog.sinks[${i}]`, 'expected a sink with a write(record) method');
    }
  });
  return {
    size: number(o.size, 'requestLog.size', DEFAULTS.requestLog.size, 1),
    sinks: sinks as RequestLogSink[],
    prompts: boolean(o.prompts, 'requestLog.prompts', DEFAULTS.requestLog.prompts),
  };
}

function rule(value: unknown, path: string): ResolvedAlertRule {
  const o = section(expectObject(value, path), path, ['name', 'metric', 'above', 'resolveBelow', 'forMs', 'windowMs', 'by', 'only', 'minRequests']);
  const d = DEFAULTS.alerts;
  if (!METRICS.includes(o.metric as AlertMetric)) throw new InvalidConfigError(`${path}.metric`, `expected one of: ${METRICS.join(', ')}, got ${describe(o.metric)}`);
  const above = number(o.above, `${path}.above`, Number.NaN, 0, false);
  if (Number.isNaN(above)) throw new InvalidConfigError(`${path}.above`, 'expected a number >= 0, got undefined');
  const resolveBelow = number(o.resolveBelow, `${path}.resolveBelow`, above, 0, false);
  if (resolveBelow > above) throw new InvalidConfigError(`${path}.resolveBelow`, `expected a number <= above (${above}), got number ${resolveBelow}`);
  const by = o.by ?? (o.metric === 'breakerOpenMs' ? 'target' : 'relay');
  if (by !== 'relay' && by !== 'model' && by !== 'target') throw new InvalidConfigError(`${path}.by`, `expected "relay", "model" or "target", got ${describe(by)}`);
  if (o.metric === 'breakerOpenMs' && by !== 'target') throw new InvalidConfigError(`${path}.by`, 'breakerOpenMs is per target: expected "target"');
  const out: ResolvedAlertRule = {
    name: string(o.name, `${path}.name`),
    metric: o.metric as AlertMetric,
    above,
    resolveBelow,
    forMs: number(o.forMs, `${path}.forMs`, d.forMs, 0),
    windowMs: number(o.windowMs, `${path}.windowMs`, d.windowMs, 1),
    by,
    minRequests: number(o.minRequests, `${path}.minRequests`, d.minRequests, 1),
  };
  if (o.only !== undefined) {
    if (by === 'relay') throw new InvalidConfigError(`${path}.only`, 'needs `by: "model"` or `by: "target"`');
    out.only = string(o.only, `${path}.only`);
  }
  return out;
}

function webhook(value: unknown): ResolvedWebhook | undefined {
  if (value === undefined) return undefined;
  const path = 'alerts.webhook';
  const o = section(value, path, ['url', 'headers', 'timeoutMs', 'attempts', 'baseDelayMs']);
  const url = string(o.url, `${path}.url`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not quoted: a webhook URL may hold the receiver's token.
    throw new InvalidConfigError(`${path}.url`, 'expected an http(s) URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new InvalidConfigError(`${path}.url`, `expected an http(s) URL, got a ${parsed.protocol} URL`);
  const headers = o.headers === undefined ? {} : expectObject(o.headers, `${path}.headers`);
  for (const [k, v] of Object.entries(headers)) if (typeof v !== 'string') throw new InvalidConfigError(`${path}.headers.${k}`, `expected a string, got ${describe(v)}`);
  const d = DEFAULTS.alerts.webhook;
  return {
    target: sealed({ url, headers: headers as Record<string, string> }),
    timeoutMs: number(o.timeoutMs, `${path}.timeoutMs`, d.timeoutMs, 1),
    attempts: number(o.attempts, `${path}.attempts`, d.attempts, 1),
    baseDelayMs: number(o.baseDelayMs, `${path}.baseDelayMs`, d.baseDelayMs, 0),
  };
}

export function resolveAlerts(value: unknown): ResolvedAlerts | undefined {
  if (value === undefined) return undefined;
  const o = section(value, 'alerts', ['rules', 'webhook', 'evaluateEveryMs']);
  if (!Array.isArray(o.rules)) throw new InvalidConfigError('alerts.rules', `expected an array of rules, got ${describe(o.rules)}`);
  const rules = o.rules.map((r, i) => rule(r, `alerts.rules[${i}]`));
  const names = new Set<string>();
  rules.forEach((r, i) => {
    if (names.has(r.name)) throw new InvalidConfigError(`alerts.rules[${i}].name`, `duplicate rule name ${JSON.stringify(r.name)}`);
    names.add(r.name);
  });
  const out: ResolvedAlerts = { rules, evaluateEveryMs: number(o.evaluateEveryMs, 'alerts.evaluateEveryMs', DEFAULTS.alerts.evaluateEveryMs, 1) };
  const hook = webhook(o.webhook);
  if (hook) out.webhook = hook;
  return out;
}
