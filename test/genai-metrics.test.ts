/**
 * The GenAI metrics through the OpenTelemetry metrics API, read back with the real SDK:
 * token usage by type, operation duration (with error.type on failures) and time to first
 * token of streams, with attributes bounded by configuration.
 */
import { metrics } from '@opentelemetry/api';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type HistogramMetricData } from '@opentelemetry/sdk-metrics';
import { createRelay, type Relay } from 'switchyard';
import type { MockUpstream } from 'switchyard/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MESSAGES, chainConfig, startMocks } from './helpers/harness.js';

let mocks: Record<string, MockUpstream>;
let relay: Relay;
let exporter: InMemoryMetricExporter;
let reader: PeriodicExportingMetricReader;

beforeAll(async () => {
  mocks = await startMocks(['primary', 'backup']);
  relay = createRelay(chainConfig(mocks, { retry: { attempts: 1 } }));
  // Registered after the relay was made, as a host that sets up OpenTelemetry late would.
  exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  // A long interval: the test collects by hand.
  reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
});
afterAll(async () => {
  await relay.close();
  await Promise.all(Object.values(mocks).map((m) => m.close()));
  await reader.shutdown();
});

async function collect(): Promise<Map<string, HistogramMetricData>> {
  await reader.forceFlush();
  const out = new Map<string, HistogramMetricData>();
  for (const rm of exporter.getMetrics().at(-1)?.scopeMetrics ?? []) for (const m of rm.metrics) out.set(m.descriptor.name, m as HistogramMetricData);
  return out;
}

it('records token usage, duration and time to first token with GenAI attributes', async () => {
  await relay.chat({ model: 'chat', messages: MESSAGES });
  for await (const _ of await relay.stream({ model: 'chat', messages: MESSAGES })) void _;
  mocks.primary!.setFault({ status: 503 });
  mocks.backup!.setFault({ status: 503 });
  await relay.chat({ model: 'chat', messages: MESSAGES }).catch(() => {});

  const m = await collect();
  const tokens = m.get('gen_ai.client.token.usage')!;
  expect(tokens.descriptor.unit).toBe('{token}');
  const input = tokens.dataPoints.find((p) => p.attributes['gen_ai.token.type'] === 'input')!;
  expect(input.attributes).toMatchObject({
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': 'openai',
    'gen_ai.request.model': 'chat',
    'gen_ai.response.model': 'primary-model',
    'server.address': '127.0.0.1',
  });
  expect(input.value.count).toBe(2);
  expect(input.value.sum).toBeGreaterThan(0);

  const duration = m.get('gen_ai.client.operation.duration')!;
  expect(duration.descriptor.unit).toBe('s');
  const ok = duration.dataPoints.filter((p) => p.attributes['error.type'] === undefined);
  expect(ok.reduce((n, p) => n + p.value.count, 0)).toBe(2);
  const failed = duration.dataPoints.find((p) => p.attributes['error.type'] === 'ERR_SWITCHYARD_ALL_TARGETS_FAILED')!;
  expect(failed.value.count).toBe(1);

  const ttft = m.get('gen_ai.server.time_to_first_token')!;
  expect(ttft.dataPoints).toHaveLength(1);
  expect(ttft.dataPoints[0]!.value.count).toBe(1);
  // Bucket boundaries from the conventions, not the SDK's defaults.
  expect(ttft.dataPoints[0]!.value.buckets.boundaries.slice(0, 3)).toEqual([0.001, 0.005, 0.01]);

  // Attributes come from configuration and error codes only.
  const keys = new Set([...m.values()].flatMap((x) => x.dataPoints.flatMap((p) => Object.keys(p.attributes))));
  expect([...keys].sort()).toEqual(
    ['error.type', 'gen_ai.operation.name', 'gen_ai.provider.name', 'gen_ai.request.model', 'gen_ai.response.model', 'gen_ai.token.type', 'server.address', 'server.port'].sort(),
  );
});
