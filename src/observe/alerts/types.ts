/**
 * @module
 * Alert rules and what the relay says when one fires or resolves.
 */

/**
 * What an alert watches, over its window:
 * - `errorRate`: share of finished requests that ended in an error (0..1);
 * - `failoverRate`: share of answered requests served by a fallback, not the chain's first target (0..1);
 * - `p95LatencyMs`: 95th percentile of request duration;
 * - `p95FirstTokenMs`: 95th percentile of time to first token of streams;
 * - `spendUsd`: US$ spent in the window (set `windowMs` to the period: 86400000 for a day);
 * - `breakerOpenMs`: how long a target's breaker has been open right now (`by: 'target'`).
 */
export type AlertMetric = 'errorRate' | 'failoverRate' | 'p95LatencyMs' | 'p95FirstTokenMs' | 'spendUsd' | 'breakerOpenMs';

/**
 * One threshold with hysteresis: it fires once the value has stayed above `above` for
 * `forMs`, and resolves once it is back below `resolveBelow`.
 *
 * @example
 * ```ts
 * { name: 'chat-errors', metric: 'errorRate', above: 0.2, resolveBelow: 0.05, forMs: 60_000, by: 'model' }
 * ```
 */
export interface AlertRule {
  /** Shown in events, the webhook, `/health` and the dashboard. */
  name: string;
  metric: AlertMetric;
  /** Fires above this value. */
  above: number;
  /**
   * Resolves below this value (the gap keeps a value hovering at the threshold from flapping).
   * @default above
   */
  resolveBelow?: number;
  /**
   * How long the value must stay above `above` before the alert fires.
   * @default 0
   */
  forMs?: number;
  /**
   * The sliding window the value is computed over, in ms.
   * @default 300000 (5 min)
   */
  windowMs?: number;
  /**
   * One alert for the whole relay, one per public model or chain, or one per target.
   * @default 'relay'
   */
  by?: 'relay' | 'model' | 'target';
  /** Only this public model or target (`provider/model`), with `by` set to match. */
  only?: string;
  /**
   * Rates need at least this many requests in the window to say anything.
   * @default 10
   */
  minRequests?: number;
}

/** An `alert` event: a rule started or stopped firing for one subject. */
export interface AlertEvent {
  name: string;
  metric: AlertMetric;
  state: 'firing' | 'resolved';
  /** What it is about: `relay`, a public model, or a target `provider/model`. */
  subject: string;
  /** The value that decided it. */
  value: number;
  /** `above` when firing, `resolveBelow` when resolved. */
  threshold: number;
  /** When it started firing (ms since the epoch). */
  since: number;
  /** When this event happened. */
  at: number;
}
