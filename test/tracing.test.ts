/**
 * OpenTelemetry traces with the real SDK (in-memory exporter): the relay's request span
 * is a child of the host's active span, each upstream attempt a CLIENT span under it,
 * through a failover, a hedge, a stream that ends, one the client abandons, one that
 * breaks, and a request that fails everywhere. No key or prompt in any attribute.
 */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { createRelay, type Relay, type RelayConfig } from 'switchyard';
import type { MockUpstream } from 'switchyard/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MESSAGES, chainConfig, startMocks } from './helpers/harness.js';
import { idOf, parentOf, startOtel, type OtelHarness } from './helpers/otel.js';

let otel: OtelHarness;
let mocks: Record<string, MockUpstream>;
let relay: Relay | undefined;

beforeAll(async () => {
  otel = startOtel();
  mocks = await startMocks(['primary', 'backup']);
});
afterAll(async () => {
  await Promise.all(Object.values(mocks).map((m) => m.close()));
  await otel.provider.shutdown();
});
afterEach(async () => {
  await relay?.close();
  relay = undefined;
  for (const m of Object.values(mocks)) m.reset();
  otel.exporter.reset();
});

function start(extra: Partial<RelayConfig> = {}): Relay {
  const config = chainConfig(mocks, { retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 5 }, ...extra });
  for (const t of config.models.chat!.targets) t.price = { input: 2, output: 8 };
  relay = createRelay(config);
  return relay;
}

const body = { model: 'chat', messages: MESSAGES, max_tokens: 64, temperature: 0.2 };

/** The request span of a trace and its attempt spans, in start order. */
function tree(traceId: string, hostId: string) {
  const spans = otel.spans(traceId);
  const request = spans.find((s) => parentOf(s) === hostId)!;
  expect(request, 'a span whose parent is the host span').toBeDefined();
  const attempts = spans.filter((s) => parentOf(s) === idOf(request)).sort((a, b) => (a.startTime[0] - b.startTime[0]) || (a.startTime[1] - b.startTime[1]));
  return { request, attempts, all: spans };
}

const events = (s: ReadableSpan) => s.events.map((e) => e.name);

/** Every attribute value of every span, as one string, to look for what must not be there. */
const allAttributes = (spans: ReadableSpan[]) => JSON.stringify(spans.map((s) => [s.attributes, s.events.map((e) => e.attributes)]));

describe('traces', () => {
  it('a failover: request span under the host span, one CLIENT span per attempt, retries and backoff as events', async () => {
    start();
    mocks.primary!.setFault({ status: 503 });
    const { host } = await otel.inHostSpan(() => relay!.chat(body));
    await otel.until((s) => s.some((x) => x.name === 'chat chat'));
    const { request, attempts, all } = tree(host.spanContext().traceId, host.spanContext().spanId);

    expect(request.name).toBe('chat chat');
    expect(request.kind).toBe(SpanKind.INTERNAL);
    expect(request.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'chat',
      'gen_ai.response.model': 'backup-model',
      'gen_ai.request.max_tokens': 64,
      'gen_ai.request.temperature': 0.2,
      'gen_ai.response.finish_reasons': ['stop'],
      'switchyard.model': 'chat',
      'switchyard.chain': ['primary/primary-model', 'backup/backup-model'],
      'switchyard.outcome': 'ok',
      'switchyard.served_by': 'backup/backup-model',
      'switchyard.position': 1,
      'switchyard.failover': true,
      'switchyard.attempts': 3,
    });
    expect(request.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
    expect(request.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
    expect(request.attributes['gen_ai.response.id']).toMatch(/^chatcmpl-/);
    expect(request.attributes['switchyard.cost_usd']).toBeGreaterThan(0);
    expect(request.status.code).toBe(SpanStatusCode.UNSET);
    expect(events(request)).toEqual(['switchyard.retry', 'switchyard.backoff', 'switchyard.failover']);

    expect(attempts.map((a) => [a.name, a.kind, a.attributes['switchyard.attempt'], a.attributes['switchyard.attempt.outcome'], a.status.code])).toEqual([
      ['chat primary-model', SpanKind.CLIENT, 1, 'server', SpanStatusCode.ERROR],
      ['chat primary-model', SpanKind.CLIENT, 2, 'server', SpanStatusCode.ERROR],
      ['chat backup-model', SpanKind.CLIENT, 1, 'ok', SpanStatusCode.UNSET],
    ]);
    const port = new URL(mocks.primary!.url).port;
    expect(attempts[0]!.attributes).toMatchObject({
      'error.type': 'server',
      'http.response.status_code': 503,
      'server.address': '127.0.0.1',
      'server.port': Number(port),
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'primary-model',
      'switchyard.breaker.state': 'closed',
      'switchyard.position': 0,
    });
    expect(attempts[2]!.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
    // Keys and prompts stay out unless asked for.
    expect(allAttributes(all)).not.toMatch(/sk-test|secret|Say hello/);
  });

  it('a hedge: the slow first attempt is cancelled, the hedge wins, both are spans of the request', async () => {
    start({ retry: { attempts: 1 } });
    relay!.update({ ...chainConfig(mocks, { retry: { attempts: 1 } }), models: { chat: { targets: chainConfig(mocks).models.chat!.targets, hedge: { afterMs: 30 } } } });
    mocks.primary!.setFault({ firstByteDelayMs: 2_000 });
    const { host } = await otel.inHostSpan(() => relay!.chat(body));
    await otel.until((s) => s.filter((x) => x.spanContext().traceId === host.spanContext().traceId).length === 4);
    const { request, attempts } = tree(host.spanContext().traceId, host.spanContext().spanId);
    expect(request.attributes['switchyard.served_by']).toBe('backup/backup-model');
    const primary = attempts.find((a) => a.attributes['switchyard.target'] === 'primary/primary-model')!;
    const hedge = attempts.find((a) => a.attributes['switchyard.target'] === 'backup/backup-model')!;
    expect(primary.attributes['switchyard.attempt.outcome']).toBe('cancelled');
    expect(primary.status.code).toBe(SpanStatusCode.UNSET);
    expect(hedge.attributes).toMatchObject({ 'switchyard.attempt.role': 'hedge', 'switchyard.attempt.outcome': 'ok' });
  });

  it('a stream that ends: the spans end with it, with the commit point and time to first token', async () => {
    start();
    mocks.primary!.setFault({ dripMs: 5 });
    const { host, result: text } = await otel.inHostSpan(async () => {
      let out = '';
      for await (const chunk of await relay!.stream(body)) out += (chunk.choices[0] as { delta?: { content?: string } } | undefined)?.delta?.content ?? '';
      return out;
    });
    expect(text).toContain('Hello from primary');
    await otel.until((s) => s.some((x) => x.name === 'chat chat'));
    const { request, attempts } = tree(host.spanContext().traceId, host.spanContext().spanId);
    expect(request.attributes).toMatchObject({ 'switchyard.stream': true, 'switchyard.stream.end': 'complete', 'switchyard.outcome': 'ok', 'gen_ai.response.finish_reasons': ['stop'] });
    expect(request.attributes['switchyard.time_to_first_token_ms']).toBeGreaterThanOrEqual(0);
    expect(request.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
    expect(events(request)).toEqual(['switchyard.commit']);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]!.attributes['switchyard.stream.end']).toBe('complete');
    expect(events(attempts[0]!)).toEqual(['switchyard.commit']);
    // The attempt lasts until the stream's last byte, not just its first token.
    const end = (s: ReadableSpan) => s.endTime[0] * 1e9 + s.endTime[1];
    const commit = attempts[0]!.events[0]!.time;
    expect(end(attempts[0]!)).toBeGreaterThan(commit[0] * 1e9 + commit[1]);
  });

  it('a stream the client abandons: the spans end as abandoned, not as errors', async () => {
    start();
    mocks.primary!.setFault({ dripMs: 50 });
    const { host } = await otel.inHostSpan(async () => {
      const chunks = await relay!.stream(body);
      await chunks.next();
      await chunks.return!();
    });
    await otel.until((s) => s.some((x) => x.name === 'chat chat'));
    const { request, attempts } = tree(host.spanContext().traceId, host.spanContext().spanId);
    expect(request.attributes).toMatchObject({ 'switchyard.outcome': 'abandoned', 'switchyard.stream.end': 'abandoned' });
    expect(request.status.code).toBe(SpanStatusCode.UNSET);
    expect(events(request)).toEqual(['switchyard.commit', 'switchyard.abandoned']);
    expect(attempts[0]!.attributes['switchyard.stream.end']).toBe('abandoned');
    expect(attempts[0]!.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('a stream that breaks after content: both spans end in error', async () => {
    start();
    mocks.primary!.setFault({ dieAfterChunks: 4 });
    const { host } = await otel.inHostSpan(async () => {
      await expect(async () => {
        for await (const _ of await relay!.stream(body)) void _;
      }).rejects.toMatchObject({ code: 'ERR_SWITCHYARD_STREAM_INTERRUPTED' });
    });
    await otel.until((s) => s.some((x) => x.name === 'chat chat'));
    const { request, attempts } = tree(host.spanContext().traceId, host.spanContext().spanId);
    expect(request.status.code).toBe(SpanStatusCode.ERROR);
    expect(request.attributes).toMatchObject({ 'error.type': 'ERR_SWITCHYARD_STREAM_INTERRUPTED', 'switchyard.stream.end': 'interrupted', 'switchyard.served_by': 'primary/primary-model' });
    expect(attempts[0]!.status.code).toBe(SpanStatusCode.ERROR);
    expect(attempts[0]!.attributes['switchyard.stream.end']).toBe('interrupted');
  });

  it('a resumed stream: the broken segment and the one that continues it are spans of the request', async () => {
    start({ stream: { resume: true } });
    mocks.primary!.setFault({ dieAfterChunks: 4 });
    const { host } = await otel.inHostSpan(async () => {
      for await (const _ of await relay!.stream(body)) void _;
    });
    await otel.until((s) => s.some((x) => x.name === 'chat chat'));
    const { request, attempts } = tree(host.spanContext().traceId, host.spanContext().spanId);
    // The continuation has its own commit point: where the second target's tokens start.
    expect(events(request)).toEqual(['switchyard.commit', 'switchyard.resume', 'switchyard.commit']);
    expect(attempts.map((a) => [a.attributes['switchyard.target'], a.attributes['switchyard.attempt.role'], a.attributes['switchyard.stream.end']])).toEqual([
      ['primary/primary-model', undefined, 'interrupted'],
      ['backup/backup-model', 'resume', 'complete'],
    ]);
    expect(request.attributes['switchyard.served_by']).toBe('backup/backup-model');
  });

  it('a request that fails everywhere: every span is an error, the request span names the code', async () => {
    start();
    mocks.primary!.setFault({ status: 503 });
    mocks.backup!.setFault({ status: 500 });
    const { host } = await otel.inHostSpan(() => relay!.chat(body).catch((err: unknown) => err));
    await otel.until((s) => s.some((x) => x.name === 'chat chat'));
    const { request, attempts } = tree(host.spanContext().traceId, host.spanContext().spanId);
    expect(request.status).toMatchObject({ code: SpanStatusCode.ERROR, message: 'ERR_SWITCHYARD_ALL_TARGETS_FAILED' });
    expect(request.attributes).toMatchObject({ 'error.type': 'ERR_SWITCHYARD_ALL_TARGETS_FAILED', 'switchyard.outcome': 'error', 'switchyard.attempts': 4 });
    expect(attempts).toHaveLength(4);
    expect(attempts.every((a) => a.status.code === SpanStatusCode.ERROR)).toBe(true);
  });
});

describe('trace options', () => {
  it('telemetry.traces: false records nothing', async () => {
    start({ telemetry: { traces: false } });
    await otel.inHostSpan(() => relay!.chat(body));
    expect(otel.exporter.getFinishedSpans().map((s) => s.name)).toEqual(['host request']);
  });

  it('sends no traceparent upstream unless asked; with propagate, the attempt span’s', async () => {
    start();
    await otel.inHostSpan(() => relay!.chat(body));
    expect(mocks.primary!.requests[0]!.headers.traceparent).toBeUndefined();
    await relay!.close();
    mocks.primary!.reset();
    otel.exporter.reset();
    start({ telemetry: { propagate: true } });
    const { host } = await otel.inHostSpan(() => relay!.chat(body));
    await otel.until((s) => s.some((x) => x.name === 'chat chat'));
    const { attempts } = tree(host.spanContext().traceId, host.spanContext().spanId);
    expect(mocks.primary!.requests[0]!.headers.traceparent).toBe(`00-${host.spanContext().traceId}-${idOf(attempts[0]!)}-01`);
  });

  it('records content only when the host opts in, with keys redacted', async () => {
    start({ telemetry: { captureContent: true } });
    const leaky = [{ role: 'user', content: 'My key is sk-test-primary-secret and sk-abcdefghijklmnop, say hello' }];
    const { host } = await otel.inHostSpan(() => relay!.chat({ ...body, messages: leaky }));
    await otel.until((s) => s.some((x) => x.name === 'chat chat'));
    const { request, all } = tree(host.spanContext().traceId, host.spanContext().spanId);
    expect(JSON.parse(String(request.attributes['gen_ai.input.messages']))).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'My key is [redacted] and [redacted], say hello' }] },
    ]);
    const output = JSON.parse(String(request.attributes['gen_ai.output.messages']));
    expect(output[0]).toMatchObject({ role: 'assistant', finish_reason: 'stop' });
    expect(output[0].parts[0].content).toContain('Hello from primary');
    expect(allAttributes(all)).not.toMatch(/sk-test|sk-abcdef/);
  });
});
