/**
 * Soak: mixed traffic with faults through one relay for a bounded time, sampling the heap
 * (after a forced GC) and the active handles every few seconds; fails (exit 1) if either
 * grows steadily, or if any request got an answer it should not have.
 *
 *   npm run soak                       # 3 minutes
 *   npm run soak -- --seconds 30       # shorter
 *   npm run soak -- --sample-seconds 2 # denser samples
 *
 * Traffic: 32 concurrent clients, half streaming, 5% of them walking away after 1-300 ms,
 * over chains that each have a healthy target (with stream resume, so mid-stream deaths
 * are spliced), plus 10% to a chain with no healthy target (must fail with the right
 * envelope). Faulty upstreams draw every fault the mock knows from a fixed seed.
 *
 * Each sample pauses the traffic and waits until nothing is in flight (a fraction of a
 * second: every fault resolves within the 300-600 ms timeouts), so it measures what the
 * relay retains between requests: pooled keep-alive sockets, breakers, statistics, and
 * any leak, without the noise of whatever happens to be in flight.
 *
 * Verdict: a least-squares slope over the second half of the samples (the first half is
 * warm-up: pools filling, JIT, breakers settling; runs under 60 s are not judged on
 * growth, only on the other checks). Thresholds:
 * - heap: 64 KiB/s. At the few hundred requests a second this machine sustains, that is
 *   a leak of a few hundred bytes per request, less than one retained request object; over
 *   a 90 s half it is more than 5 MiB, far above the ~1 MiB jitter of a post-GC heap.
 * - handles: 0.1 per second (6 a minute), counting only the handles no keep-alive pool
 *   accounts for (all handles minus one per pooled connection, the server's end: undici
 *   unrefs its idle end). Pools open and close keep-alive sockets as they please, within
 *   their caps, which is churn, not a leak. One leaked socket or timer per thousand requests is already several a second.
 * The mocks forget their request logs at every sample (`reset()`), so test bookkeeping
 * does not count as growth.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Pool } from 'undici';
import { createRelay, type RelayConfig } from '../../src/index.js';
import { createMockUpstream, type MockUpstream } from '../../src/testing/index.js';
import {
  FAILING_FAULTS,
  HARMLESS_FAULTS,
  MID_STREAM_FAULTS,
  checkAnswer,
  checkFailure,
  faultDecider,
  mulberry32,
  relayListeners,
  replyOf,
  resources,
  settle,
  shoot,
  upstreamPools,
  type Shot,
} from '../helpers/load.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i === -1) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} expects a positive number`);
  return value;
}

const SECONDS = arg('seconds', 180);
const SAMPLE_MS = arg('sample-seconds', 3) * 1000;
const CONCURRENCY = 32;
const SEED = 0x50a4;
const HEAP_SLOPE_LIMIT = 64 * 1024; // bytes per second
const HANDLE_SLOPE_LIMIT = 0.1; // handles per second
/** Below this, the second half is still warm-up (JIT, pools filling): growth is not judged. */
const MIN_JUDGED_SECONDS = 60;

const gc = (globalThis as { gc?: () => void }).gc;

interface Sample {
  t: number;
  heapUsed: number;
  rss: number;
  handles: number;
  /** Keep-alive connections held by the client pool and the relay's upstream pools. */
  pooled: number;
  /**
   * Handles that no keep-alive pool accounts for. undici unrefs idle pooled sockets, so of
   * each pooled connection only the server's end is listed as an active handle.
   */
  unpooled: number;
  sockets: number;
  timers: number;
  inFlight: number;
  requests: number;
}

/** Least-squares slope of y over x. */
function slope(points: [number, number][]): number {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

const MiB = (n: number) => (n / 1024 / 1024).toFixed(1);

async function main(): Promise<number> {
  if (!gc) console.warn('soak: run with --expose-gc (npm run soak does) for a steady heap reading; using the raw heap.');
  const baseline = resources();
  const random = mulberry32(SEED);
  const faults = new Map<string, number>();
  const menu = [...FAILING_FAULTS, ...HARMLESS_FAULTS, ...MID_STREAM_FAULTS];
  const healthy = ['h1', 'h2'];
  const faulty = ['f1', 'f2', 'f3', 'd1', 'd2'];
  const mocks: Record<string, MockUpstream> = {};
  for (const name of [...healthy, ...faulty]) mocks[name] = await createMockUpstream({ name, reply: replyOf(name) });
  const deciders = new Map(faulty.map((name) => [name, faultDecider(name.startsWith('d') ? FAILING_FAULTS : menu, random, faults)]));
  const arm = () => {
    for (const [name, decide] of deciders) {
      mocks[name]!.reset();
      mocks[name]!.onRequest(decide);
    }
    for (const name of healthy) mocks[name]!.reset();
  };
  arm();

  // Healthy upstreams get generous timeouts: on 2 busy cores an event-loop stall must not
  // make a healthy target look hung (that would be the soak's own noise, not a finding).
  const GENEROUS = { firstByteMs: 5_000, idleMs: 5_000, firstTokenMs: 5_000 };
  const provider = (name: string, m: MockUpstream) => ({
    type: 'openai' as const,
    baseURL: m.url,
    apiKey: 'sk-soak-not-a-real-key',
    ...(healthy.includes(name) ? { timeouts: GENEROUS } : {}),
  });
  const config: RelayConfig = {
    providers: Object.fromEntries(Object.entries(mocks).map(([n, m]) => [n, provider(n, m)])),
    models: {
      ordered: { targets: [{ provider: 'f1', model: 'f1-m' }, { provider: 'f2', model: 'f2-m' }, { provider: 'h1', model: 'h1-m' }] },
      weighted: { strategy: 'weighted', targets: [{ provider: 'f2', model: 'f2-m' }, { provider: 'f3', model: 'f3-m' }, { provider: 'h2', model: 'h2-m' }] },
      busy: { strategy: 'least-busy', targets: [{ provider: 'f3', model: 'f3-m' }, { provider: 'h1', model: 'h1-m' }] },
      hedged: { hedge: { afterMs: 100 }, targets: [{ provider: 'f1', model: 'f1-m' }, { provider: 'h2', model: 'h2-m' }] },
      doomed: { targets: [{ provider: 'd1', model: 'd1-m' }, { provider: 'd2', model: 'd2-m' }] },
    },
    retry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 50 },
    timeouts: { firstByteMs: 300, idleMs: 300, firstTokenMs: 600, connectMs: 500, totalMs: 10_000 },
    breaker: { failureThreshold: 4, cooldownMs: 300 },
    stream: { resume: true },
    random: mulberry32(SEED + 1),
  };
  const relay = createRelay(config);
  const listeners = ['attempt', 'failover', 'complete', 'error'] as const;
  const events = new Map<string, number>();
  for (const name of listeners) relay.on(name, () => events.set(name, (events.get(name) ?? 0) + 1));
  const server = http.createServer(relay.nodeHandler({ prefix: '/v1' }));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = new Pool(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, { connections: CONCURRENCY });

  const models = ['ordered', 'weighted', 'busy', 'hedged'];
  const traffic = mulberry32(SEED + 2);
  const replyOfProvider = (p: string) => (p in mocks ? replyOf(p) : undefined);
  let sent = 0;
  let quit = 0;
  let served = 0;
  let refused = 0;
  const problems: string[] = [];
  const started = Date.now();
  const until = started + SECONDS * 1000;

  // Samples are taken with the traffic paused and drained, so they measure what the relay
  // retains between requests rather than what happens to be in flight.
  let gate: Promise<void> | undefined;
  let busy = 0;
  const worker = async () => {
    while (Date.now() < until) {
      while (gate) await gate;
      busy++;
      const doomed = traffic() < 0.1;
      const stream = traffic() < 0.5;
      const shot: Shot = { model: doomed ? 'doomed' : models[Math.floor(traffic() * models.length)]!, stream, includeUsage: stream && traffic() < 0.25 };
      if (traffic() < 0.05) shot.abortAfterMs = 1 + Math.floor(traffic() * 300);
      sent++;
      const out = await shoot(client, shot, 30_000).finally(() => busy--);
      if (out.aborted) {
        quit++;
        continue;
      }
      const problem = doomed ? checkFailure(out, [502, 503, 429]) : checkAnswer(shot, out, replyOfProvider);
      if (problem) problems.push(`${shot.model} ${stream ? 'stream' : 'json'}: ${problem}`);
      else if (doomed) refused++;
      else served++;
    }
  };

  const samples: Sample[] = [];
  const drained = () => busy === 0 && relay.inFlight === 0 && [...upstreamPools(relay).values()].every((p) => p.running + p.pending + p.queued === 0);
  let sampling = false;
  const pausedSample = async () => {
    if (sampling) return;
    sampling = true;
    let open!: () => void;
    gate = new Promise((resolve) => (open = resolve));
    await settle(drained, 5_000);
    sample();
    gate = undefined;
    open();
    sampling = false;
  };
  const sample = () => {
    arm();
    gc?.();
    const mem = process.memoryUsage();
    const r = resources();
    const handles = Object.values(r).reduce((a, b) => a + b, 0);
    const pooled = [...upstreamPools(relay).values()].reduce((n, p) => n + p.connected, 0) + client.stats.connected;
    const s: Sample = {
      t: (Date.now() - started) / 1000,
      heapUsed: mem.heapUsed,
      rss: mem.rss,
      handles,
      pooled,
      unpooled: handles - pooled,
      sockets: r.TCPSocketWrap ?? 0,
      timers: r.Timeout ?? 0,
      inFlight: relay.inFlight,
      requests: sent,
    };
    samples.push(s);
    const rate = samples.length > 1 ? (s.requests - samples.at(-2)!.requests) / (s.t - samples.at(-2)!.t) : 0;
    console.log(
      `t=${s.t.toFixed(0).padStart(4)}s heap=${MiB(s.heapUsed).padStart(6)} MiB rss=${MiB(s.rss).padStart(6)} MiB handles=${String(s.handles).padStart(4)} pooled=${String(s.pooled).padStart(3)} unpooled=${String(s.unpooled).padStart(3)} sockets=${String(s.sockets).padStart(4)} timers=${String(s.timers).padStart(3)} inFlight=${String(s.inFlight).padStart(3)} requests=${s.requests} (${rate.toFixed(0)}/s)`,
    );
  };

  console.log(`soak: ${SECONDS} s, ${CONCURRENCY} concurrent, sample every ${SAMPLE_MS / 1000} s, node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), gc ${gc ? 'exposed' : 'not exposed'}`);
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  sample();
  const sampler = setInterval(() => void pausedSample(), SAMPLE_MS);
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  clearInterval(sampler);
  while (sampling) await new Promise((r) => setTimeout(r, 10));
  lag.disable();

  // After the traffic: nothing in flight, pools idle, then everything closed.
  const idle = await settle(() => relay.inFlight === 0 && [...upstreamPools(relay).values()].every((p) => p.running + p.pending + p.queued === 0), 5_000);
  const leftListeners = relayListeners(relay);
  await client.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await relay.close();
  await Promise.all(Object.values(mocks).map((m) => m.close()));
  const closed = await settle(() => {
    const now = resources();
    return ['TCPSocketWrap', 'TCPServerWrap', 'Timeout'].every((k) => (now[k] ?? 0) <= (baseline[k] ?? 0));
  }, 5_000);

  const second = samples.filter((s) => s.t >= samples.at(-1)!.t / 2);
  const heapSlope = slope(second.map((s) => [s.t, s.heapUsed]));
  const handleSlope = slope(second.map((s) => [s.t, s.unpooled]));
  const elapsed = samples.at(-1)!.t;
  const judged = elapsed >= MIN_JUDGED_SECONDS;
  const unjudged = judged ? '' : ` (not judged: runs under ${MIN_JUDGED_SECONDS} s are all warm-up)`;
  const verdicts = [
    [`heap slope over the second half: ${(heapSlope / 1024).toFixed(1)} KiB/s (limit ${HEAP_SLOPE_LIMIT / 1024} KiB/s)${unjudged}`, !judged || heapSlope <= HEAP_SLOPE_LIMIT],
    [`slope of handles no pool accounts for, second half: ${handleSlope.toFixed(3)}/s (limit ${HANDLE_SLOPE_LIMIT}/s)${unjudged}`, !judged || handleSlope <= HANDLE_SLOPE_LIMIT],
    [`unexpected answers: ${problems.length}`, problems.length === 0],
    [`idle after the traffic (inFlight 0, pools idle): ${idle}`, idle],
    [`listeners left: ${leftListeners} (the soak's own: ${listeners.length})`, leftListeners === listeners.length],
    [`sockets, servers and timers back to the baseline after close: ${closed}`, closed],
  ] as const;
  const heaps = second.map((s) => s.heapUsed);
  console.log(`
soak summary
  duration ${elapsed.toFixed(0)} s, ${samples.length} samples, ${sent} requests (${(sent / elapsed).toFixed(0)}/s): ${served} served, ${refused} refused as expected, ${quit} clients left early
  heap after GC: first ${MiB(samples[0]!.heapUsed)} MiB, second half min ${MiB(Math.min(...heaps))} / max ${MiB(Math.max(...heaps))} MiB, last ${MiB(samples.at(-1)!.heapUsed)} MiB
  handles: second half min ${Math.min(...second.map((s) => s.handles))} / max ${Math.max(...second.map((s) => s.handles))}; pooled connections min ${Math.min(...second.map((s) => s.pooled))} / max ${Math.max(...second.map((s) => s.pooled))}; unpooled handles min ${Math.min(...second.map((s) => s.unpooled))} / max ${Math.max(...second.map((s) => s.unpooled))}
  faults injected: ${JSON.stringify(Object.fromEntries([...faults].sort((a, b) => b[1] - a[1])))}
  relay events: ${JSON.stringify(Object.fromEntries(events))}
  event-loop delay: p50 ${(lag.percentile(50) / 1e6).toFixed(0)} ms, p99 ${(lag.percentile(99) / 1e6).toFixed(0)} ms, max ${(lag.max / 1e6).toFixed(0)} ms
${verdicts.map(([text, ok]) => `  ${ok ? 'ok  ' : 'FAIL'} ${text}`).join('\n')}`);
  for (const p of problems.slice(0, 20)) console.log(`  unexpected: ${p}`);
  const pass = verdicts.every(([, ok]) => ok);
  console.log(`verdict: ${pass ? 'PASS' : 'FAIL'}`);
  return pass ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
