/**
 * End to end, as a host would run it: an Express app instrumented with OpenTelemetry's
 * HTTP and Express instrumentations, exporting over OTLP/HTTP (JSON) to a receiver on
 * 127.0.0.1. The relay's spans must arrive in the host's trace, under the host's request
 * span, with no key or prompt in any attribute. The tree is written to
 * test/artifacts/trace-tree.txt.
 */
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { createRelay } from 'switchyard';
import { expressRelay } from 'switchyard/express';
import type { MockUpstream } from 'switchyard/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { chainConfig, closeServer, startMocks } from './helpers/harness.js';
import { ARTIFACTS } from './browser/chromium.js';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  status?: { code?: number };
  attributes?: { key: string; value: Record<string, unknown> }[];
  events?: { name: string; attributes?: OtlpSpan['attributes'] }[];
}

const received: OtlpSpan[] = [];
const rawBodies: string[] = [];
let receiver: Server;
let provider: NodeTracerProvider;
let mocks: Record<string, MockUpstream>;
let host: Server;
let hostUrl: string;
let relay: ReturnType<typeof createRelay>;

/** A minimal OTLP/HTTP trace receiver (the JSON encoding). */
async function startReceiver(): Promise<string> {
  receiver = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const text = Buffer.concat(parts).toString('utf8');
      rawBodies.push(text);
      const body = JSON.parse(text) as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] };
      for (const rs of body.resourceSpans) for (const ss of rs.scopeSpans) received.push(...ss.spans);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  return `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/v1/traces`;
}

beforeAll(async () => {
  const url = await startReceiver();
  provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url }))] });
  provider.register();
  registerInstrumentations({ tracerProvider: provider, instrumentations: [new HttpInstrumentation(), new ExpressInstrumentation()] });
  // Loaded through require after the instrumentations, as in a host started with `--require ./otel.js`.
  const express = createRequire(import.meta.url)('express') as typeof import('express');

  mocks = await startMocks(['primary', 'backup']);
  mocks.primary!.setFault({ status: 503 });
  relay = createRelay(chainConfig(mocks, { retry: { attempts: 1 } }));
  const app = express();
  app.use('/v1', (req, res, next) => (req.headers.authorization === 'Bearer host-user-token' ? next() : res.status(401).end()));
  app.use('/v1', expressRelay(relay));
  host = app.listen(0, '127.0.0.1');
  await once(host, 'listening');
  hostUrl = `http://127.0.0.1:${(host.address() as AddressInfo).port}/v1`;
});

afterAll(async () => {
  if (host) await closeServer(host);
  await relay?.close();
  await Promise.all(Object.values(mocks ?? {}).map((m) => m.close()));
  await provider?.shutdown();
  if (receiver) await closeServer(receiver);
});

const attr = (s: OtlpSpan, key: string) => {
  const v = s.attributes?.find((a) => a.key === key)?.value;
  return v && (v.stringValue ?? v.intValue ?? v.doubleValue ?? v.boolValue ?? v.arrayValue);
};

function render(spans: OtlpSpan[], parent: string | undefined, depth: number): string[] {
  return spans
    .filter((s) => (s.parentSpanId || undefined) === parent)
    .flatMap((s) => {
      const notes = ['gen_ai.provider.name', 'gen_ai.request.model', 'gen_ai.response.model', 'switchyard.attempt.outcome', 'switchyard.served_by', 'error.type', 'http.response.status_code']
        .map((k) => [k, attr(s, k)] as const)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
      const events = (s.events ?? []).map((e) => e.name);
      const line = `${'  '.repeat(depth)}${s.name} [${['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT'][s.kind] ?? s.kind}]${notes.length ? ` ${notes.join(' ')}` : ''}${events.length ? ` events=${events.join(',')}` : ''}`;
      return [line, ...render(spans, s.spanId, depth + 1)];
    });
}

it("puts the relay's spans under the host's request span, with no key or prompt in them", async () => {
  const prompt = 'Tell me a secret about flamingos';
  const res = await fetch(`${hostUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer host-user-token' },
    body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: prompt }], max_tokens: 32 }),
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('x-switchyard-provider')).toBe('backup');
  await res.text();
  await expect.poll(async () => {
    await provider.forceFlush();
    return received.some((s) => s.name === 'chat chat');
  }, { timeout: 10_000, interval: 50 }).toBe(true);

  const relaySpan = received.find((s) => s.name === 'chat chat')!;
  const trace = received.filter((s) => s.traceId === relaySpan.traceId);
  const server = trace.find((s) => s.kind === 2 && !s.parentSpanId)!;
  expect(server, 'the host HTTP server span is the root of the trace').toBeDefined();
  expect(attr(server, 'http.route') ?? attr(server, 'http.target') ?? server.name).toBeDefined();
  // Walk up from the relay's span: the host's request span is an ancestor.
  const byId = new Map(trace.map((s) => [s.spanId, s]));
  const chain: string[] = [];
  for (let s: OtlpSpan | undefined = relaySpan; s; s = s.parentSpanId ? byId.get(s.parentSpanId) : undefined) chain.push(s.name);
  expect(chain.at(-1)).toBe(server.name);
  expect(chain.length).toBeGreaterThanOrEqual(2);

  const attempts = trace.filter((s) => s.parentSpanId === relaySpan.spanId);
  expect(attempts.map((a) => [a.name, a.kind, attr(a, 'switchyard.attempt.outcome')])).toEqual([
    ['chat primary-model', 3, 'server'],
    ['chat backup-model', 3, 'ok'],
  ]);
  expect(attr(relaySpan, 'switchyard.served_by')).toBe('backup/backup-model');
  expect(attr(relaySpan, 'gen_ai.usage.output_tokens')).toBeDefined();

  // Nothing the host or the relay must keep to itself, anywhere in what was exported.
  const exported = rawBodies.join('\n');
  expect(exported).not.toContain('sk-test-');
  expect(exported).not.toContain('secret');
  expect(exported).not.toContain('flamingos');
  expect(exported).not.toContain('host-user-token');

  const lines = render(trace, undefined, 0);
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(`${ARTIFACTS}trace-tree.txt`, `${lines.join('\n')}\n`);
  expect(lines[0]).toContain('[SERVER]');
});
