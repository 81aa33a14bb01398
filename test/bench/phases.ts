/**
 * @module
 * The measurements the orchestrator repeats: interleaved sequential runs over every case,
 * the failover scenarios, and the memory of a server holding many streams. Each takes
 * a `Measurer` (see measure.ts) and the load generator's process.
 */
import { MODEL, chatBody, type Plan } from './config.js';
import type { OpenStreamsResult, SequentialResult, Target } from './load.js';
import { sleep, type Measurer } from './measure.js';
import type { PortkeyStatus } from './portkey.js';
import { memoryOf, resetPeak, type Started } from './procs.js';
import type { CaseId, CaseResult, FailoverResults, Scenario } from './report.js';

const HEADERS = { 'content-type': 'application/json', authorization: 'Bearer sk-bench' };
export const P = '/v1/chat/completions';

/** A latency in µs, for the progress log. */
export const fmt = (us: number | undefined) => (us === undefined ? '-' : `${(us / 1000).toFixed(3)} ms`);

/** A chat completion request to `origin`, with the bench's headers and `extra`. */
export function target(origin: string, urlPath: string, model: string, stream: boolean, extra: Record<string, string> = {}): Target {
  return { origin, path: urlPath, headers: { ...HEADERS, ...extra }, body: chatBody(model, stream) };
}

/** One case: where its JSON, streaming and slow-streaming requests go, and which process to watch. */
export interface Case {
  id: CaseId;
  label: string;
  pid?: number;
  json: Target;
  stream: Target;
  paced: Target;
  slow?: Target;
  /** Replaces the case's process by a fresh one (for the memory run), with its new targets. */
  fresh?: () => Promise<Pick<Case, 'pid' | 'json' | 'stream' | 'slow' | 'cpu'>>;
  /** The server process's CPU time so far, µs. */
  cpu?: () => Promise<number | undefined>;
}

/** Measures `run` and the CPU each server used meanwhile, per request it served (`requests(i)`). */
export async function withCpu<T>(cpus: (() => Promise<number | undefined>)[], run: () => Promise<T>, requests: (result: T, i: number) => number): Promise<{ result: T; cpuUs: (number | undefined)[] }> {
  const before = await Promise.all(cpus.map((c) => c().catch(() => undefined)));
  const result = await run();
  const after = await Promise.all(cpus.map((c) => c().catch(() => undefined)));
  return {
    result,
    cpuUs: cpus.map((_, i) => {
      const n = requests(result, i);
      const a = before[i];
      const b = after[i];
      return a === undefined || b === undefined || n <= 0 ? undefined : Math.round((b - a) / n);
    }),
  };
}

/** Requests one lane of an interleaved run sent, warm-up included. */
export const served = (r: SequentialResult | undefined, warmup: number) => (r ? r.ok + r.errors + r.incomplete + warmup : 0);

export type SequentialKey = 'sequential' | 'stream' | 'firstToken';

/**
 * One interleaved sequential measurement (see `interleaved` in load.ts), stored as
 * repeat `rep` of each case. Portkey's gateway runs in a group of its own with the
 * direct call as its baseline: its work after each answer (over a millisecond of CPU)
 * would otherwise land on whichever request comes next.
 */
export async function interleavedPhase(
  m: Measurer,
  load: Started,
  cases: Case[],
  results: Map<CaseId, CaseResult>,
  rep: number,
  what: string,
  pick: (c: Case) => Target,
  phase: { requests: number; warmup: number; maxMs: number },
  stream: boolean,
  key: SequentialKey,
  line: (s: SequentialResult | undefined) => string,
): Promise<void> {
  const direct = cases.find((c) => c.id === 'direct');
  const apart = cases.filter((c) => c.id === 'portkey' || c.id === 'nullplatform');
  const groups = [cases.filter((c) => !apart.includes(c)), ...(direct ? apart.map((c) => [direct, c]) : [])];
  for (const [g, group] of groups.entries()) {
    const notes: string[] = [];
    const maxMs = phase.maxMs * group.length;
    const got = await m.measured(notes, what, async () => {
      const { result, cpuUs } = await withCpu(
        group.map((c) => c.cpu ?? (async () => undefined)),
        () => load.channel.call<SequentialResult[]>('interleaved', { targets: group.map(pick), rounds: phase.requests, warmup: phase.warmup, maxMs, stream }, maxMs + 60_000),
        (runs, i) => served(runs[i], phase.warmup),
      );
      return { runs: result.map((r, i) => ({ ...r, serverCpuUs: cpuUs[i] })) };
    });
    const peer = g > 0 ? results.get(group[1]!.id)! : undefined;
    group.forEach((c, i) => {
      const s = got ? { ...got.runs[i]!, foreignCores: got.foreignCores, stealCores: got.stealCores } : undefined;
      if (peer && c === direct) {
        (peer.baseline ??= { sequential: [], stream: [], firstToken: [] })[key][rep] = s ?? null;
        return;
      }
      const r = results.get(c.id)!;
      r.notes.push(...notes);
      r[key][rep] = s ?? null;
      m.log(`  ${c.label.padEnd(28)} ${line(s)}`);
    });
  }
}

/**
 * Failover costs: a failing primary in front of a backup, against the backup alone; with
 * a backup that answers at once (the relay's own cost, sharp) and one with a set latency.
 */
export async function runFailover(
  m: Measurer,
  plan: Plan,
  load: Started,
  relayOrigin: string,
  portkey: PortkeyStatus,
  up: { backup: string; delayed: string; p503: string; dead: string },
): Promise<FailoverResults> {
  const { requests, warmup, maxMs, skipped, latencyMs } = plan.failover;
  const out: FailoverResults = { latencyMs, skipped, relay: {}, portkey: {}, notes: [] };
  const relayScenarios: Scenario[] = ['base', 'refused', '503', 'open-1', 'open-n', 'base-delayed', 'refused-delayed', '503-delayed'];
  const relayTargets = relayScenarios.map((sc) => [sc, target(relayOrigin, P, `fo-${sc}`, false)] as const);
  // Portkey: the same chains as a fallback config (it has no breakers).
  const portkeyTargets: (readonly [Scenario, Target])[] = [];
  if (portkey.ok) {
    const chain = (...hosts: string[]) => ({
      'x-portkey-config': JSON.stringify({
        strategy: { mode: 'fallback' },
        targets: hosts.map((h) => ({ provider: 'openai', api_key: 'sk-bench', custom_host: h })),
      }),
    });
    const po = `http://127.0.0.1:${portkey.port}`;
    portkeyTargets.push(['base', target(po, P, MODEL, false, chain(up.backup))]);
    portkeyTargets.push(['refused', target(po, P, MODEL, false, chain(up.dead, up.backup))]);
    portkeyTargets.push(['503', target(po, P, MODEL, false, chain(up.p503, up.backup))]);
    portkeyTargets.push(['base-delayed', target(po, P, MODEL, false, chain(up.delayed))]);
    portkeyTargets.push(['refused-delayed', target(po, P, MODEL, false, chain(up.dead, up.delayed))]);
    portkeyTargets.push(['503-delayed', target(po, P, MODEL, false, chain(up.p503, up.delayed))]);
  }
  m.log(`failover: failing primaries are tried once; the backup answers at once, or after ${latencyMs} ms (-delayed)`);
  // Opens the breakers of the tripped targets, and warms every path.
  for (const [, t] of [...relayTargets, ...portkeyTargets]) {
    await m.attempt(out.notes, 'failover warm-up', () => load.channel.call('sequential', { target: t, requests: 20, warmup: 0, maxMs: 2_000, stream: false }, 30_000));
  }
  // The scenarios of each side interleaved request by request; the two sides apart (see interleavedPhase).
  for (let rep = 0; rep < plan.repeats; rep++) {
    m.log(`failover, repeat ${rep + 1}/${plan.repeats}`);
    for (const [who, list] of [['relay', relayTargets], ['portkey', portkeyTargets]] as const) {
      if (list.length === 0) continue;
      const got = await m.measured(out.notes, `failover ${who}`, async () => ({
        runs: await load.channel.call<SequentialResult[]>(
          'interleaved',
          { targets: list.map(([, t]) => t), rounds: requests, warmup, maxMs: maxMs * list.length, stream: false },
          maxMs * list.length + 60_000,
        ),
      }));
      list.forEach(([scenario], i) => {
        const s = got ? { ...got.runs[i]!, foreignCores: got.foreignCores, stealCores: got.stealCores } : undefined;
        (out[who][scenario] ??= [])[rep] = s ?? null;
        m.log(`  ${`${who} ${scenario}`.padEnd(24)} p50 ${fmt(s?.latency?.p50)}  p99 ${fmt(s?.latency?.p99)}  n=${s?.ok ?? 0}${s?.errors ? ` errors=${s.errors} (${s.firstError})` : ''}`);
      });
    }
  }
  return out;
}

/** Memory of the case's process while `count` streams are open through it. */
export async function measureMemory(m: Measurer, streams: Plan['streams'], load: Started, c: Case, notes: string[], slow = c.slow): Promise<CaseResult['memory']> {
  if (!c.pid || !slow) return undefined;
  const pid = c.pid;
  const base = memoryOf(pid);
  if (!base) return undefined;
  const hwm = resetPeak(pid);
  let peak = base.rssMB;
  const sampler = setInterval(() => {
    const now = memoryOf(pid);
    if (now) peak = Math.max(peak, now.rssMB);
  }, 50);
  let opened: OpenStreamsResult | undefined;
  try {
    const { count, openTimeoutMs, holdMs } = streams;
    opened = await m.attempt(notes, 'memory', () =>
      load.channel.call<OpenStreamsResult>('openStreams', { target: slow, count, timeoutMs: openTimeoutMs }, openTimeoutMs + 30_000),
    );
    await sleep(holdMs);
  } finally {
    clearInterval(sampler);
  }
  const end = memoryOf(pid);
  if (end) peak = Math.max(peak, end.rssMB, hwm ? end.hwmMB : 0);
  await m.attempt(notes, 'memory close', () => load.channel.call('closeStreams', {}, 30_000));
  await sleep(500);
  if (!opened) return undefined;
  return { ...opened, baselineMB: base.rssMB, peakMB: peak, costMB: peak - base.rssMB, peakFromKernel: hwm };
}
