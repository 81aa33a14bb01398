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

export type CaseId = 'direct' | 'floor' | 'floor-express' | 'floor-koa' | 'floor-nest' | 'node' | 'express' | 'koa' | 'nest' | 'portkey' | 'nullplatform';
export type AdapterId = 'node' | 'express' | 'koa' | 'nest';
/** Each adapter's own framework floor (the framework, one route piping to undici, nothing parsed). */
export const FLOOR_OF: Record<AdapterId, CaseId> = { node: 'floor', express: 'floor-express', koa: 'floor-koa', nest: 'floor-nest' };
/** The peer gateways. */
export const PEERS: CaseId[] = ['portkey', 'nullplatform'];
/** Client formats other than chat, each native (the target speaks it) and translated (to chat). */
export type FormatId = 'responses-native' | 'responses-translated' | 'messages-native' | 'messages-translated';
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

/** One format case, each measured interleaved with its direct call (the upstream's own API). */
export interface FormatRun {
  id: FormatId;
  label: string;
  json: Runs<SequentialResult>;
  stream: Runs<SequentialResult>;
  directJson: Runs<SequentialResult>;
  directStream: Runs<SequentialResult>;
  notes: string[];
}

/** One growth series: per size, per case, the repeats (sequential, interleaved, with server CPU per request). */
export interface GrowthSeries {
  sizes: number[];
  runs: Partial<Record<CaseId, Runs<SequentialResult>[]>>;
}

export interface BenchResults {
  schema: 1 | 2;
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
  /** Schema 2 (issue 17) and later. */
  nullplatform?: { ok: true; version: string; port: number } | { ok: false; reason: string };
  formats?: FormatRun[];
  growth?: { prompt: GrowthSeries; answer: GrowthSeries };
  /** Many concurrent streams (node:http relay and floor). */
  manyStreams?: Partial<Record<CaseId, MemoryResult>>;
  /** A caller limit and budget: memory store, Redis store (node:http relay). */
  store?: { memory: Runs<SequentialResult>; redis: Runs<SequentialResult>; reason?: string; notes: string[] };
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
  /** Adapters: against their own framework's floor. */
  ownFloor?: { id: CaseId; vsFloor?: number; seq: Lat; ttft: Lat; ttlb: Lat };
  /** Server CPU per request in the sequential JSON runs, µs. */
  seqCpuUs?: Spread;
  /** Best throughput over each peer's. */
  vsPeers: Partial<Record<CaseId, number>>;
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

export interface FormatSummary {
  id: FormatId;
  label: string;
  json: Lat;
  jsonAdded: Lat;
  ttfbAdded: Lat;
  ttlb: Lat;
  ttlbAdded: Lat;
  cpuUs?: Spread;
  streamCpuUs?: Spread;
  notes: string[];
}

/** One point of a growth series for one case. */
export interface GrowthPoint {
  size: number;
  p50?: Spread;
  added?: Spread;
  cpuUs?: Spread;
}

export interface Summary {
  bench: BenchResults;
  cases: CaseSummary[];
  failover: { relay: FailoverRow[]; portkey: FailoverRow[]; perSkipped?: Spread; latencyMs: number; skipped: number };
  targets: TargetRow[];
  /** Issue 17's targets. */
  targets17: TargetRow[];
  formats: FormatSummary[];
  growth: { prompt: Partial<Record<CaseId, GrowthPoint[]>>; answer: Partial<Record<CaseId, GrowthPoint[]>> };
  /** CPU per relayed stream event, from the answer series (µs): the slope between its shortest and longest answers. */
  cpuPerEvent: Partial<Record<CaseId, number>>;
  store?: { memory: Lat; redis: Lat; added: Lat; reason?: string };
  manyStreams: Partial<Record<CaseId, MemoryResult & { perStreamKB: number }>>;
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

const seqLatency = (r: SequentialResult) => r.latency;
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
      vsPeers: {},
    };
  });
  const floor = cases.find((c) => c.id === 'floor')?.peak?.rps.median;
  const portkey = cases.find((c) => c.id === 'portkey')?.peak?.rps.median;
  for (const c of cases) {
    if (c.peak && floor) c.vsFloor = c.peak.rps.median / floor;
    if (c.peak && portkey) c.vsPortkey = c.peak.rps.median / portkey;
    for (const peer of PEERS) {
      const p = cases.find((x) => x.id === peer && x.available)?.peak?.rps.median;
      if (c.peak && p) c.vsPeers[peer] = c.peak.rps.median / p;
    }
    const raw = byId.get(c.id)!;
    c.seqCpuUs = spread(raw.sequential.map((r) => r?.serverCpuUs ?? NaN));
    const floorId = FLOOR_OF[c.id as AdapterId];
    const own = floorId && byId.get(floorId);
    const ownSummary = floorId && cases.find((x) => x.id === floorId);
    if (own && ownSummary?.available) {
      c.ownFloor = {
        id: floorId,
        vsFloor: c.peak && ownSummary.peak ? c.peak.rps.median / ownSummary.peak.rps.median : undefined,
        seq: added(raw.sequential, own.sequential, seqLatency),
        ttft: added(raw.firstToken, own.firstToken, (r) => r.ttft),
        ttlb: added(raw.stream, own.stream, (r) => r.ttlb),
      };
    }
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
    targets17: [],
    formats: (bench.formats ?? []).map((f) => ({
      id: f.id,
      label: f.label,
      json: lat(f.json, seqLatency),
      jsonAdded: added(f.json, f.directJson, seqLatency),
      ttfbAdded: added(f.stream, f.directStream, (r) => r.ttfb),
      ttlb: lat(f.stream, (r) => r.ttlb),
      ttlbAdded: added(f.stream, f.directStream, (r) => r.ttlb),
      cpuUs: spread(f.json.map((r) => r?.serverCpuUs ?? NaN)),
      streamCpuUs: spread(f.stream.map((r) => r?.serverCpuUs ?? NaN)),
      notes: f.notes,
    })),
    growth: { prompt: growthPoints(bench.growth?.prompt, false), answer: growthPoints(bench.growth?.answer, true) },
    cpuPerEvent: {},
    store: bench.store && {
      memory: lat(bench.store.memory, seqLatency),
      redis: lat(bench.store.redis, seqLatency),
      added: added(bench.store.redis, bench.store.memory, seqLatency),
      reason: bench.store.reason,
    },
    manyStreams: Object.fromEntries(
      Object.entries(bench.manyStreams ?? {}).map(([id, m]) => [id, { ...m!, perStreamKB: m!.opened > 0 ? (m!.costMB * 1024) / m!.opened : NaN }]),
    ),
  };
  const answer = bench.growth?.answer;
  if (answer && answer.sizes.length > 1) {
    const first = 0;
    const last = answer.sizes.length - 1;
    for (const id of Object.keys(summary.growth.answer) as CaseId[]) {
      const points = summary.growth.answer[id]!;
      const a = points[first]?.cpuUs?.median;
      const b = points[last]?.cpuUs?.median;
      if (a !== undefined && b !== undefined) summary.cpuPerEvent[id] = (b - a) / (answer.sizes[last]! - answer.sizes[first]!);
    }
  }
  summary.targets = judge(summary);
  summary.targets17 = judge17(summary);
  return summary;
}

/** Per case, per size: latency p50, added over direct (per repeat), server CPU per request. */
function growthPoints(series: GrowthSeries | undefined, stream: boolean): Partial<Record<CaseId, GrowthPoint[]>> {
  if (!series) return {};
  const pick = (r: SequentialResult) => (stream ? r.ttlb : r.latency);
  const out: Partial<Record<CaseId, GrowthPoint[]>> = {};
  const direct = series.runs.direct;
  for (const [id, perSize] of Object.entries(series.runs) as [CaseId, Runs<SequentialResult>[]][]) {
    out[id] = series.sizes.map((size, i) => ({
      size,
      p50: lat(perSize[i] ?? [], pick).p50,
      added: id === 'direct' ? undefined : added(perSize[i] ?? [], direct?.[i] ?? [], pick).p50,
      cpuUs: spread((perSize[i] ?? []).map((r) => r?.serverCpuUs ?? NaN)),
    }));
  }
  return out;
}

// ---------------------------------------------------------------- targets

/** Microseconds as milliseconds, for reading. */
export const ms = (us: number | undefined, digits = 3) => (us === undefined ? '–' : `${(us / 1000).toFixed(digits)} ms`);

/** A target's cells: `cell` of each case in `only` that ran, 'unavailable' for the others. */
function cellsOf(s: Summary) {
  return (cell: (c: CaseSummary) => TargetCell, only: CaseId[] = SWITCHYARD): Partial<Record<CaseId, TargetCell>> => {
    const out: Partial<Record<CaseId, TargetCell>> = {};
    for (const id of only) {
      const c = s.cases.find((x) => x.id === id && x.available);
      out[id] = c ? cell(c) : { value: 'unavailable' };
    }
    return out;
  };
}

function judge(s: Summary): TargetRow[] {
  const below = (v: number | undefined, limitUs: number): TargetCell =>
    v === undefined ? { value: 'not measured' } : { value: ms(v), met: v < limitUs };
  const each = cellsOf(s);
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

/** Issue 17's targets, on the medians of this run: each adapter against its own framework's floor. */
function judge17(s: Summary): TargetRow[] {
  const each = cellsOf(s);
  const overFloor = (l: Lat | undefined, limitUs: number): TargetCell => {
    const v = l?.p50?.median;
    return v === undefined ? { value: 'not measured' } : { value: `+${ms(v)} over its floor`, met: v <= limitUs };
  };
  const perEvent = s.cpuPerEvent;
  const many = s.manyStreams;
  const kb = (id: CaseId) => many[id] && `${many[id]!.peakMB.toFixed(0)} MB with ${many[id]!.opened.toLocaleString('en-US')} open, ${many[id]!.perStreamKB.toFixed(1)} KB a stream`;
  return [
    {
      target: "Throughput ≥ 0.9× its own framework's floor",
      cells: each((c) => (c.ownFloor?.vsFloor === undefined ? { value: 'no floor' } : { value: `${c.ownFloor.vsFloor.toFixed(2)}×`, met: c.ownFloor.vsFloor >= 0.9 })),
    },
    { target: "Sequential added p50 ≤ its floor's + 0.1 ms", cells: each((c) => overFloor(c.ownFloor?.seq, 100)) },
    { target: "Streams: added time to first token ≤ its floor's + 0.15 ms", cells: each((c) => overFloor(c.ownFloor?.ttft, 150)) },
    {
      target: "CPU per relayed stream event ≤ 1.5× the floor's",
      cells: {
        node:
          perEvent.node === undefined || perEvent.floor === undefined
            ? { value: 'not measured' }
            : { value: `${perEvent.node.toFixed(2)} µs (floor ${perEvent.floor.toFixed(2)} µs, ${(perEvent.node / perEvent.floor).toFixed(2)}×)`, met: perEvent.node <= 1.5 * perEvent.floor },
      },
    },
    {
      target: '1,000 open streams: ≤ 120 MB RSS',
      cells: each((c) => {
        const m = c.memory;
        if (!m) return { value: 'not measured' };
        const value = `${m.peakMB.toFixed(1)} MB`;
        if (m.requested < 1_000) return { value: `${value} with ${m.requested} streams (not judged)` };
        if (m.opened < m.requested) return { value: `${value} with only ${m.opened}/${m.requested} open`, met: false };
        return { value, met: m.peakMB <= 120 };
      }),
    },
    { target: 'Many open streams: measured, cost per stream', cells: { node: { value: kb('node') ? `${kb('node')} (floor: ${kb('floor') ?? 'not measured'})` : 'not measured' } } },
    {
      target: 'Caller limit + budget on Redis: ≤ 0.2 ms p50 over the memory store',
      cells: {
        node: s.store?.added.p50 ? { value: `+${ms(s.store.added.p50.median)}`, met: s.store.added.p50.median <= 200 } : { value: s.store?.reason ?? 'not measured' },
      },
    },
    {
      target: 'Throughput against the peers (Portkey, nullplatform)',
      cells: each((c) => ({ value: PEERS.map((p) => (c.vsPeers[p] === undefined ? `– ${p}` : `${c.vsPeers[p]!.toFixed(1)}× ${p}`)).join(', ') })),
    },
  ];
}
