/**
 * @module
 * Evaluates alert rules over a sliding window of finished requests, every
 * `evaluateEveryMs` (or when `evaluate()` is called), on the relay's clock. Each rule and
 * subject has hysteresis: above `above` for `forMs` fires it, below `resolveBelow`
 * resolves it. Firing and resolving are `alert` events and, optionally, webhook posts.
 */
import type { ResolvedAlertRule, ResolvedAlerts } from '../../config/resolved.js';
import type { RelayEvents } from '../../events.js';
import type { RequestRecord } from '../request-log/record.js';
import { measure } from './measure.js';
import type { AlertEvent } from './types.js';
import { AlertWebhook, type DeliveryResult } from './webhook.js';

/** Most finished requests held for the windows, whatever their length. */
const MAX_RECORDS = 100_000;

interface State {
  phase: 'pending' | 'firing';
  /** When the value first went above the threshold this time. */
  since: number;
  last?: AlertEvent;
}

export class AlertEvaluator {
  private readonly records: { at: number; r: RequestRecord }[] = [];
  private readonly openSince = new Map<string, number>();
  private readonly states = new Map<string, State>();
  private readonly maxWindowMs: number;
  private readonly timer: NodeJS.Timeout;
  private readonly off: (() => void)[];
  /** The webhook, when configured. */
  readonly webhook: AlertWebhook | undefined;
  private readonly rules: ResolvedAlerts['rules'];

  constructor(
    private readonly events: RelayEvents,
    subscribe: (fn: (r: RequestRecord) => void) => () => void,
    options: ResolvedAlerts,
    private readonly now: () => number,
    delivered?: (result: DeliveryResult) => void,
  ) {
    // [secrets] The rules only: the webhook's URL and headers stay inside the webhook.
    this.rules = options.rules;
    this.maxWindowMs = Math.max(0, ...options.rules.map((r) => r.windowMs));
    const hook = options.webhook;
    this.webhook = hook && new AlertWebhook({ ...hook.target(), timeoutMs: hook.timeoutMs, attempts: hook.attempts, baseDelayMs: hook.baseDelayMs }, delivered);
    const opened = (e: { provider: string; model: string }) => {
      const id = `${e.provider}/${e.model}`;
      if (!this.openSince.has(id)) this.openSince.set(id, this.now());
    };
    this.off = [
      subscribe((r) => {
        // Windows can be long (a day of spend): hold no prompt text there.
        const { messages: _, ...slim } = r;
        this.records.push({ at: this.now(), r: slim });
        if (this.records.length > MAX_RECORDS) this.records.shift();
      }),
      events.on('breakerOpen', opened),
      // Half-open still takes no ordinary traffic: the outage goes on until it closes.
      events.on('breakerClose', (e) => this.openSince.delete(`${e.provider}/${e.model}`)),
    ];
    this.timer = setInterval(() => this.evaluate(), options.evaluateEveryMs);
    this.timer.unref();
  }

  /** Evaluates every rule now. */
  evaluate(): void {
    const now = this.now();
    while (this.records.length > 0 && this.records[0]!.at <= now - this.maxWindowMs) this.records.shift();
    for (const rule of this.rules) {
      const values = this.values(rule, now);
      // Subjects that fire but have no value now keep their state: too little traffic says nothing.
      for (const [subject, value] of values) if (value !== undefined) this.step(rule, subject, value, now);
    }
  }

  private values(rule: ResolvedAlertRule, now: number): Map<string, number | undefined> {
    if (rule.metric === 'breakerOpenMs') {
      const out = new Map<string, number | undefined>();
      for (const [id, since] of this.openSince) if (rule.only === undefined || rule.only === id) out.set(id, now - since);
      // Targets that closed again read 0, so their alerts resolve.
      for (const state of this.states.keys()) {
        const [name, subject] = state.split('\0') as [string, string];
        if (name === rule.name && !out.has(subject)) out.set(subject, 0);
      }
      return out;
    }
    const from = now - rule.windowMs;
    const values = measure(rule, this.records.filter((x) => x.at > from).map((x) => x.r));
    if (rule.metric === 'spendUsd') {
      // No spend in the window is a value (0), not a lack of data.
      for (const state of this.states.keys()) {
        const [name, subject] = state.split('\0') as [string, string];
        if (name === rule.name && !values.has(subject)) values.set(subject, 0);
      }
    }
    return values;
  }

  private step(rule: ResolvedAlertRule, subject: string, value: number, now: number): void {
    const key = `${rule.name}\0${subject}`;
    const state = this.states.get(key);
    if (state?.phase === 'firing') {
      if (value < rule.resolveBelow) {
        this.states.delete(key);
        this.emit({ name: rule.name, metric: rule.metric, state: 'resolved', subject, value, threshold: rule.resolveBelow, since: state.since, at: now });
      }
      return;
    }
    if (value <= rule.above) {
      if (state) this.states.delete(key);
      return;
    }
    const since = state?.since ?? now;
    if (now - since >= rule.forMs) {
      const alert: AlertEvent = { name: rule.name, metric: rule.metric, state: 'firing', subject, value, threshold: rule.above, since, at: now };
      this.states.set(key, { phase: 'firing', since, last: alert });
      this.emit(alert);
    } else if (!state) {
      this.states.set(key, { phase: 'pending', since });
    }
  }

  private emit(alert: AlertEvent): void {
    this.events.emit('alert', alert);
    this.webhook?.send(alert);
  }

  /** Alerts firing now, as they fired. */
  firing(): AlertEvent[] {
    return [...this.states.values()].flatMap((s) => (s.phase === 'firing' && s.last ? [s.last] : []));
  }

  close(): void {
    clearInterval(this.timer);
    this.off.forEach((f) => f());
    this.webhook?.close();
  }
}
