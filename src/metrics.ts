/**
 * @module
 * `switchyard/metrics`: Prometheus metrics for a relay (needs the `prom-client` package).
 */
export { prometheusMetrics } from './observe/metrics.js';
export type { PrometheusMetrics, PrometheusMetricsOptions } from './observe/metrics.js';
