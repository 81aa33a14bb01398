/**
 * The real OpenTelemetry SDK for tests: a Node tracer provider (AsyncLocalStorage
 * context, W3C propagation) registered globally, exporting to memory.
 */
import { trace, type Span } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { expect } from 'vitest';

export interface OtelHarness {
  exporter: InMemorySpanExporter;
  provider: NodeTracerProvider;
  /** Runs `fn` inside a host span (as an HTTP instrumentation would open); returns it and fn's result. */
  inHostSpan<T>(fn: () => Promise<T>): Promise<{ host: Span; result: T }>;
  /** Finished spans of one trace. */
  spans(traceId: string): ReadableSpan[];
  /** Waits (bounded) until `predicate` holds for the finished spans. */
  until(predicate: (spans: ReadableSpan[]) => boolean): Promise<ReadableSpan[]>;
}

export function startOtel(): OtelHarness {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  provider.register();
  const tracer = trace.getTracer('host');
  return {
    exporter,
    provider,
    async inHostSpan(fn) {
      return tracer.startActiveSpan('host request', async (host) => {
        try {
          return { host, result: await fn() };
        } finally {
          host.end();
        }
      });
    },
    spans: (traceId) => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId),
    async until(predicate) {
      await expect.poll(() => predicate(exporter.getFinishedSpans()), { timeout: 5_000, interval: 10 }).toBe(true);
      return exporter.getFinishedSpans();
    },
  };
}

export const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;
export const idOf = (s: ReadableSpan) => s.spanContext().spanId;
