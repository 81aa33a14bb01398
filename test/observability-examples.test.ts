/**
 * examples/observability: the Prometheus alerting rules pass `promtool check rules` and
 * their unit tests; every metric they and the Grafana dashboard name is one the exporter
 * really exposes; the dashboard's queries are valid PromQL; and a real Prometheus on
 * 127.0.0.1 scraping a running relay fires the breaker rule. Debian's `prometheus`
 * package provides promtool and prometheus (.ci/run installs it); without them the
 * suites skip and say so.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Registry } from 'prom-client';
import { createRelay } from 'switchyard';
import { prometheusMetrics } from 'switchyard/metrics';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { chainConfig, closeServer, listen, postChat, startMocks } from './helpers/harness.js';

const run = promisify(execFile);
const DIR = new URL('../examples/observability/', import.meta.url).pathname;
const RULES = join(DIR, 'prometheus-rules.yml');
const DASHBOARD = JSON.parse(readFileSync(join(DIR, 'grafana-dashboard.json'), 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] };
const PROMTOOL = '/usr/bin/promtool';
const PROMETHEUS = '/usr/bin/prometheus';
const hasPromtool = existsSync(PROMTOOL);
const hasPrometheus = existsSync(PROMETHEUS);
if (!hasPromtool || !hasPrometheus) {
  console.warn('[observability examples] promtool/prometheus not found: install Debian’s `prometheus` package (.ci/run does) to run these checks.');
}

const exprs = () => DASHBOARD.panels.flatMap((p) => p.targets.map((t) => t.expr));

describe.skipIf(!hasPromtool)('Prometheus rules and Grafana queries', () => {
  it('the rules pass promtool check rules and their unit tests', async () => {
    const check = await run(PROMTOOL, ['check', 'rules', RULES]);
    expect(check.stdout).toMatch(/SUCCESS: 8 rules found/);
    const test = await run(PROMTOOL, ['test', 'rules', 'prometheus-rules.test.yml'], { cwd: DIR });
    expect(test.stdout).toContain('SUCCESS');
  });

  it('every Grafana query is valid PromQL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sy-grafana-'));
    const rules = exprs().map((expr, i) => ({ record: `switchyard:grafana_${i}`, expr: expr.replaceAll('$__rate_interval', '5m').replaceAll('$model', '.*') }));
    writeFileSync(join(dir, 'grafana.yml'), stringify({ groups: [{ name: 'grafana', rules }] }));
    const check = await run(PROMTOOL, ['check', 'rules', join(dir, 'grafana.yml')]);
    expect(check.stdout).toContain(`SUCCESS: ${rules.length} rules found`);
  });
});

describe('metric names', () => {
  it('the rules and the dashboard name only metrics the exporter exposes', async () => {
    const mocks = await startMocks(['primary', 'backup']);
    const relay = createRelay(chainConfig(mocks, { retry: { attempts: 1 } }));
    const metrics = prometheusMetrics(relay, { registry: new Registry() });
    try {
      mocks.primary!.setFault({ status: 503 });
      await relay.chat({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] });
      const exposed = new Set<string>();
      for (const m of (await metrics.render()).matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
        exposed.add(m[1]!);
        if (m[2] === 'histogram') for (const s of ['_bucket', '_sum', '_count']) exposed.add(m[1]! + s);
      }
      const named = new Set([...readFileSync(RULES, 'utf8').matchAll(/switchyard_[a-z_]+/g), ...exprs().join('\n').matchAll(/switchyard_[a-z_]+/g)].map((m) => m[0]));
      expect(named.size).toBeGreaterThan(8);
      expect([...named].filter((n) => !exposed.has(n))).toEqual([]);
    } finally {
      metrics.stop();
      await relay.close();
      await Promise.all(Object.values(mocks).map((m) => m.close()));
    }
  });
});

/** A port free on 127.0.0.1 right now. */
async function freePort(): Promise<number> {
  const s = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => s.once('listening', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe.skipIf(!hasPrometheus)('a real Prometheus scraping a relay', () => {
  let prometheus: ChildProcess | undefined;
  const cleanup: (() => Promise<void>)[] = [];
  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((r) => prometheus!.once('exit', r));
      prometheus.kill('SIGTERM');
      await exited;
    }
    for (const c of cleanup.reverse()) await c();
  });

  it('fires SwitchyardBreakerOpen when a target’s breaker opens', async () => {
    const mocks = await startMocks(['primary', 'backup']);
    const relay = createRelay(chainConfig(mocks, { retry: { attempts: 1 }, breaker: { failureThreshold: 1, cooldownMs: 600_000 } }));
    const metrics = prometheusMetrics(relay, { registry: new Registry() });
    const { server, origin } = await listen(relay.nodeHandler({ prefix: '/v1', metrics }));
    cleanup.push(async () => {
      await closeServer(server);
      metrics.stop();
      await relay.close();
      await Promise.all(Object.values(mocks).map((m) => m.close()));
    });

    // The shipped rule, with its `for` shortened so the test need not wait five minutes.
    const dir = mkdtempSync(join(tmpdir(), 'sy-prom-'));
    const rules = parse(readFileSync(RULES, 'utf8')) as { groups: { rules: { alert: string; for?: string }[] }[] };
    const rule = rules.groups[0]!.rules.find((r) => r.alert === 'SwitchyardBreakerOpen')!;
    rule.for = '0s';
    writeFileSync(join(dir, 'rules.yml'), stringify(rules));
    writeFileSync(
      join(dir, 'prometheus.yml'),
      stringify({
        global: { scrape_interval: '1s', evaluation_interval: '1s' },
        rule_files: [join(dir, 'rules.yml')],
        scrape_configs: [{ job_name: 'switchyard', metrics_path: '/v1/metrics', static_configs: [{ targets: [new URL(origin).host] }] }],
      }),
    );
    const port = await freePort();
    prometheus = spawn(PROMETHEUS, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });

    mocks.primary!.setFault({ status: 503 });
    expect((await postChat(`${origin}/v1`, {})).status).toBe(200);
    expect(relay.targets().find((t) => t.provider === 'primary')!.breaker.state).toBe('open');

    const firing = async () => {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/api/v1/alerts`);
        const body = (await res.json()) as { data: { alerts: { labels: Record<string, string>; state: string }[] } };
        return body.data.alerts.filter((a) => a.state === 'firing').map((a) => `${a.labels.alertname} ${a.labels.provider}/${a.labels.upstream_model}`);
      } catch {
        return []; // Prometheus is still starting
      }
    };
    await expect.poll(firing, { timeout: 30_000, interval: 250 }).toEqual(['SwitchyardBreakerOpen primary/primary-model']);
  }, 45_000);
});
