/**
 * @module
 * `@opentelemetry/api`, loaded only if installed: it is an optional peer dependency, so a
 * host without OpenTelemetry pays nothing and nothing fails. Loaded synchronously, so the
 * first request is traced like every other. The API keeps its providers on a global, so
 * this copy sees the tracer and meter providers the host registered with its own.
 */
import { createRequire } from 'node:module';

/** The OpenTelemetry API module. */
export type OtelApi = typeof import('@opentelemetry/api');

let loaded: OtelApi | null | undefined;

/** The API, or undefined when `@opentelemetry/api` is not installed. */
export function otelApi(): OtelApi | undefined {
  if (loaded === undefined) {
    try {
      // Resolved from this package, as a peer dependency is; tsup shims `import.meta.url` in the CommonJS build.
      loaded = createRequire(import.meta.url)('@opentelemetry/api') as OtelApi;
    } catch {
      loaded = null;
    }
  }
  return loaded ?? undefined;
}
