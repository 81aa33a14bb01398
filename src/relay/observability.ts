/**
 * @module
 * The relay's observability beyond events: OpenTelemetry traces and metrics, the request
 * log (the recent requests, `GET /requests`, sinks) and alerts. Each starts when the
 * configuration asks for it (the log also when someone mounts or reads it) and stops
 * with the relay, after the last requests were aborted, so their ends are recorded.
 */
import type { ResolvedConfig } from '../config/resolved.js';
import type { EngineRuntime } from '../engine/runtime.js';
import type { RelayEvents } from '../events.js';
import { AlertEvaluator } from '../observe/alerts/evaluator.js';
import { RequestLog } from '../observe/request-log/log.js';
import type { HealthSnapshot, StatsSnapshot } from '../observe/stats.js';
import { startTelemetry, type Telemetry } from '../observe/tracing/index.js';
import { DEFAULTS } from '../options.js';

export class Observability {
  private readonly telemetry: Telemetry | undefined;
  private log: RequestLog | undefined;
  private alerting: AlertEvaluator | undefined;
  private applied: ResolvedConfig | undefined;

  constructor(
    private readonly events: RelayEvents,
    private readonly config: () => ResolvedConfig,
  ) {
    this.telemetry = startTelemetry(events, config);
  }

  /** The hook the engine calls before each attempt (traces, `traceparent`). */
  get beforeAttempt(): EngineRuntime['beforeAttempt'] {
    return this.telemetry?.beforeAttempt;
  }

  /** Starts the request log and alerts `config` asks for; a change of alert rules restarts them. */
  apply(config: ResolvedConfig): void {
    const previous = this.applied;
    this.applied = config;
    if (config.requestLog || config.alerts) this.requestLog().setSinks(config.requestLog?.sinks ?? []);
    if (JSON.stringify(config.alerts) === JSON.stringify(previous?.alerts)) return;
    this.alerting?.close();
    this.alerting = config.alerts && new AlertEvaluator(this.events, (fn) => this.requestLog().subscribe(fn), config.alerts, config.now);
  }

  /** The request log, started on first use (`GET /requests`, the dashboard, alerts). */
  requestLog(): RequestLog {
    const config = this.config();
    this.log ??= new RequestLog(
      this.events,
      { size: config.requestLog?.size ?? DEFAULTS.requestLog.size },
      config.requestLog?.sinks ?? [],
      (err) => process.emitWarning(`switchyard request log sink: ${(err as Error)?.message ?? String(err)}`, 'SwitchyardRequestLogWarning'),
    );
    return this.log;
  }

  /** The alert evaluator, when alerts are configured. */
  get alerts(): AlertEvaluator | undefined {
    return this.alerting;
  }

  /** Adds the request analytics and firing alerts to a stats snapshot. */
  stats(snapshot: StatsSnapshot): StatsSnapshot {
    if (this.log) snapshot.analytics = this.log.snapshot();
    if (this.alerting) snapshot.alerts = this.alerting.firing();
    return snapshot;
  }

  /** Adds firing alerts to the health snapshot: any makes an `ok` relay `degraded`. */
  health(health: HealthSnapshot): HealthSnapshot {
    if (this.alerting) {
      health.alerts = this.alerting.firing();
      if (health.alerts.length > 0 && health.status === 'ok') health.status = 'degraded';
    }
    return health;
  }

  async close(): Promise<void> {
    this.alerting?.close();
    this.telemetry?.stop();
    await this.log?.close();
  }
}
