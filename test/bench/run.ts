/**
 * `npm run bench`: the relay's own cost, side by side with a direct call to the mock
 * upstream, a bare pass-through proxy (the floor for any Node relay) and Portkey's
 * gateway, all in one run on this machine over loopback.
 *
 *   npm run bench              # the full run (~4 min on 2 cores): table, bench-results/, BENCHMARKS.md
 *   npm run bench -- --quick   # a ~1 min smoke run; writes .bench/quick.{json,svg,md} only
 *   npm run bench -- --no-portkey
 *   npm run bench -- --wait-quiet  # on a shared machine: wait up to 30 s before each measurement
 *                                  # (5 min in all) for other processes to go quiet
 *   npm run bench -- --profile # CPU profile of the node:http relay under load (.bench/profiles/)
 *   npm run bench -- --report  # render the table, chart and BENCHMARKS.md again from bench-results/latest.json
 *
 * Every server runs in its own child process, the load generator in another; all of
 * them are killed at the end, on error and on Ctrl-C.
 */
import { execSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MODEL, PACED_MODEL, PLANS, REPLY, SLOW10K_MODEL, SLOW_MODEL, pacedStream, type Plan } from './config.js';
import type { CheckResult, FixedRateResult, SaturateResult, SequentialResult } from './load.js';
import { Measurer, QUIET, sleep, type Patience } from './measure.js';
import { MANY_STREAMS, runFormats, runGrowth, runStore } from './extra-phases.js';
import { startNullplatform, type PeerStatus } from './nullplatform.js';
import { P, fmt, interleavedPhase, measureMemory, runFailover, target, type Case } from './phases.js';
import { startPortkey, type PortkeyStatus } from './portkey.js';
import { startRedis } from '../helpers/redis.js';
import { Procs, bundle, cpuSeconds, freePort, type Started } from './procs.js';
import { profileRelay } from './profile.js';
import { printTable, writeOutputs } from './render.js';
import {
  summarize,
  type BenchResults,
  type CaseId,
  type CaseResult,
  type Machine,
} from './report.js';
import type { ServerSpec, Upstreams } from './servers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const WORK = path.join(ROOT, '.bench');
const LOG = path.join(WORK, 'logs');
const args = new Set(process.argv.slice(2));
const plan: Plan = args.has('--quick') ? PLANS.quick : PLANS.default;
const withPortkey = !args.has('--no-portkey');
const withNullplatform = !args.has('--no-nullplatform');
// How long to wait for other processes to quiet down (before each measurement, and in
// all), and to measure disturbed runs again, in all: bounds that keep the default run
// under 5 minutes on a shared machine.
const busy: Patience = args.has('--wait-quiet')
  ? { waitEachMs: 30_000, waitTotalMs: 300_000, retryTotalMs: 120_000 }
  : plan.name === 'quick'
    ? { waitEachMs: 1_000, waitTotalMs: 5_000, retryTotalMs: 5_000 }
    : { waitEachMs: 3_000, waitTotalMs: 30_000, retryTotalMs: 40_000 };
const started = Date.now();
const procs = new Procs();

// Whatever happens, no child outlives the bench.
process.on('exit', () => procs.killAll());
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    console.error(`\nbench: ${signal}, stopping every child process`);
    procs.killAll();
    process.exit(130);
  });
}
// A hard bound on the whole run, far above its expected length.
const LIMIT_MS = (plan.name === 'quick' ? 8 : 25) * 60_000;
setTimeout(() => {
  console.error(`bench: still running after ${LIMIT_MS / 60_000} min; giving up`);
  procs.killAll();
  process.exit(2);
}, LIMIT_MS).unref();

const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s`;
const log = (msg: string) => console.error(`[${elapsed()}] ${msg}`);
const m = new Measurer(procs, busy, log);


function machine(): Machine {
  const version = (pkg: string) => {
    try {
      return (JSON.parse(readFileSync(path.join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      return 'missing';
    }
  };
  let commit = 'unknown';
  try {
    commit = execSync('git rev-parse --short HEAD', { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    const dirty = execSync('git status --porcelain -- src adapters', { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    if (dirty) commit += ' + uncommitted changes in src/ or adapters/';
  } catch {
    // not a git checkout
  }
  const cpus = os.cpus();
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGB: Math.round(os.totalmem() / 2 ** 30),
    commit,
    packages: Object.fromEntries(['undici', 'express', 'koa', '@nestjs/core', 'autocannon'].map((p) => [p, version(p)])),
  };
}

function checkProblem(c: CheckResult, stream: boolean): string | undefined {
  if (c.status !== 200) return `HTTP ${c.status}: ${c.head.slice(0, 160)}`;
  if (!stream && !c.head.includes('chat.completion')) return `not a chat completion: ${c.head.slice(0, 160)}`;
  if (!stream) return undefined;
  if (!c.tail.includes('data: [DONE]')) return `stream did not end with [DONE] (${c.events} events, ends ${JSON.stringify(c.tail.slice(-60))})`;
  if (c.events < 200) return `only ${c.events} events`;
  return undefined;
}

async function main(): Promise<void> {
  mkdirSync(LOG, { recursive: true });
  if (args.has('--profile')) return profileRelay(ROOT, WORK, procs, log);
  if (args.has('--report')) {
    // Renders the outputs again from the last full run's raw numbers, without measuring.
    const bench = JSON.parse(readFileSync(path.join(ROOT, 'bench-results/latest.json'), 'utf8')) as BenchResults;
    const summary = summarize(bench);
    printTable(summary);
    log(`wrote ${writeOutputs(ROOT, bench, summary).join(', ')}`);
    return;
  }

  log(`switchyard bench, ${plan.name} plan (${plan.repeats} repeat${plan.repeats > 1 ? 's' : ''}), Node ${process.version}, ${os.availableParallelism()} cores`);
  const preflight = await m.before(1_500);
  if (preflight !== undefined) {
    log(`other processes use ${preflight.toFixed(2)} cores right now${preflight >= QUIET ? ': the machine is busy, expect noisy numbers (disturbed runs are measured again)' : ''}`);
  }
  const { server, load: loadScript } = await bundle(ROOT, path.join(WORK, 'build'));
  const spawnServer = (name: string, spec: ServerSpec) =>
    procs.start(name, server, { env: { BENCH_SPEC: JSON.stringify(spec) }, log: path.join(LOG, `${name}.log`) });

  // Upstreams first: the fast mock of the overhead runs, a slow-streaming one for the
  // memory runs, and the failover runs' backup (with a set latency) and failing primary.
  const [fast, slow, paced, backup, p503, anthropicMock, slow10k] = await Promise.all([
    spawnServer('mock-fast', { kind: 'mock' }),
    spawnServer('mock-slow', { kind: 'mock', chunkDelayMs: plan.streams.chunkDelayMs }),
    spawnServer('mock-paced', { kind: 'mock', raw: pacedStream(), gapMs: plan.firstToken.gapMs }),
    spawnServer('mock-backup', { kind: 'mock', latencyMs: plan.failover.latencyMs }),
    spawnServer('mock-503', { kind: 'mock', status: 503 }),
    spawnServer('mock-anthropic', { kind: 'mock', protocol: 'anthropic' }),
    spawnServer('mock-slow10k', { kind: 'mock', chunkDelayMs: plan.manyStreams.chunkDelayMs }),
  ]);
  const dead = await freePort();
  const url = (s: Started) => `http://127.0.0.1:${s.port}/v1`;
  const origin = (s: Started | number) => `http://127.0.0.1:${typeof s === 'number' ? s : s.port}`;
  const upstreams: Upstreams = { fast: url(fast), slow: url(slow), paced: url(paced), anthropic: url(anthropicMock), slow10k: url(slow10k) };
  // CPU time of one of our own servers, in µs (finer than /proc); of a peer, from /proc.
  const cpuOf = (s: Started) => async () => {
    const u = await s.channel.call<{ user: number; system: number }>('cpu', {}, 5_000);
    return u.user + u.system;
  };
  const procCpu = (pid: number) => async () => cpuSeconds(pid) * 1e6;

  const portkeyStarting: Promise<PortkeyStatus> = withPortkey
    ? startPortkey(procs, path.join(WORK, 'portkey'), path.join(LOG, 'portkey.log'))
    : Promise.resolve({ ok: false, reason: 'skipped (--no-portkey)' });
  const nullplatformStarting: Promise<PeerStatus> = withNullplatform
    ? startNullplatform(procs, path.join(WORK, 'nullplatform'), path.join(LOG, 'nullplatform.log'), { fast: upstreams.fast, paced: upstreams.paced, slow: upstreams.slow })
    : Promise.resolve({ ok: false, reason: 'skipped (--no-nullplatform)' });
  const relayKinds = ['node', 'express', 'koa', 'nest'] as const;
  const floorKinds = ['floor', 'floor-express', 'floor-koa', 'floor-nest'] as const;
  const [failoverRelay, ...servers] = await Promise.all([
    spawnServer('relay-failover', {
      kind: 'failover',
      backup: url(fast),
      delayed: url(backup),
      p503: url(p503),
      dead: `http://127.0.0.1:${dead}/v1`,
      skipped: plan.failover.skipped,
    }),
    ...[...floorKinds, ...relayKinds].map((kind) =>
      spawnServer(kind.startsWith('floor') ? kind : `relay-${kind}`, { kind, ...upstreams }).catch((err: Error) => {
        log(`! ${kind} did not start: ${err.message}`);
        return err;
      }),
    ),
  ]);
  const floors = servers.slice(0, floorKinds.length);
  const relays = servers.slice(floorKinds.length);
  const load = await procs.start('load', loadScript, { log: path.join(LOG, 'load.log') });
  const portkey = await portkeyStarting;
  log(portkey.ok ? `Portkey gateway ${portkey.version} on port ${portkey.port}` : `Portkey unavailable: ${portkey.reason}`);
  const nullplatform = await nullplatformStarting;
  log(nullplatform.ok ? `nullplatform LLM Gateway ${nullplatform.version} on port ${nullplatform.port}` : `nullplatform unavailable: ${nullplatform.reason}`);

  const cases: Case[] = [];
  const results = new Map<CaseId, CaseResult>();
  const addCase = (c: Case | { id: CaseId; label: string; reason: string }) => {
    const result: CaseResult = { id: c.id, label: c.label, available: !('reason' in c), notes: [], sequential: [], stream: [], firstToken: [], fixedRate: [], saturation: {} };
    if ('reason' in c) result.reason = c.reason;
    else cases.push(c);
    results.set(c.id, result);
  };
  addCase({
    id: 'direct',
    label: 'direct to mock',
    pid: fast.child.pid,
    cpu: cpuOf(fast),
    json: target(origin(fast), P, MODEL, false),
    stream: target(origin(fast), P, MODEL, true),
    paced: target(origin(paced), P, PACED_MODEL, true),
  });
  const serverCase = (s: Started, slowPath: string, pacedPath: string) => ({
    pid: s.child.pid,
    cpu: cpuOf(s),
    json: target(origin(s), P, MODEL, false),
    stream: target(origin(s), P, MODEL, true),
    paced: target(origin(s), pacedPath, PACED_MODEL, true),
    slow: target(origin(s), slowPath, SLOW_MODEL, true),
  });
  /** The latest process of each server (the memory runs restart them). */
  const latest = new Map<string, Started>();
  const restart = (name: string, spec: ServerSpec, slowPath: string) => async () => {
    const current = latest.get(name);
    if (current) await procs.stop(current.child);
    const again = await spawnServer(`${name}-memory`, spec);
    latest.set(name, again);
    return serverCase(again, slowPath, P);
  };
  const floorLabels = { floor: 'floor: node:http + undici', 'floor-express': 'floor: Express + undici', 'floor-koa': 'floor: Koa + undici', 'floor-nest': 'floor: Nest + undici' } as const;
  floorKinds.forEach((kind, i) => {
    const s = floors[i]!;
    if (s instanceof Error) return addCase({ id: kind, label: floorLabels[kind], reason: s.message });
    latest.set(kind, s);
    addCase({ id: kind, label: floorLabels[kind], ...serverCase(s, `/slow${P}`, `/paced${P}`), fresh: restart(kind, { kind, ...upstreams }, `/slow${P}`) });
  });
  const labels = { node: 'switchyard node:http', express: 'switchyard Express', koa: 'switchyard Koa', nest: 'switchyard Nest' } as const;
  relayKinds.forEach((kind, i) => {
    const s = relays[i]!;
    if (s instanceof Error) return addCase({ id: kind, label: labels[kind], reason: s.message });
    latest.set(`relay-${kind}`, s);
    addCase({ id: kind, label: labels[kind], ...serverCase(s, P, P), fresh: restart(`relay-${kind}`, { kind, ...upstreams }, P) });
  });
  if (portkey.ok) {
    const via = (mock: string) => ({ 'x-portkey-provider': 'openai', 'x-portkey-custom-host': mock });
    const portkeyCase = (p: { port: number; pid: number }) => ({
      pid: p.pid,
      cpu: procCpu(p.pid),
      json: target(origin(p.port), P, MODEL, false, via(upstreams.fast)),
      stream: target(origin(p.port), P, MODEL, true, via(upstreams.fast)),
      paced: target(origin(p.port), P, PACED_MODEL, true, via(upstreams.paced)),
      slow: target(origin(p.port), P, SLOW_MODEL, true, via(upstreams.slow)),
    });
    addCase({
      id: 'portkey',
      label: `Portkey gateway ${portkey.version}`,
      ...portkeyCase(portkey),
      fresh: async () => {
        await procs.stop(portkey.child);
        const again = await startPortkey(procs, path.join(WORK, 'portkey'), path.join(LOG, 'portkey.log'));
        if (!again.ok) throw new Error(again.reason);
        return portkeyCase(again);
      },
    });
  } else {
    addCase({ id: 'portkey', label: 'Portkey gateway', reason: `unavailable: ${portkey.reason}` });
  }
  if (nullplatform.ok) {
    const np = (p: { port: number; pid: number }) => ({
      pid: p.pid,
      cpu: procCpu(p.pid),
      json: target(origin(p.port), `/fast/openai${P}`, MODEL, false),
      stream: target(origin(p.port), `/fast/openai${P}`, MODEL, true),
      paced: target(origin(p.port), `/paced/openai${P}`, PACED_MODEL, true),
      slow: target(origin(p.port), `/slow/openai${P}`, SLOW_MODEL, true),
    });
    let current: { child: import('node:child_process').ChildProcess } = nullplatform;
    addCase({
      id: 'nullplatform',
      label: `nullplatform LLM Gateway ${nullplatform.version}`,
      ...np(nullplatform),
      fresh: async () => {
        await procs.stop(current.child);
        const again = await startNullplatform(procs, path.join(WORK, 'nullplatform'), path.join(LOG, 'nullplatform.log'), { fast: upstreams.fast, paced: upstreams.paced, slow: upstreams.slow });
        if (!again.ok) throw new Error(again.reason);
        current = again;
        return np(again);
      },
    });
  } else {
    addCase({ id: 'nullplatform', label: 'nullplatform LLM Gateway', reason: `unavailable: ${nullplatform.reason}` });
  }

  // Every case must answer properly before it is timed; a broken stream is noted, not hidden.
  for (const c of [...cases]) {
    const r = results.get(c.id)!;
    const json = await m.attempt(r.notes, 'check', () => load.channel.call<CheckResult>('check', { target: c.json }, 15_000));
    if (json) r.checks = { json: { status: json.status, bytes: json.bytes } };
    const problem = json ? checkProblem(json, false) : 'no answer';
    if (problem) {
      r.available = false;
      r.reason = `unavailable: ${problem}`;
      cases.splice(cases.indexOf(c), 1);
      log(`! ${c.label}: ${problem}`);
      continue;
    }
    const pacedCheck = await m.attempt(r.notes, 'paced check', () => load.channel.call<CheckResult>('check', { target: c.paced }, 15_000));
    if (pacedCheck && (pacedCheck.status !== 200 || !pacedCheck.tail.includes('data: [DONE]'))) {
      r.notes.push(`paced stream broken: HTTP ${pacedCheck.status}, ends ${JSON.stringify(pacedCheck.tail.slice(-60))}`);
    }
    const stream = await m.attempt(r.notes, 'stream check', () => load.channel.call<CheckResult>('check', { target: c.stream }, 15_000));
    if (stream) r.checks = { ...r.checks, stream: { status: stream.status, bytes: stream.bytes, events: stream.events } };
    const broken = stream ? checkProblem(stream, true) : 'no answer';
    if (broken) {
      r.notes.push(`stream broken: ${broken}`);
      log(`! ${c.label}: stream broken: ${broken}`);
    }
  }

  log('warm-up');
  for (const c of cases) {
    const r = results.get(c.id)!;
    await m.attempt(r.notes, 'warm-up', () => load.channel.call('saturate', { target: c.json, connections: 16, durationMs: plan.warmupMs }, 30_000));
    await m.attempt(r.notes, 'warm-up', () => load.channel.call('sequential', { target: c.stream, requests: 20, warmup: 0, maxMs: 2_000, stream: true }, 30_000));
    await m.attempt(r.notes, 'warm-up', () => load.channel.call('sequential', { target: c.paced, requests: 20, warmup: 0, maxMs: 2_000, stream: true }, 30_000));
  }

  for (let rep = 0; rep < plan.repeats; rep++) {
    // The order rotates, so no case always runs first (or right after the heaviest one).
    const order = cases.map((_, i) => cases[(i + rep) % cases.length]!);
    const tag = `repeat ${rep + 1}/${plan.repeats}`;
    const bad = (s: SequentialResult | undefined) => {
      const n = (s?.errors ?? 0) + (s?.incomplete ?? 0);
      return n ? `  failed=${n}${s?.firstError ? ` (${s.firstError})` : ''}` : '';
    };
    log(`${tag}: sequential, JSON (1 keep-alive connection per case, cases interleaved request by request)`);
    await interleavedPhase(m, load, cases, results, rep, 'sequential', (c) => c.json, plan.sequential, false, 'sequential', (s) =>
      `p50 ${fmt(s?.latency?.p50)}  p99 ${fmt(s?.latency?.p99)}  n=${s?.ok ?? 0}${bad(s)}`,
    );
    log(`${tag}: streams, ${REPLY.split(' ').length}-chunk burst (time to first / last byte)`);
    await interleavedPhase(m, load, cases, results, rep, 'stream', (c) => c.stream, plan.stream, true, 'stream', (s) =>
      `first byte p50 ${fmt(s?.ttfb?.p50)}  last byte p50 ${fmt(s?.ttlb?.p50)}  n=${s?.ok ?? 0}${bad(s)}`,
    );
    log(`${tag}: first token, paced stream (one event every ${plan.firstToken.gapMs} ms)`);
    await interleavedPhase(m, load, cases, results, rep, 'first token', (c) => c.paced, plan.firstToken, true, 'firstToken', (s) =>
      `first token p50 ${fmt(s?.ttft?.p50)}  p99 ${fmt(s?.ttft?.p99)}  n=${s?.ok ?? 0}${bad(s)}`,
    );
    log(`${tag}: fixed rate ${plan.fixedRate.rate} req/s`);
    for (const c of order) {
      const r = results.get(c.id)!;
      const f = await m.measured(r.notes, 'fixed rate', () =>
        load.channel.call<FixedRateResult>('fixedRate', { target: c.json, ...plan.fixedRate }, plan.fixedRate.durationMs + 60_000),
        c.label,
      );
      r.fixedRate[rep] = f ?? null;
      log(`  ${c.label.padEnd(28)} p50 ${fmt(f?.latency.p50)}  p99 ${fmt(f?.latency.p99)}  p99.9 ${fmt(f?.latency.p999)}  answered ${f?.completedRate ?? '-'}/s${f?.errors ? ` errors=${f.errors} (${f.firstError})` : ''}`);
    }
    for (const connections of plan.saturation.connections) {
      log(`${tag}: saturation, ${connections} connections`);
      for (const c of order) {
        const r = results.get(c.id)!;
        const s = await m.measured(
          r.notes,
          `saturation@${connections}`,
          async () => {
            // The server's own CPU per request: cleaner than req/s on cores it shares with the load and the mock.
            const cpu0 = c.pid ? cpuSeconds(c.pid) : NaN;
            const result = await load.channel.call<SaturateResult>('saturate', { target: c.json, connections, durationMs: plan.saturation.durationMs }, plan.saturation.durationMs + 60_000);
            const cpu = c.pid ? cpuSeconds(c.pid) - cpu0 : NaN;
            return { ...result, serverCpuUs: result.ok > 0 && Number.isFinite(cpu) ? Math.round((cpu * 1e6) / result.ok) : undefined };
          },
          c.label,
        );
        (r.saturation[connections] ??= [])[rep] = s ?? null;
        const bad = s ? s.non2xx + s.errors + s.timeouts : 0;
        log(`  ${c.label.padEnd(28)} ${s?.rps ?? '-'} req/s, server CPU ${s?.serverCpuUs ?? '-'} µs/request${bad ? ` (failed ${bad})` : ''}`);
      }
    }
  }

  const failover = await runFailover(m, plan, load, origin(failoverRelay), portkey, {
    backup: url(fast),
    delayed: url(backup),
    p503: url(p503),
    dead: `http://127.0.0.1:${dead}/v1`,
  });

  // Issue 17's runs: the other client formats, growth, and the shared store.
  const nodeRelay = latest.get('relay-node');
  const formats = nodeRelay
    ? await runFormats(m, plan, load, { relay: origin(nodeRelay), relayCpu: cpuOf(nodeRelay), openai: origin(fast), openaiCpu: cpuOf(fast), anthropic: origin(anthropicMock), anthropicCpu: cpuOf(anthropicMock) })
    : [];
  const growthNotes: string[] = [];
  log('growth: the direct call, the floor and the node:http relay, by prompt size and by answer length');
  const growth = await runGrowth(m, plan, load, cases, growthNotes);
  const store = await storeRun(spawnServer, url(fast), m, plan, load, cpuOf);

  // Last, so streams a server leaves running upstream cannot disturb the latency runs; and
  // each in a fresh process, lightly warmed up, so earlier load does not decide its heap.
  log(`memory: ${plan.streams.count} concurrent streams (upstream sends a chunk every ${plan.streams.chunkDelayMs} ms), each server in a fresh process`);
  const warmFresh = async (c: Case, notes: string[]): Promise<Case | undefined> => {
    const f = await m.attempt(notes, 'memory restart', c.fresh!);
    if (!f) return undefined;
    const fresh: Case = { ...c, ...f };
    await m.attempt(notes, 'memory warm-up', () => load.channel.call('saturate', { target: fresh.json, connections: 16, durationMs: 500 }, 30_000));
    await m.attempt(notes, 'memory warm-up', () => load.channel.call('sequential', { target: fresh.stream, requests: 20, warmup: 0, maxMs: 2_000, stream: true }, 30_000));
    await sleep(300);
    return fresh;
  };
  const memLine = (mem: CaseResult['memory']) => (mem ? `${mem.opened}/${mem.requested} open in ${mem.openMs} ms, RSS ${mem.baselineMB.toFixed(0)} -> ${mem.peakMB.toFixed(0)} MB` : 'not measured');
  for (const c of cases) {
    if (!c.slow || !c.fresh) continue;
    const r = results.get(c.id)!;
    const fresh = await warmFresh(c, r.notes);
    if (!fresh) continue;
    r.memory = await measureMemory(m, plan.streams, load, fresh, r.notes);
    log(`  ${c.label.padEnd(28)} ${memLine(r.memory)}`);
  }
  log(`many streams: ${plan.manyStreams.count.toLocaleString('en-US')} concurrent streams (a chunk every ${plan.manyStreams.chunkDelayMs} ms), each server in a fresh process`);
  const manyStreams: BenchResults['manyStreams'] = {};
  for (const c of cases.filter((x) => MANY_STREAMS.includes(x.id) && x.fresh)) {
    const r = results.get(c.id)!;
    const fresh = await warmFresh(c, r.notes);
    if (!fresh) continue;
    const slowPath = c.id === 'floor' ? `/slow10k${P}` : P;
    manyStreams[c.id] = await measureMemory(m, plan.manyStreams, load, fresh, r.notes, target(fresh.json.origin, slowPath, SLOW10K_MODEL, true));
    log(`  ${c.label.padEnd(28)} ${memLine(manyStreams[c.id])}`);
  }

  log('stopping');
  await Promise.all([load, failoverRelay, fast, slow, paced, backup, p503, anthropicMock, slow10k, ...latest.values()].map((s) => procs.stop(s.child)));
  procs.killAll();

  const bench: BenchResults = {
    schema: 2,
    plan,
    command: `npm run bench${process.argv.slice(2).length ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    startedAt: new Date(started).toISOString(),
    wallSeconds: Math.round((Date.now() - started) / 1000),
    machine: machine(),
    portkey: portkey.ok ? { ok: true, version: portkey.version, port: portkey.port } : { ok: false, reason: portkey.reason },
    nullplatform: nullplatform.ok ? { ok: true, version: nullplatform.version, port: nullplatform.port } : { ok: false, reason: nullplatform.reason },
    reply: { words: REPLY.split(' ').length },
    interference: m.interference(),
    cases: [...results.values()],
    failover,
    formats,
    growth,
    manyStreams,
    store,
  };
  const summary = summarize(bench);
  printTable(summary);
  const written = writeOutputs(ROOT, bench, summary);
  log(`wrote ${written.join(', ')}`);
  log(`done in ${bench.wallSeconds} s`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    procs.killAll();
    process.exit(1);
  },
);

/**
 * A caller limit and budget on the memory store and on Redis (a `redis-server` of the
 * bench's own, on a free port): the node:http relay, interleaved request by request.
 */
async function storeRun(
  spawnServer: (name: string, spec: ServerSpec) => Promise<Started>,
  fast: string,
  m: Measurer,
  plan: Plan,
  load: Started,
  cpuOf: (s: Started) => () => Promise<number>,
): Promise<BenchResults['store']> {
  let redis: Awaited<ReturnType<typeof startRedis>> | undefined;
  const spawned: Started[] = [];
  try {
    redis = await startRedis();
    const memory = await spawnServer('limits-memory', { kind: 'limits', fast });
    spawned.push(memory);
    const onRedis = await spawnServer('limits-redis', { kind: 'limits', fast, redisPort: redis.port });
    spawned.push(onRedis);
    log(`store: a caller limit and budget, memory store and Redis ${redis.port}, interleaved`);
    const origin = (s: Started) => `http://127.0.0.1:${s.port}`;
    return await runStore(m, plan, load, { origin: origin(memory), cpu: cpuOf(memory) }, { origin: origin(onRedis), cpu: cpuOf(onRedis) });
  } catch (err) {
    log(`! store run: ${(err as Error).message}`);
    return { memory: [], redis: [], reason: (err as Error).message, notes: [] };
  } finally {
    await Promise.all(spawned.map((s) => procs.stop(s.child)));
    await redis?.stop();
  }
}
