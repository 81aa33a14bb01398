/**
 * A tracer that throws (a broken span processor) loses spans, never requests: the relay
 * answers as if OpenTelemetry were not there.
 */
import { SpanKind, trace } from '@opentelemetry/api';
import { BasicTracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createRelay } from 'switchyard';
import { afterAll, expect, it } from 'vitest';
import { MESSAGES, chainConfig, startMocks } from './helpers/harness.js';

// Throws for the attempt spans (CLIENT), which the relay starts on the request's path.
const broken: SpanProcessor = {
  onStart(span) {
    if (span.kind === SpanKind.CLIENT) throw new Error('span processor exploded');
  },
  onEnd() {},
  forceFlush: async () => {},
  shutdown: async () => {},
};
const provider = new BasicTracerProvider({ spanProcessors: [broken] });
trace.setGlobalTracerProvider(provider);
afterAll(() => provider.shutdown());

it('answers plain and streamed requests, failover included, while every attempt span start throws', async () => {
  const mocks = await startMocks(['primary', 'backup']);
  const relay = createRelay(chainConfig(mocks, { retry: { attempts: 1 }, telemetry: { propagate: true } }));
  try {
    // The processor really throws: the relay is what keeps it from the request.
    expect(() => trace.getTracer('probe').startSpan('x', { kind: SpanKind.CLIENT })).toThrow('span processor exploded');
    mocks.primary!.setFault({ status: 503 });
    const answer = await relay.chat({ model: 'chat', messages: MESSAGES });
    expect(answer.choices).toHaveLength(1);
    let text = '';
    for await (const chunk of await relay.stream({ model: 'chat', messages: MESSAGES })) text += (chunk.choices[0] as { delta?: { content?: string } } | undefined)?.delta?.content ?? '';
    expect(text).toContain('Hello from backup');
  } finally {
    await relay.close();
    await Promise.all(Object.values(mocks).map((m) => m.close()));
  }
});
