/**
 * Observability: /stats, /health and /metrics (the Prometheus text format, parsed line
 * by line), mounted through the node handler, and events carrying tokens and cost.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createRelay, type RelayConfig } from 'switchyard';
import { prometheusMetrics } from 'switchyard/metrics';
import type { MockUpstream } from 'switchyard/testing';
import { Registry } from 'prom-client';
import { closeServer, listen, postChat, startMocks } from './helpers/harness.js';

interface Setup {
  url: string;
  mocks: Record<string, MockUpstream>;
  relay: ReturnType<typeof createRelay>;
  close(): Promise<void>;
}
let current: Setup | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

async function setup(withMetrics = false, extra: Partial<RelayConfig> = {}): Promise<Setup & { registry?: Registry }> {
  const mocks = await startMocks(['primary', 'backup']);
  const relay = createRelay({
    providers: {
      primary: { type: 'openai', baseURL: mocks.primary!.url, apiKey: 'sk-primary-secret' },
      backup: { type: 'openai', baseURL: mocks.backup!.url, apiKey: 'sk-backup-secret' },
    },
    models: { 'gpt-4.1': { targets: [{ provider: 'primary', model: 'gpt-4.1' }, { provider: 'backup', model: 'deepseek-v3.2' }] } },
    retry: { attempts: 1 },
    breaker: { failureThreshold: 2, cooldownMs: 60_000 },
    ...extra,
  });
  const registry = withMetrics ? new Registry() : undefined;
  const metrics = registry ? prometheusMetrics(relay, { registry }) : undefined;
  const { server, origin } = await listen(relay.nodeHandler({ prefix: '/v1', health: true, stats: true, metrics }));
  current = {
    url: `${origin}/v1`,
    mocks,
    relay,
    async close() {
      await closeServer(server);
      await relay.close();
      await Promise.all(Object.values(mocks).map((m) => m.close()));
    },
  };
  return { ...current, registry };
}

/** A strict reader of the Prometheus text exposition format (version 0.0.4). */
function parsePrometheus(text: string): Map<string, { labels: Record<string, string>; value: number }[]> {
  const samples = new Map<string, { labels: Record<string, string>; value: number }[]>();
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
    if (meta) {
      if (meta[1] === 'TYPE') {
        expect(['counter', 'gauge', 'histogram', 'summary', 'untyped']).toContain(meta[3]);
        types.set(meta[2]!, meta[3]!);
      }
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (-?[0-9.e+-]+|NaN|[+-]Inf)$/.exec(line);
    expect(sample, `not a Prometheus sample line: ${line}`).not.toBeNull();
    const labels: Record<string, string> = {};
    for (const pair of (sample![3] ?? '').match(/[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"/g) ?? []) {
      const eq = pair.indexOf('=');
      labels[pair.slice(0, eq)] = JSON.parse(pair.slice(eq + 1));
    }
    const name = sample![1]!;
    const family = name.replace(/_(bucket|sum|count)$/, '');
    expect(types.has(name) || types.has(family), `sample ${name} without a TYPE line`).toBe(true);
    samples.set(name, [...(samples.get(name) ?? []), { labels, value: Number(sample![4]) }]);
  }
  return samples;
}

describe('GET /metrics', () => {
  it('exposes requests, attempts, failovers, latency, tokens, cost, breakers and in-flight in the Prometheus text format', async () => {
    const s = await setup(true);
    s.mocks.primary!.setFault({ status: 503 });
    await postChat(s.url, { model: 'gpt-4.1' });
    await postChat(s.url, { model: 'gpt-4.1' });
    const res = await fetch(`${s.url}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const m = parsePrometheus(await res.text());
    const find = (name: string, labels: Record<string, string>) => m.get(name)?.find((x) => Object.entries(labels).every(([k, v]) => x.labels[k] === v))?.value;
    expect(find('switchyard_requests_total', { model: 'gpt-4.1', outcome: 'ok' })).toBe(2);
    expect(find('switchyard_attempts_total', { provider: 'primary', outcome: 'server' })).toBe(2);
    expect(find('switchyard_attempts_total', { provider: 'backup', outcome: 'ok' })).toBe(2);
    expect(find('switchyard_failovers_total', { provider: 'primary', kind: 'server' })).toBe(2);
    expect(find('switchyard_upstream_ttfb_seconds_count', { provider: 'backup' })).toBe(2);
    expect(find('switchyard_tokens_total', { provider: 'backup', type: 'completion' })).toBeGreaterThan(0);
    expect(find('switchyard_cost_usd_total', { provider: 'backup' })).toBeGreaterThan(0);
    expect(find('switchyard_breaker_state', { provider: 'primary' })).toBe(2);
    expect(find('switchyard_breaker_state', { provider: 'backup' })).toBe(0);
    expect(find('switchyard_in_flight', {})).toBe(0);
  });

  it("registers on the host's registry, so one endpoint serves both", async () => {
    const s = await setup(true);
    expect(await s.registry!.getSingleMetricAsString('switchyard_in_flight')).toContain('switchyard_in_flight 0');
  });

  it('is not mounted unless given', async () => {
    const s = await setup(false);
    expect((await fetch(`${s.url}/metrics`)).status).toBe(404);
  });
});

describe('GET /stats and /health', () => {
  it('reports per-target traffic, errors, failovers, tokens, spend, latency and breaker state', async () => {
    const s = await setup();
    s.mocks.primary!.setFault({ status: 503 });
    await postChat(s.url, { model: 'gpt-4.1' });
    const stats = (await (await fetch(`${s.url}/stats`)).json()) as any;
    expect(stats.totals).toMatchObject({ requests: 1, errors: 0, failovers: 1 });
    const primary = stats.targets.find((t: { provider: string }) => t.provider === 'primary');
    const backup = stats.targets.find((t: { provider: string }) => t.provider === 'backup');
    expect(primary).toMatchObject({ id: 'primary/gpt-4.1', breaker: 'closed', failures: 1, attempts: 1, errors: 1, failovers: 1, served: 0 });
    expect(backup).toMatchObject({ attempts: 1, errors: 0, served: 1 });
    expect(backup.completionTokens).toBeGreaterThan(0);
    expect(backup.costUsd).toBeGreaterThan(0);
    expect(backup.latencyMs.p50).toBeGreaterThanOrEqual(0);
    expect(backup.series).toHaveLength(1);
    expect(JSON.stringify(stats)).not.toContain('secret');
  });

  it('health is ok, degraded when a breaker opens, and down (503) when all are open', async () => {
    const s = await setup();
    const health = async () => {
      const res = await fetch(`${s.url}/health`);
      return { status: res.status, body: (await res.json()) as any };
    };
    expect((await health()).body.status).toBe('ok');
    s.mocks.primary!.setFault({ status: 503 });
    await postChat(s.url, { model: 'gpt-4.1' });
    await postChat(s.url, { model: 'gpt-4.1' });
    const degraded = await health();
    expect(degraded.status).toBe(200);
    expect(degraded.body.status).toBe('degraded');
    expect(degraded.body.targets.find((t: { provider: string }) => t.provider === 'primary')).toMatchObject({ breaker: 'open', errorRate: 1 });
    s.mocks.backup!.setFault({ status: 503 });
    await postChat(s.url, { model: 'gpt-4.1' });
    await postChat(s.url, { model: 'gpt-4.1' });
    const down = await health();
    expect(down.status).toBe(503);
    expect(down.body.status).toBe('down');
  });

  it('operator routes answer GET only, and are off unless enabled', async () => {
    const s = await setup();
    expect((await fetch(`${s.url}/stats`, { method: 'POST' })).status).toBe(405);
    const plain = createRelay({ providers: { p: { type: 'openai', baseURL: 'http://127.0.0.1:1/v1' } }, models: { m: { targets: [{ provider: 'p', model: 'm' }] } } });
    const { server, origin } = await listen(plain.nodeHandler({ prefix: '/v1' }));
    try {
      for (const path of ['health', 'stats', 'dashboard', 'metrics']) expect((await fetch(`${origin}/v1/${path}`)).status).toBe(404);
    } finally {
      await closeServer(server);
      await plain.close();
    }
  });
});
