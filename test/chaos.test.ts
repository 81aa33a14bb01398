/**
 * Chaos: sustained concurrent traffic (32 at a time, streaming and JSON) through the relay
 * into mock upstreams that inject every fault the mock knows, drawn per request from a
 * fixed seed (mulberry32) in `mock.onRequest`: 5xx, 429 with Retry-After, 401, a
 * context-length 400, resets before headers, hangs, a first byte past `firstByteMs`,
 * streams cut or erroring before content, malformed JSON and SSE, in-band error objects,
 * slow drips and drips that stall past `idleMs`; in the resume scenario also streams that
 * die or error after content was sent. A refused port stands in for a dead host.
 *
 * The seed fixes the sequence of faults each mock draws; which request gets which draw
 * still depends on arrival order under concurrency, so runs differ in detail but not in
 * the mix. The relay gets a seeded `random` too (backoff jitter, weighted order).
 *
 * Scenarios:
 * 1. Every chain has a healthy target; resume off. Mid-stream deaths are injected only
 *    before content (`dieAfterChunks: 1` cuts after the role preamble, `errorAfterChunks: 1`),
 *    because a stream that dies after content cannot be failed over by design (it ends with
 *    an error event). Every request must succeed with exactly one upstream's whole answer.
 * 2. The same with `stream: { resume: true }` and deaths after content too: every request
 *    must succeed, and a resumed stream must be exactly the splice its trailer announces
 *    (a prefix of each broken target's reply, then the whole reply of the last).
 * 3. No healthy target: every request fails with the envelope its status calls for
 *    (502 all_targets_failed, 503 no_available_target, 429 rate_limit_exceeded, 504
 *    deadline_exceeded), as JSON, before a generous hang detector.
 *
 * After each scenario: no request in flight on the relay, no listener left but the test's,
 * upstream pools idle, every TCP socket accounted for by a keep-alive pool, no ref'd
 * timer left over; at the end no unhandled rejection. The figures are printed.
 * 2,000 + 600 + 400 = 3,000 requests; 10-20 s on 2 cores.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRelay, type Relay, type RelayConfig, type RelayEventName } from 'switchyard';
import { createMockUpstream, type MockUpstream } from 'switchyard/testing';
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
  runLoad,
  settle,
  shoot,
  upstreamPools,
  type Outcome,
  type Shot,
} from './helpers/load.js';

const SEED = 0x5eed_c4a05;
const CONCURRENCY = 32;
const EVENTS: RelayEventName[] = ['attempt', 'retry', 'failover', 'breakerOpen', 'breakerHalfOpen', 'breakerClose', 'complete', 'error'];

const rejections: unknown[] = [];
const onRejection = (reason: unknown) => rejections.push(reason);
let baseline: Record<string, number>;

beforeAll(() => {
  process.on('unhandledRejection', onRejection);
  baseline = resources();
});

afterAll(async () => {
  process.off('unhandledRejection', onRejection);
  expect(rejections).toEqual([]);
  // Everything each scenario opened is closed again: sockets, servers, ref'd timers.
  const ok = await settle(() => {
    const now = resources();
    return ['TCPSocketWrap', 'TCPServerWrap', 'Timeout'].every((k) => (now[k] ?? 0) <= (baseline[k] ?? 0));
  });
  expect(ok, `resources after the run: ${JSON.stringify(resources())}, before: ${JSON.stringify(baseline)}`).toBe(true);
});

interface Rig {
  relay: Relay;
  server: http.Server;
  client: Pool;
  mocks: Record<string, MockUpstream>;
  faults: Map<string, number>;
  events: Map<string, number>;
  listeners: number;
  close(): Promise<void>;
}

/** Starts the mocks, a relay over them on node:http, and a client pool of CONCURRENCY connections. */
async function rig(
  mockNames: { healthy: string[]; faulty: string[] },
  menu: Parameters<typeof faultDecider>[0],
  config: (mocks: Record<string, MockUpstream>) => RelayConfig,
  seed: number,
): Promise<Rig> {
  const random = mulberry32(seed);
  const faults = new Map<string, number>();
  const mocks: Record<string, MockUpstream> = {};
  for (const name of [...mockNames.healthy, ...mockNames.faulty]) {
    mocks[name] = await createMockUpstream({ name, reply: replyOf(name) });
  }
  for (const name of mockNames.faulty) mocks[name]!.onRequest(faultDecider(menu, random, faults));
  const relay = createRelay({ ...config(mocks), random: mulberry32(seed ^ 0xabcdef) });
  const events = new Map<string, number>();
  // The relay's own listeners (OpenTelemetry, when its API is installed) are there from the start.
  const own = relayListeners(relay);
  for (const name of EVENTS) {
    relay.on(name, (e: unknown) => {
      const outcome = (e as { outcome?: string }).outcome;
      const key = name === 'attempt' ? `attempt:${outcome}` : name;
      events.set(key, (events.get(key) ?? 0) + 1);
    });
  }
  const server = http.createServer(relay.nodeHandler({ prefix: '/v1' }));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = new Pool(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, { connections: CONCURRENCY });
  return {
    relay,
    server,
    client,
    mocks,
    faults,
    events,
    listeners: own + EVENTS.length,
    async close() {
      await client.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await relay.close();
      await Promise.all(Object.values(mocks).map((m) => m.close()));
    },
  };
}

function provider(mock: MockUpstream, extra: Record<string, unknown> = {}) {
  return { type: 'openai' as const, baseURL: mock.url, apiKey: 'sk-chaos-not-a-real-key', ...extra };
}

/**
 * Healthy upstreams get generous timeouts: a slow CI machine's event-loop stall must not
 * make a healthy target look hung (the faulty ones keep the short ones, so hangs resolve fast).
 */
const GENEROUS = { timeouts: { firstByteMs: 10_000, idleMs: 10_000, firstTokenMs: 10_000 } };

/**
 * Leak checks while the rig is still up and idle: nothing in flight, only the test's
 * listeners, upstream pools with nothing running or queued, and every TCP socket
 * accounted for by a keep-alive pool (each pooled connection is two sockets in this
 * process: the pool's end and the server's end).
 */
async function expectNoLeaks(r: Rig, before: Record<string, number>): Promise<Record<string, unknown>> {
  const pooled = () => [...upstreamPools(r.relay).values()].reduce((n, s) => n + s.connected, 0) + r.client.stats.connected;
  const idle = () => [...upstreamPools(r.relay).values()].every((s) => s.running === 0 && s.pending === 0 && s.queued === 0);
  // An aborted upstream request, or a socket a mock is closing, may take a tick to go.
  await settle(() => idle() && r.relay.inFlight === 0);
  const accounted = await settle(() => (resources().TCPSocketWrap ?? 0) - (before.TCPSocketWrap ?? 0) <= 2 * pooled());
  const timersBack = await settle(() => (resources().Timeout ?? 0) <= (before.Timeout ?? 0));
  const pools = upstreamPools(r.relay);
  expect(r.relay.inFlight).toBe(0);
  expect(relayListeners(r.relay)).toBe(r.listeners);
  for (const [name, stats] of pools) {
    expect({ name, running: stats.running, pending: stats.pending, queued: stats.queued }).toEqual({ name, running: 0, pending: 0, queued: 0 });
  }
  expect(accounted, `TCP sockets ${resources().TCPSocketWrap} (baseline ${before.TCPSocketWrap}) vs pooled connections ${pooled()}`).toBe(true);
  expect(timersBack, `ref'd timers ${resources().Timeout} vs ${before.Timeout} before`).toBe(true);
  return {
    upstreamConnections: Object.fromEntries([...pools].map(([n, s]) => [n, s.connected])),
    clientConnections: r.client.stats.connected,
    tcpSockets: resources().TCPSocketWrap ?? 0,
  };
}

function report(title: string, r: Rig, sent: number, failures: string[], extra: Record<string, unknown>) {
  const sorted = (m: Map<string, number>) => Object.fromEntries([...m].sort((a, b) => b[1] - a[1]));
  console.log(
    `\n[chaos] ${title}\n` +
      JSON.stringify({ requests: sent, failures: failures.length, faultsInjected: sorted(r.faults), relayEvents: sorted(r.events), ...extra }, null, 2),
  );
}

/** The requests of a scenario: models, streaming or not, and (`quitters` of them) clients that walk away. */
function shots(count: number, models: string[], seed: number, quitters = 0): Shot[] {
  const random = mulberry32(seed);
  return Array.from({ length: count }, () => {
    const stream = random() < 0.5;
    const shot: Shot = { model: models[Math.floor(random() * models.length)]!, stream, includeUsage: stream && random() < 0.25 };
    if (random() < quitters) shot.abortAfterMs = 1 + Math.floor(random() * 300);
    return shot;
  });
}

// Past an event-loop stall of a loaded 2-core machine, short of the faults' 2 s stalls and late first bytes.
const QUICK_TIMEOUTS = { firstByteMs: 1_000, idleMs: 1_000, firstTokenMs: 1_500, connectMs: 500 };

/** Healthy `h1`, `h2`; faulty `f1`..`f3`; every model or chain has a healthy target. */
function healthyChains(resume: boolean) {
  return (m: Record<string, MockUpstream>): RelayConfig => ({
    providers: Object.fromEntries(Object.entries(m).map(([name, mock]) => [name, provider(mock, name.startsWith('h') ? GENEROUS : {})])),
    models: {
      ordered: { targets: [{ provider: 'f1', model: 'f1-m' }, { provider: 'f2', model: 'f2-m' }, { provider: 'h1', model: 'h1-m' }] },
      weighted: { strategy: 'weighted', targets: [{ provider: 'f2', model: 'f2-m' }, { provider: 'f3', model: 'f3-m' }, { provider: 'h2', model: 'h2-m' }] },
      busy: { strategy: 'least-busy', targets: [{ provider: 'f3', model: 'f3-m' }, { provider: 'f1', model: 'f1-m' }, { provider: 'h2', model: 'h2-m' }] },
      fast: { strategy: 'latency', targets: [{ provider: 'f1', model: 'f1-m' }, { provider: 'h1', model: 'h1-m' }] },
      hedged: { hedge: { afterMs: 100 }, targets: [{ provider: 'f2', model: 'f2-m' }, { provider: 'h2', model: 'h2-m' }] },
    },
    chains: { tier: ['fast', { provider: 'f3', model: 'f3-m' }, 'busy'] },
    retry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 50 },
    timeouts: { ...QUICK_TIMEOUTS, totalMs: 15_000 },
    // A short cooldown keeps probing the faulty targets, so faults keep flowing.
    breaker: { failureThreshold: 4, cooldownMs: 300 },
    stream: { resume },
  });
}

const HEALTHY_MODELS = ['ordered', 'weighted', 'busy', 'fast', 'hedged', 'tier'];
const replyOfProvider = (p: string) => (/^[hf]\d$/.test(p) ? replyOf(p) : undefined);

async function successScenario(title: string, total: number, resume: boolean, seed: number) {
  const before = resources();
  const menu = resume ? [...FAILING_FAULTS, ...HARMLESS_FAULTS, ...MID_STREAM_FAULTS] : [...FAILING_FAULTS, ...HARMLESS_FAULTS];
  const r = await rig({ healthy: ['h1', 'h2'], faulty: ['f1', 'f2', 'f3'] }, menu, healthyChains(resume), seed);
  const failures: string[] = [];
  let resumed = 0;
  let quit = 0;
  try {
    // 5% of the clients walk away after 1-300 ms: mid-failover, mid-backoff or mid-stream.
    const plan = shots(total, HEALTHY_MODELS, seed + 1, 0.05);
    await runLoad(total, CONCURRENCY, async (i) => {
      const shot = plan[i]!;
      const out: Outcome = await shoot(r.client, shot, 30_000);
      if (out.aborted) return void quit++;
      const problem = checkAnswer(shot, out, replyOfProvider);
      if (problem) failures.push(`#${i} ${shot.model} ${shot.stream ? 'stream' : 'json'}: ${problem}`);
      if (out.trailers?.['x-switchyard-resumed-from']) resumed++;
    });
    const leaks = await expectNoLeaks(r, before);
    report(title, r, total, failures, { clientsWhoLeft: quit, resumedStreams: resumed, ...leaks });
    expect(failures).toEqual([]);
    expect(quit).toBeGreaterThan(0);
    // The mix really was chaotic: most fault kinds were drawn, and failovers happened.
    expect(r.faults.size).toBeGreaterThanOrEqual(menu.length - 1);
    expect(r.events.get('failover') ?? 0).toBeGreaterThan(0);
    if (resume) expect(resumed).toBeGreaterThan(0);
  } finally {
    await r.close();
  }
}

describe('chaos', () => {
  it('every request succeeds with one upstream\'s whole answer when each chain has a healthy target (2,000 requests)', async () => {
    await successScenario('healthy target in every chain, resume off', 2_000, false, SEED);
  }, 60_000);

  it('with stream resume, streams that die after content are spliced, never truncated (600 requests)', async () => {
    await successScenario('healthy target in every chain, resume on, deaths after content', 600, true, SEED + 2);
  }, 60_000);

  it('with no healthy target every request fails fast with the right envelope (400 requests)', async () => {
    const before = resources();
    // A port nothing listens on: connection refused.
    const dead = http.createServer();
    dead.listen(0, '127.0.0.1');
    await once(dead, 'listening');
    const deadURL = `http://127.0.0.1:${(dead.address() as AddressInfo).port}/v1`;
    await new Promise<void>((resolve) => dead.close(() => resolve()));

    const TOTAL_MS = 1_500;
    const r = await rig({ healthy: [], faulty: ['b1', 'b2', 'l1', 'l2', 's1', 's2'] }, FAILING_FAULTS, (m) => ({
      providers: {
        // Breakers that never open: every request meets the broken targets' faults (502).
        b1: provider(m.b1!, { breaker: { failureThreshold: 1_000_000 } }),
        b2: provider(m.b2!, { breaker: { failureThreshold: 1_000_000 } }),
        l1: provider(m.l1!),
        l2: provider(m.l2!),
        // Wait for headers and first token longer than the deadline: only the deadline ends these.
        s1: provider(m.s1!, { timeouts: { firstByteMs: 60_000, firstTokenMs: 60_000 } }),
        s2: provider(m.s2!, { timeouts: { firstByteMs: 60_000, firstTokenMs: 60_000 } }),
        refused: { type: 'openai', baseURL: deadURL, apiKey: 'sk-chaos-not-a-real-key' },
      },
      models: {
        broken: { targets: [{ provider: 'b1', model: 'b1-m' }, { provider: 'b2', model: 'b2-m' }] },
        limited: { targets: [{ provider: 'l1', model: 'l1-m' }, { provider: 'l2', model: 'l2-m' }] },
        stuck: { targets: [{ provider: 's1', model: 's1-m' }, { provider: 's2', model: 's2-m' }] },
        gone: { targets: [{ provider: 'refused', model: 'x' }, { provider: 'b1', model: 'b1-m' }] },
      },
      retry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 50 },
      timeouts: { firstByteMs: 100, idleMs: 100, firstTokenMs: 200, connectMs: 200, totalMs: TOTAL_MS },
      breaker: { failureThreshold: 4, cooldownMs: 200 },
    }), SEED + 4);
    // Rate-limited targets always say 429; hung ones always hang; the broken ones draw
    // from every failing fault (seeded).
    for (const name of ['l1', 'l2']) r.mocks[name]!.onRequest(() => (r.faults.set('429 + Retry-After', (r.faults.get('429 + Retry-After') ?? 0) + 1), { status: 429, retryAfter: 30 }));
    for (const name of ['s1', 's2']) r.mocks[name]!.onRequest(() => (r.faults.set('hang', (r.faults.get('hang') ?? 0) + 1), { hang: true }));

    // 429 whenever every target tried said 429 (a broken target draws 429s too); 503 once
    // every breaker is open (429s and refused connections count against them).
    const allowed: Record<string, number[]> = { broken: [502, 429], limited: [429, 503], stuck: [504], gone: [502, 503, 429] };
    const total = 400;
    const plan = shots(total, ['broken', 'broken', 'limited', 'gone', 'stuck'], SEED + 5);
    const failures: string[] = [];
    const statuses = new Map<string, number>();
    try {
      await runLoad(total, CONCURRENCY, async (i) => {
        const shot = plan[i]!;
        // The hang detector: generous, far past the deadline, never hit by a healthy relay.
        const out = await shoot(r.client, shot, TOTAL_MS + 10_000);
        statuses.set(`${shot.model}:${out.status}`, (statuses.get(`${shot.model}:${out.status}`) ?? 0) + 1);
        const problem = checkFailure(out, allowed[shot.model]!);
        if (problem) failures.push(`#${i} ${shot.model} ${shot.stream ? 'stream' : 'json'}: ${problem}`);
      });
      const leaks = await expectNoLeaks(r, before);
      report('no healthy target', r, total, failures, { statuses: Object.fromEntries([...statuses].sort()), ...leaks });
      expect(failures).toEqual([]);
    } finally {
      await r.close();
    }
  }, 60_000);
});
