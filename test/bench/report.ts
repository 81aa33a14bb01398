/**
 * @module
 * The shape of a run's raw results, and what is made of them: medians and spreads over
 * the repeats, latency added over the direct call (computed within each repeat, then
 * the median taken), and the targets judged on those medians. `render.ts` and
 * `chart.ts` turn the summary into what a reader sees.
 */
import type { Plan } from './config.js';
import type { FixedRateResult, OpenStreamsResult, SaturateResult, SequentialResult } from './load.js';
import { spread, type Dist, type Spread } from './stats.js';

export type CaseId = 'direct' | 'floor' | 'node' | 'express' | 'koa' | 'nest' | 'portkey';
/**
 * Failover scenarios: the backup alone, then a failing primary (or open breakers) in
 * front of it; `-delayed`: the same with a backup that answers after a set latency.
 */
export type Scenario = 'base' | 'refused' | '503' | 'open-1' | 'open-n' | 'base-delayed' | 'refused-delayed' | '503-delayed';

export interface Machine {
  node: string;
  v8: string;
  platform: string;
  cpu: string;
  cores: number;
  memoryGB: number;
  commit: string;
  packages: Record<string, string>;
}

export interface MemoryResult extends OpenStreamsResult {
  /** RSS after warm-up, before the streams (MiB). */
  baselineMB: number;
  /** Highest RSS while the streams were open (MiB). */
  peakMB: number;
  costMB: number;
  /** Whether the peak includes the kernel's own high-water mark (VmHWM), not only 50 ms samples. */
  peakFromKernel: boolean;
}

/** CPU used by processes other than the bench's own while a measurement ran (set by the orchestrator). */
export interface Disturbance {
  /** Cores' worth, on average over the measurement. */
  foreignCores?: number;
  stealCores?: number;
}

/** Per repeat, `null` where that repeat's run failed (see `notes`). */
type Runs<T> = (T | null)[];

export interface CaseResult {
  id: CaseId;
  label: string;
  available: boolean;
  reason?: string;
  notes: string[];
  checks?: { json?: { status: number; bytes: number }; stream?: { status: number; bytes: number; events: number } };
  sequential: Runs<SequentialResult>;
  /** The 200-chunk stream, sent by the mock in one burst. */
  stream: Runs<SequentialResult>;
  /** The paced stream: one event per `firstToken.gapMs`. */
  firstToken: Runs<SequentialResult>;
  /** The direct call, measured interleaved with this case alone (Portkey's gateway): its baseline for "added". */
  baseline?: { sequential: Runs<SequentialResult>; stream: Runs<SequentialResult>; firstToken: Runs<SequentialResult> };
  fixedRate: Runs<FixedRateResult>;
  /** By number of connections. */
  saturation: Record<string, Runs<SaturateResult>>;
  memory?: MemoryResult;
}

export interface FailoverResults {
  latencyMs: number;
  skipped: number;
  relay: Partial<Record<Scenario, Runs<SequentialResult>>>;
  portkey: Partial<Record<Scenario, Runs<SequentialResult>>>;
  notes: string[];
}

export interface BenchResults {
  schema: 1;
  plan: Plan;
  command: string;
  startedAt: string;
  wallSeconds: number;
  machine: Machine;
  portkey: { ok: true; version: string; port: number } | { ok: false; reason: string };
  reply: { words: number };
  /** Other processes on the machine during the run (see `Disturbance`). */
  interference: { quietBelowCores: number; preflightCores?: number; perMeasurementCores?: Spread; disturbed: string[]; waitedSeconds: number };
  cases: CaseResult[];
  failover: FailoverResults;
}

// ---------------------------------------------------------------- summary

type Pct = 'p50' | 'p99' | 'p999';
type Lat = Partial<Record<Pct, Spread>>;

export interface CaseSummary {
  id: CaseId;
  label: string;
  available: boolean;
  reason?: string;
  notes: string[];
  rps: Record<string, Spread | undefined>;
  /** CPU time of the server process per request (µs), by number of connections. */
  cpuUs: Record<string, Spread | undefined>;
  /** The median req/s of the best concurrency level, and that level. */
  peak?: { rps: Spread; connections: number };
  vsFloor?: number;
  vsPortkey?: number;
  seq: Lat;
  seqAdded: Lat;
  fixed: Lat;
  fixedAdded: Lat;
  /** Answered req/s during the fixed-rate runs (below the rate: the server fell behind). */
  fixedRate?: Spread;
  /** Paced stream: time to the first token, and its difference to direct. */
  ttft: Lat;
  ttftAdded: Lat;
  /** Burst stream: first byte and last byte. */
  ttfb: Lat;
  ttfbAdded: Lat;
  ttlb: Lat;
  ttlbAdded: Lat;
  /** Requests that failed (non-2xx, transport error, stream without [DONE]) across all timed runs. */
  failures: { sequential: number; stream: number; firstToken: number; fixedRate: number; saturation: number };
  memory?: MemoryResult;
}

export interface FailoverRow {
  scenario: Scenario;
  p50?: Spread;
  p99?: Spread;
  added50?: Spread;
  added99?: Spread;
  failures: number;
}

export interface TargetCell {
  value: string;
  met?: boolean;
}
export interface TargetRow {
  target: string;
  cells: Partial<Record<CaseId, TargetCell>>;
}

export interface Summary {
  bench: BenchResults;
  cases: CaseSummary[];
  failover: { relay: FailoverRow[]; portkey: FailoverRow[]; perSkipped?: Spread; latencyMs: number; skipped: number };
  targets: TargetRow[];
}

const PCTS: Pct[] = ['p50', 'p99', 'p999'];
/** The switchyard cases, in the order the target table lists them. */
export const SWITCHYARD: CaseId[] = ['node', 'express', 'koa', 'nest'];

function lat(runs: Runs<SequentialResult | FixedRateResult>, pick: (r: SequentialResult & FixedRateResult) => Dist | undefined): Lat {
  const out: Lat = {};
  for (const p of PCTS) {
    const s = spread(runs.map((r) => (r ? pick(r as SequentialResult & FixedRateResult)?.[p] : undefined) ?? NaN));
    if (s) out[p] = s;
  }
  return out;
}

/** Per-repeat difference `a - b` of a percentile, then its spread. */
function added(
  a: Runs<SequentialResult | FixedRateResult>,
  b: Runs<SequentialResult | FixedRateResult>,
  pick: (r: SequentialResult & FixedRateResult) => Dist | undefined,
): Lat {
  const out: Lat = {};
  for (const p of PCTS) {
    const diffs: number[] = [];
    a.forEach((ra, i) => {
      const rb = b[i];
      const x = ra ? pick(ra as SequentialResult & FixedRateResult)?.[p] : undefined;
      const y = rb ? pick(rb as SequentialResult & FixedRateResult)?.[p] : undefined;
      if (x !== undefined && y !== undefined) diffs.push(x - y);
    });
    const s = spread(diffs);
    if (s) out[p] = s;
  }
  return out;
}

const failed = (runs: Runs<SequentialResult>) => runs.reduce((n, r) => n + (r ? r.errors + r.incomplete : 0), 0);

export function summarize(bench: BenchResults): Summary {
  const byId = new Map(bench.cases.map((c) => [c.id, c]));
  const direct = byId.get('direct');
  const none: Runs<never> = [];
  const cases: CaseSummary[] = bench.cases.map((c) => {
    const rps: Record<string, Spread | undefined> = {};
    const cpuUs: Record<string, Spread | undefined> = {};
    let peak: CaseSummary['peak'];
    for (const [conn, runs] of Object.entries(c.saturation)) {
      rps[conn] = spread(runs.map((r) => r?.rps ?? NaN));
      cpuUs[conn] = spread(runs.map((r) => r?.serverCpuUs ?? NaN));
      const s = rps[conn];
      if (s && (!peak || s.median > peak.rps.median)) peak = { rps: s, connections: Number(conn) };
    }
    const seqPick = (r: SequentialResult) => r.latency;
    return {
      id: c.id,
      label: c.label,
      available: c.available,
      reason: c.reason,
      notes: c.notes,
      rps,
      cpuUs,
      peak,
      seq: lat(c.sequential, seqPick),
      seqAdded: added(c.sequential, c.baseline?.sequential ?? direct?.sequential ?? none, seqPick),
      fixed: lat(c.fixedRate, (r) => r.latency),
      fixedAdded: added(c.fixedRate, direct?.fixedRate ?? none, (r) => r.latency),
      fixedRate: spread(c.fixedRate.map((r) => r?.completedRate ?? NaN)),
      ttft: lat(c.firstToken, (r) => r.ttft),
      ttftAdded: added(c.firstToken, c.baseline?.firstToken ?? direct?.firstToken ?? none, (r) => r.ttft),
      ttfb: lat(c.stream, (r) => r.ttfb),
      ttfbAdded: added(c.stream, c.baseline?.stream ?? direct?.stream ?? none, (r) => r.ttfb),
      ttlb: lat(c.stream, (r) => r.ttlb),
      ttlbAdded: added(c.stream, c.baseline?.stream ?? direct?.stream ?? none, (r) => r.ttlb),
      failures: {
        sequential: failed(c.sequential),
        stream: failed(c.stream),
        firstToken: failed(c.firstToken),
        fixedRate: c.fixedRate.reduce((n, r) => n + (r?.errors ?? 0), 0),
        saturation: Object.values(c.saturation).reduce((n, runs) => n + runs.reduce((m, r) => m + (r ? r.non2xx + r.errors + r.timeouts : 0), 0), 0),
      },
      memory: c.memory,
    };
  });
  const floor = cases.find((c) => c.id === 'floor')?.peak?.rps.median;
  const portkey = cases.find((c) => c.id === 'portkey')?.peak?.rps.median;
  for (const c of cases) {
    if (c.peak && floor) c.vsFloor = c.peak.rps.median / floor;
    if (c.peak && portkey) c.vsPortkey = c.peak.rps.median / portkey;
  }

  const fo = bench.failover;
  const rows = (set: Partial<Record<Scenario, Runs<SequentialResult>>>): FailoverRow[] =>
    (Object.keys(set) as Scenario[]).map((scenario) => {
      const runs = set[scenario]!;
      const l = lat(runs, (r) => r.latency);
      const baseline = scenario.endsWith('-delayed') ? set['base-delayed'] : set.base;
      const a = added(runs, baseline ?? none, (r) => r.latency);
      const isBase = scenario.startsWith('base');
      return { scenario, p50: l.p50, p99: l.p99, added50: isBase ? undefined : a.p50, added99: isBase ? undefined : a.p99, failures: failed(runs) };
    });
  const relayRows = rows(fo.relay);
  const openN = relayRows.find((r) => r.scenario === 'open-n')?.added50;
  const perSkipped = openN ? { median: openN.median / fo.skipped, min: openN.min / fo.skipped, max: openN.max / fo.skipped, n: openN.n } : undefined;
  const summary: Summary = {
    bench,
    cases,
    failover: { relay: relayRows, portkey: rows(fo.portkey), perSkipped, latencyMs: fo.latencyMs, skipped: fo.skipped },
    targets: [],
  };
  summary.targets = judge(summary);
  return summary;
}

// ---------------------------------------------------------------- targets

/** Microseconds as milliseconds, for reading. */
export const ms = (us: number | undefined, digits = 3) => (us === undefined ? '–' : `${(us / 1000).toFixed(digits)} ms`);

function judge(s: Summary): TargetRow[] {
  const get = (id: CaseId) => s.cases.find((c) => c.id === id && c.available);
  const below = (v: number | undefined, limitUs: number): TargetCell =>
    v === undefined ? { value: 'not measured' } : { value: ms(v), met: v < limitUs };
  const each = (cell: (c: CaseSummary) => TargetCell, only: CaseId[] = SWITCHYARD): Partial<Record<CaseId, TargetCell>> => {
    const out: Partial<Record<CaseId, TargetCell>> = {};
    for (const id of only) {
      const c = get(id);
      out[id] = c ? cell(c) : { value: 'unavailable' };
    }
    return out;
  };
  const ratio = (c: CaseSummary, vs: number | undefined, min: number, what: string): TargetCell =>
    vs === undefined ? { value: `no ${what}` } : { value: `${vs.toFixed(2)}×`, met: vs >= min };
  const portkeyUp = s.cases.some((c) => c.id === 'portkey' && c.available && c.peak);
  return [
    { target: 'Sequential added latency p50 < 0.15 ms', cells: each((c) => below(c.seqAdded.p50?.median, 150)) },
    { target: 'Sequential added latency p99 < 1 ms', cells: each((c) => below(c.seqAdded.p99?.median, 1_000)) },
    { target: 'At 1,000 req/s: added p50 < 0.3 ms', cells: each((c) => below(c.fixedAdded.p50?.median, 300)) },
    { target: 'At 1,000 req/s: added p99 < 1.5 ms', cells: each((c) => below(c.fixedAdded.p99?.median, 1_500)) },
    { target: 'Throughput on node:http ≥ 80% of the floor', cells: each((c) => ratio(c, c.vsFloor, 0.8, 'floor'), ['node']) },
    { target: 'Throughput on Express ≥ 45% of the floor', cells: each((c) => ratio(c, c.vsFloor, 0.45, 'floor'), ['express']) },
    {
      target: "Throughput ≥ 3× Portkey's gateway",
      cells: each((c) => (portkeyUp ? ratio(c, c.vsPortkey, 3, 'Portkey') : { value: 'Portkey unavailable' })),
    },
    { target: 'Streaming: added time to first byte (first token) < 0.5 ms', cells: each((c) => below(c.ttftAdded.p50?.median, 500)) },
    {
      target: '1,000 open streams: relay process RSS < 150 MB',
      cells: each((c) => {
        const m = c.memory;
        if (!m) return { value: 'not measured' };
        const value = `${m.peakMB.toFixed(1)} MB`;
        if (m.requested < 1_000) return { value: `${value} with ${m.requested} streams (not judged)` };
        if (m.opened < m.requested) return { value: `${value} with only ${m.opened}/${m.requested} open`, met: false };
        return { value, met: m.peakMB < 150 };
      }),
    },
    {
      target: 'Open breaker: < 0.05 ms per skipped target',
      cells: { node: s.failover.perSkipped ? below(s.failover.perSkipped.median, 50) : { value: 'not measured' } },
    },
  ];
}
