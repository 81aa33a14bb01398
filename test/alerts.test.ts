/**
 * Alerts: thresholds over a sliding window with hysteresis (`forMs` and a resolve
 * threshold), evaluated on an injected clock; per model and per target; breaker-open
 * duration and spend per period; shown in /health and /stats; and the webhook's timeout
 * and bounded retry against a real local server.
 */
import { once } from 'node:events';
import http, { type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRelay, type AlertEvent, type Relay, type RelayConfig, type RequestRecord } from 'switchyard';
import type { MockUpstream } from 'switchyard/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { measure } from '../src/observe/alerts/measure.js';
import { MESSAGES, chainConfig, closeServer, startMocks } from './helpers/harness.js';

let mocks: Record<string, MockUpstream>;
let relay: Relay | undefined;
let clock = Date.UTC(2026, 10, 30, 12);

beforeAll(async () => {
  mocks = await startMocks(['primary', 'backup']);
});
afterAll(async () => {
  await Promise.all(Object.values(mocks).map((m) => m.close()));
});
afterEach(async () => {
  await relay?.close();
  relay = undefined;
  for (const m of Object.values(mocks)) m.reset();
});

function start(alerts: RelayConfig['alerts'], extra: Partial<RelayConfig> = {}): { relay: Relay; seen: AlertEvent[] } {
  const config = chainConfig(mocks, { retry: { attempts: 1 }, breaker: { failureThreshold: 100 }, now: () => clock, alerts, ...extra });
  config.models.solo = { targets: [{ provider: 'backup', model: 'solo-model' }] };
  for (const t of config.models.chat!.targets) t.price = { input: 1000, output: 1000 };
  relay = createRelay(config);
  const seen: AlertEvent[] = [];
  relay.on('alert', (a) => seen.push(a));
  return { relay, seen };
}

const ask = (model: string) => relay!.chat({ model, messages: MESSAGES }).catch(() => undefined);
async function times(n: number, model: string) {
  for (let i = 0; i < n; i++) await ask(model);
}

describe('hysteresis on an injected clock', () => {
  it('fires only after `forMs` above the threshold, and resolves only below `resolveBelow`', async () => {
    const { seen } = start({ rules: [{ name: 'solo-errors', metric: 'errorRate', above: 0.5, resolveBelow: 0.2, forMs: 60_000, by: 'model', minRequests: 4 }], evaluateEveryMs: 3_600_000 });
    mocks.backup!.setFault({ status: 500 });
    await times(4, 'solo');
    relay!.alerts!.evaluate();
    clock += 30_000;
    relay!.alerts!.evaluate();
    expect(seen).toEqual([]);
    clock += 30_000;
    relay!.alerts!.evaluate();
    expect(seen).toEqual([
      { name: 'solo-errors', metric: 'errorRate', state: 'firing', subject: 'solo', value: 1, threshold: 0.5, since: clock - 60_000, at: clock },
    ]);
    expect(relay!.health()).toMatchObject({ status: 'degraded', alerts: [{ name: 'solo-errors', subject: 'solo', state: 'firing' }] });
    expect(relay!.stats().alerts).toHaveLength(1);

    // Between the two thresholds it keeps firing: 4 errors in 16 is 0.25.
    mocks.backup!.setFault(null);
    await times(12, 'solo');
    relay!.alerts!.evaluate();
    expect(seen).toHaveLength(1);
    // Below resolveBelow (4 in 21): resolved, once.
    await times(5, 'solo');
    relay!.alerts!.evaluate();
    relay!.alerts!.evaluate();
    expect(seen.map((a) => a.state)).toEqual(['firing', 'resolved']);
    expect(seen[1]).toMatchObject({ subject: 'solo', threshold: 0.2, since: seen[0]!.since });
    expect(relay!.health()).toMatchObject({ status: 'ok', alerts: [] });
  });

  it('a dip below the threshold before `forMs` starts the wait over', async () => {
    const { seen } = start({ rules: [{ name: 'errors', metric: 'errorRate', above: 0.5, forMs: 60_000, minRequests: 2, windowMs: 20_000 }], evaluateEveryMs: 3_600_000 });
    mocks.primary!.setFault({ status: 500 });
    mocks.backup!.setFault({ status: 500 });
    await times(2, 'chat');
    relay!.alerts!.evaluate();
    clock += 40_000; // the failures leave the 20 s window
    mocks.primary!.setFault(null);
    mocks.backup!.setFault(null);
    await times(2, 'chat');
    relay!.alerts!.evaluate();
    mocks.primary!.setFault({ status: 500 });
    mocks.backup!.setFault({ status: 500 });
    clock += 30_000;
    await times(4, 'chat');
    relay!.alerts!.evaluate();
    clock += 30_000;
    relay!.alerts!.evaluate();
    expect(seen).toEqual([]);
  });

  it('per target: the failing primary fires, the healthy backup does not', async () => {
    const { seen } = start({ rules: [{ name: 'target-errors', metric: 'errorRate', above: 0.5, by: 'target', minRequests: 3 }], evaluateEveryMs: 3_600_000 });
    mocks.primary!.setFault({ status: 503 });
    await times(3, 'chat');
    relay!.alerts!.evaluate();
    expect(seen.map((a) => [a.subject, a.state, a.value])).toEqual([['primary/primary-model', 'firing', 1]]);
  });

  it('breaker-open duration fires while a breaker stays open and resolves when it closes', async () => {
    const { seen } = start(
      { rules: [{ name: 'breaker', metric: 'breakerOpenMs', above: 10_000 }], evaluateEveryMs: 3_600_000 },
      { breaker: { failureThreshold: 1, cooldownMs: 20_000 } },
    );
    mocks.primary!.setFault({ status: 503 });
    await ask('chat');
    clock += 5_000;
    relay!.alerts!.evaluate();
    expect(seen).toEqual([]);
    clock += 6_000;
    relay!.alerts!.evaluate();
    expect(seen).toMatchObject([{ subject: 'primary/primary-model', state: 'firing', value: 11_000 }]);
    mocks.primary!.setFault(null);
    clock += 10_000; // past the cooldown: the next request probes and closes it
    await ask('chat');
    relay!.alerts!.evaluate();
    expect(seen.map((a) => a.state)).toEqual(['firing', 'resolved']);
  });

  it('spend per period: fires over the cap, resolves when the day has passed', async () => {
    const { seen } = start({ rules: [{ name: 'daily-spend', metric: 'spendUsd', above: 0.01, windowMs: 86_400_000 }], evaluateEveryMs: 3_600_000 });
    await times(3, 'chat');
    relay!.alerts!.evaluate();
    expect(seen).toMatchObject([{ name: 'daily-spend', subject: 'relay', state: 'firing' }]);
    expect(seen[0]!.value).toBeGreaterThan(0.01);
    clock += 86_400_000;
    relay!.alerts!.evaluate();
    expect(seen.map((a) => [a.state, a.value])).toEqual([['firing', seen[0]!.value], ['resolved', 0]]);
  });
});

describe('windowed measures', () => {
  const rec = (over: Partial<RequestRecord>): RequestRecord => ({
    time: 0, requestId: 'r', model: 'chat', requested: 'chat', chain: ['p/a', 'b/b'], format: 'chat', stream: true,
    attempts: [{ target: 'p/a', outcome: 'ok', latencyMs: 1 }], failovers: 0, status: 'ok', httpStatus: 200, latencyMs: 100, servedBy: 'p/a', ...over,
  });
  const rule = { name: 'r', above: 0, resolveBelow: 0, forMs: 0, windowMs: 1, by: 'relay' as const, minRequests: 1 };

  it('p95 latency and time to first token, failover rate by model and target', () => {
    const records = [
      ...Array.from({ length: 19 }, (_, i) => rec({ latencyMs: 100 + i, firstTokenMs: 10 })),
      rec({ latencyMs: 5_000, firstTokenMs: 900, servedBy: 'b/b', failovers: 1, attempts: [{ target: 'p/a', outcome: 'timeout', latencyMs: 1 }, { target: 'b/b', outcome: 'ok', latencyMs: 1 }] }),
    ];
    expect(measure({ ...rule, metric: 'p95LatencyMs' }, records).get('relay')).toBe(118);
    expect(measure({ ...rule, metric: 'p95FirstTokenMs' }, [...records, rec({ firstTokenMs: 900 })]).get('relay')).toBe(900);
    expect(measure({ ...rule, metric: 'failoverRate', by: 'model' }, records).get('chat')).toBe(1 / 20);
    const byTarget = measure({ ...rule, metric: 'failoverRate', by: 'target' }, records);
    expect(byTarget.get('p/a')).toBe(1 / 20);
    expect(byTarget.get('b/b')).toBe(0);
    expect(measure({ ...rule, metric: 'errorRate', minRequests: 21 }, records).get('relay')).toBeUndefined();
  });
});

describe('the webhook', () => {
  let server: Server;
  let url: string;
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];
  let answer: (n: number) => number | 'hang' = () => 200;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      // Counted on arrival: a try that times out may never finish sending its body.
      const entry = { headers: req.headers, body: '' };
      received.push(entry);
      const a = answer(received.length);
      req.on('data', (c: Buffer) => (entry.body += c.toString()));
      req.on('end', () => {
        if (a !== 'hang') res.writeHead(a).end();
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  afterAll(async () => {
    await closeServer(server);
  });

  const rules = [{ name: 'errors', metric: 'errorRate' as const, above: 0.5, minRequests: 1 }];

  it('retries a failing receiver with backoff until it takes the alert; the body holds no key or prompt', async () => {
    received.length = 0;
    answer = (n) => (n < 3 ? 503 : 200);
    start({ rules, evaluateEveryMs: 3_600_000, webhook: { url, headers: { authorization: 'Bearer hook-token' }, attempts: 4, baseDelayMs: 5, timeoutMs: 2_000 } });
    mocks.primary!.setFault({ status: 500 });
    mocks.backup!.setFault({ status: 500 });
    await ask('chat');
    relay!.alerts!.evaluate();
    await relay!.alerts!.webhook!.idle();
    expect(received).toHaveLength(3);
    const body = JSON.parse(received[2]!.body);
    expect(body).toMatchObject({ source: 'switchyard', alert: { name: 'errors', state: 'firing', subject: 'relay' } });
    expect(received.every((r) => r.body === received[0]!.body)).toBe(true);
    expect(received[0]!.headers.authorization).toBe('Bearer hook-token');
    expect(received[0]!.body).not.toMatch(/sk-test|secret|Say hello/);
  });

  it('gives up after `attempts` tries that time out, and never holds up requests', async () => {
    received.length = 0;
    answer = () => 'hang';
    start({ rules, evaluateEveryMs: 3_600_000, webhook: { url, attempts: 2, baseDelayMs: 5, timeoutMs: 300 } });
    mocks.primary!.setFault({ status: 500 });
    mocks.backup!.setFault({ status: 500 });
    await ask('chat');
    relay!.alerts!.evaluate();
    // The receiver hangs; requests are still answered meanwhile.
    mocks.primary!.setFault(null);
    expect(await relay!.chat({ model: 'chat', messages: MESSAGES })).toMatchObject({ object: 'chat.completion' });
    await relay!.alerts!.webhook!.idle();
    expect(received).toHaveLength(2);
  });

  it('does not retry an alert the receiver refused (4xx)', async () => {
    received.length = 0;
    answer = () => 400;
    start({ rules, evaluateEveryMs: 3_600_000, webhook: { url, attempts: 4, baseDelayMs: 5 } });
    mocks.primary!.setFault({ status: 500 });
    mocks.backup!.setFault({ status: 500 });
    await ask('chat');
    relay!.alerts!.evaluate();
    await relay!.alerts!.webhook!.idle();
    expect(received).toHaveLength(1);
  });
});

describe('configuration', () => {
  const base = () => chainConfig(mocks);
  it.each([
    [{ alerts: { rules: [{ name: 'x', metric: 'latency', above: 1 }] } }, 'alerts.rules[0].metric'],
    [{ alerts: { rules: [{ name: 'x', metric: 'errorRate', above: 0.1, resolveBelow: 0.5 }] } }, 'alerts.rules[0].resolveBelow'],
    [{ alerts: { rules: [{ name: 'x', metric: 'breakerOpenMs', above: 1, by: 'model' }] } }, 'alerts.rules[0].by'],
    [{ alerts: { rules: [{ name: 'x', metric: 'errorRate', above: 1 }, { name: 'x', metric: 'errorRate', above: 1 }] } }, 'alerts.rules[1].name'],
    [{ alerts: { rules: [], webhook: { url: 'ftp://example' } } }, 'alerts.webhook.url'],
    [{ telemetry: { traces: 'yes' } }, 'telemetry.traces'],
    [{ telemetry: { tracing: true } }, 'telemetry.tracing'],
    [{ requestLog: { sinks: [{}] } }, 'requestLog.sinks[0]'],
    [{ requestLog: { size: 0 } }, 'requestLog.size'],
  ])('%j names %s', (extra, path) => {
    expect(() => createRelay({ ...base(), ...(extra as object) } as RelayConfig)).toThrow(expect.objectContaining({ code: 'ERR_SWITCHYARD_INVALID_CONFIG', message: expect.stringContaining(path) }));
  });
});
