/**
 * @module
 * Turns OpenTelemetry on for a relay when `@opentelemetry/api` is installed and
 * `telemetry` allows: the tracer (spans) and the GenAI metrics. Returns undefined, and
 * costs nothing, otherwise.
 */
import type { ResolvedConfig } from '../../config/resolved.js';
import type { AttemptStart } from '../../engine/runtime.js';
import type { RelayEvents } from '../../events.js';
import { recordGenAiMetrics } from './genai-metrics.js';
import { otelApi } from './otel-api.js';
import { RelayTracer } from './tracer.js';

/** The version reported as the tracer's and meter's instrumentation scope. */
const VERSION = '0.1.0';

/** A relay's OpenTelemetry instrumentation. */
export interface Telemetry {
  /** The engine's hook: starts an attempt's span, returns `traceparent` headers when propagating. */
  beforeAttempt?: (info: AttemptStart) => Record<string, string> | undefined;
  stop(): void;
}

/** Starts what `config.telemetry` asks for; `config` is read again on each use (it changes with `update`). */
export function startTelemetry(events: RelayEvents, config: () => ResolvedConfig): Telemetry | undefined {
  const { traces, metrics } = config().telemetry;
  if (!traces && !metrics) return undefined;
  const api = otelApi();
  if (!api) return undefined;
  const tracer = traces ? new RelayTracer(api, { events, config }, VERSION) : undefined;
  const stopMetrics = metrics ? recordGenAiMetrics(api, events, config, VERSION) : undefined;
  return {
    beforeAttempt:
      tracer &&
      ((info) => {
        try {
          return tracer.beforeAttempt(info);
        } catch {
          // A tracer that fails (a broken exporter or propagator) must never fail a request.
          return undefined;
        }
      }),
    stop() {
      tracer?.stop();
      stopMetrics?.();
    },
  };
}
