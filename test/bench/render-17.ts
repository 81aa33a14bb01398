/**
 * @module
 * The tables of issue 17's measurements: its targets, each adapter against its own
 * framework's floor, the Responses and Messages clients, growth with the prompt and the
 * answer, the shared store, and many streams.
 */
import type { CaseId, GrowthPoint, Summary, TargetCell } from './report.js';
import { FLOOR_OF, SWITCHYARD, ms } from './report.js';
import type { Spread } from './stats.js';

export interface Table {
  title: string;
  head: string[];
  rows: string[][];
  note?: string;
}

/** `median [min–max]` of microsecond values, in ms. */
function ml(s: Spread | undefined, markdown: boolean, digits = 3): string {
  if (!s) return '–';
  if (!markdown || s.n < 2) return ms(s.median, digits).replace(' ms', '');
  return `${(s.median / 1000).toFixed(digits)} [${(s.min / 1000).toFixed(digits)}–${(s.max / 1000).toFixed(digits)}]`;
}

function us(s: Spread | undefined): string {
  return s ? Math.round(s.median).toLocaleString('en-US') : '–';
}

export function mark(c: TargetCell | undefined, markdown: boolean): string {
  if (!c) return '';
  const verdict = c.met === undefined ? '' : c.met ? (markdown ? ' ✅ met' : ' met') : markdown ? ' ❌ **missed**' : ' MISSED';
  return `${c.value}${verdict}`;
}

/**
 * The relay's CPU in the formats run. The four cases share one relay process and run
 * interleaved, so its CPU cannot be told apart by case; each lane's figure is the whole
 * run's CPU over that lane's requests, and their mean over the lanes is the average per
 * request of all four.
 */
function formatsCpu(formats: Summary['formats']): string {
  const avg = (xs: (number | undefined)[]) => {
    const known = xs.filter((x): x is number => x !== undefined);
    return known.length === 0 ? undefined : known.reduce((a, b) => a + b, 0) / known.length / formats.length;
  };
  const json = avg(formats.map((f) => f.cpuUs?.median));
  const stream = avg(formats.map((f) => f.streamCpuUs?.median));
  if (json === undefined && stream === undefined) return '';
  return `The relay's CPU, all four cases together (one process; it cannot be told apart by case): ${json === undefined ? '–' : Math.round(json).toLocaleString('en-US')} µs a JSON request, ${stream === undefined ? '–' : Math.round(stream).toLocaleString('en-US')} µs a stream, warm-up requests and the 10 ms tick of /proc included.`;
}

export function targets17Table(s: Summary, markdown: boolean): Table {
  return {
    title: 'Targets (issue 17), judged on the medians of this run',
    head: ['target', 'node:http', 'Express', 'Koa', 'Nest'],
    rows: s.targets17.map((t) => [t.target, ...SWITCHYARD.map((id) => mark(t.cells[id], markdown))]),
  };
}

export function tables17(s: Summary, markdown: boolean): Table[] {
  const label = (id: CaseId) => s.cases.find((c) => c.id === id)?.label ?? id;
  const out: Table[] = [];
  out.push({
    title: "Each adapter against its own framework's floor (the framework, one route piping to undici, nothing parsed)",
    head: ['adapter', 'its floor', 'throughput vs floor', 'sequential added p50 over floor', 'added p99 over floor', 'first token added p50 over floor', 'burst last byte added p50 over floor', 'server CPU µs/req (sequential)', 'floor CPU µs/req'],
    rows: SWITCHYARD.map((id) => {
      const c = s.cases.find((x) => x.id === id && x.available);
      const f = s.cases.find((x) => x.id === FLOOR_OF[id as 'node']);
      if (!c?.ownFloor) return [label(id), label(FLOOR_OF[id as 'node']), '–', '–', '–', '–', '–', '–', '–'];
      const o = c.ownFloor;
      return [c.label, label(o.id), o.vsFloor === undefined ? '–' : `${o.vsFloor.toFixed(2)}×`, ml(o.seq.p50, markdown), ml(o.seq.p99, markdown), ml(o.ttft.p50, markdown), ml(o.ttlb.p50, markdown), us(c.seqCpuUs), us(f?.seqCpuUs)];
    }),
    note: 'Differences taken within each repeat (the adapter and its floor run interleaved, request by request), then the median [lowest–highest] of the repeats, in ms. The Nest floor has its body parser off (nothing parsed); the Nest relay keeps it on, as the README advises.',
  });
  if (s.formats.length > 0) {
    out.push({
      title: 'Responses and Messages clients on the node:http relay (sequential, each interleaved with its direct call, ms)',
      head: ['case', 'JSON p50', 'JSON added p50', 'JSON added p99', 'stream first byte added p50', 'stream last byte p50', 'last byte added p50'],
      rows: s.formats.map((f) => [f.label, ml(f.json.p50, markdown), ml(f.jsonAdded.p50, markdown), ml(f.jsonAdded.p99, markdown), ml(f.ttfbAdded.p50, markdown), ml(f.ttlb.p50, markdown), ml(f.ttlbAdded.p50, markdown)]),
      note: `Native: the target speaks the client's format (OpenAI's Responses API, Claude's Messages API on the Anthropic-protocol mock) and its answer passes as the upstream's bytes. Translated: the target speaks chat; the request and the answer are translated. "Added" is over the direct call of what the upstream serves (its Responses or Messages API; chat for the translated cases). ${formatsCpu(s.formats)}`,
    });
  }
  const growthRows = (series: Partial<Record<CaseId, GrowthPoint[]>>, unit: (n: number) => string) => {
    const sizes = series.direct?.map((p) => p.size) ?? series.node?.map((p) => p.size) ?? [];
    return sizes.map((size, i) => {
      const cell = (id: CaseId, what: 'p50' | 'added' | 'cpuUs') => {
        const p = series[id]?.[i];
        return what === 'cpuUs' ? us(p?.cpuUs) : ml(p?.[what], markdown);
      };
      return [unit(size), cell('direct', 'p50'), cell('floor', 'added'), cell('node', 'added'), cell('direct', 'cpuUs'), cell('floor', 'cpuUs'), cell('node', 'cpuUs')];
    });
  };
  if (Object.keys(s.growth.prompt).length > 0) {
    out.push({
      title: 'Growth with the prompt (JSON answer of 200 words; sequential, interleaved)',
      head: ['prompt', 'direct p50 (ms)', 'floor added p50', 'relay added p50', 'mock CPU µs/req', 'floor CPU µs/req', 'relay CPU µs/req'],
      rows: growthRows(s.growth.prompt, (kb) => `${kb.toLocaleString('en-US')} KiB`),
    });
    out.push({
      title: 'Growth with the answer (stream of N content events; time to last byte; sequential, interleaved)',
      head: ['answer', 'direct p50 (ms)', 'floor added p50', 'relay added p50', 'mock CPU µs/stream', 'floor CPU µs/stream', 'relay CPU µs/stream'],
      rows: growthRows(s.growth.answer, (n) => `${n.toLocaleString('en-US')} events`),
      note: Object.keys(s.cpuPerEvent).length
        ? `CPU per event, the slope between the shortest and the longest answer: ${Object.entries(s.cpuPerEvent).map(([id, v]) => `${label(id as CaseId)} ${v!.toFixed(2)} µs`).join(', ')}.`
        : undefined,
    });
  }
  if (s.store) {
    out.push({
      title: 'A caller limit and a budget: Redis store against the memory store (node:http relay; sequential, interleaved, ms)',
      head: ['store', 'p50', 'p99', 'added p50', 'added p99'],
      rows: [
        ['memory', ml(s.store.memory.p50, markdown), ml(s.store.memory.p99, markdown), '', ''],
        ['Redis (local redis-server)', ml(s.store.redis.p50, markdown), ml(s.store.redis.p99, markdown), ml(s.store.added.p50, markdown), ml(s.store.added.p99, markdown)],
      ],
      note: s.store.reason
        ? `Not measured: ${s.store.reason}.`
        : 'Each request takes a token of the caller\'s requests-per-minute bucket and reserves its estimated cost from the caller\'s daily budget before the upstream call (one script call to Redis, `Store.admit`), and settles the budget with the real cost after the answer.',
    });
  }
  const many = Object.entries(s.manyStreams) as [CaseId, NonNullable<Summary['manyStreams'][CaseId]>][];
  if (many.length > 0) {
    out.push({
      title: `Many concurrent streams (server process RSS; a chunk every ${(s.bench.plan.manyStreams.chunkDelayMs / 1000).toFixed(0)} s)`,
      head: ['case', 'idle', 'peak', 'growth', 'per stream', 'streams open', 'time to open all'],
      rows: many.map(([id, m]) => [label(id), `${m.baselineMB.toFixed(1)} MB`, `${m.peakMB.toFixed(1)} MB`, `${m.costMB.toFixed(1)} MB`, `${m.perStreamKB.toFixed(1)} KB`, `${m.opened.toLocaleString('en-US')}/${m.requested.toLocaleString('en-US')}`, `${(m.openMs / 1000).toFixed(1)} s`]),
      note: `${s.bench.plan.manyStreams.count.toLocaleString('en-US')} rather than 10,000: the relay holds two sockets a stream (client and upstream) and this machine's hard limit is 20,000 open files a process.`,
    });
  }
  return out;
}
