/**
 * @module
 * The summary as text: the tables printed at the end of a run, and the files it writes:
 * `bench-results/latest.json`, `bench-results/added-latency.svg` and the generated part
 * of `BENCHMARKS.md` (between its markers; the rest of that file is written by hand).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { svgChart } from './chart.js';
import { PACED_TOKENS } from './config.js';
import { targets17Table, tables17 } from './render-17.js';
import { SWITCHYARD, ms, type BenchResults, type FailoverRow, type Scenario, type Summary, type TargetCell } from './report.js';
import { growthChart } from './chart.js';
import type { Spread } from './stats.js';

interface Table {
  title: string;
  head: string[];
  rows: string[][];
  note?: string;
}

function render(t: Table, markdown: boolean): string {
  if (markdown) {
    const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
    const out = [`### ${t.title}`, '', line(t.head), line(t.head.map((_, i) => (i === 0 ? '---' : '---:'))), ...t.rows.map(line)];
    if (t.note) out.push('', t.note);
    return out.join('\n');
  }
  const plain = (x: string) => x.replace(/\*\*/g, '').replace(/`/g, '');
  const width = t.head.map((h, i) => Math.max(plain(h).length, ...t.rows.map((r) => plain(r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? plain(c).padEnd(width[i]!) : plain(c).padStart(width[i]!))).join('  ');
  return [`${t.title}`, line(t.head), width.map((w) => '-'.repeat(w)).join('  '), ...t.rows.map(line)].join('\n');
}

/** `median [min–max]` of microsecond values, in ms. */
function ml(s: Spread | undefined, markdown: boolean, digits = 3): string {
  if (!s) return '–';
  if (!markdown || s.n < 2) return ms(s.median, digits).replace(' ms', '');
  return `${(s.median / 1000).toFixed(digits)} [${(s.min / 1000).toFixed(digits)}–${(s.max / 1000).toFixed(digits)}]`;
}
function count(s: Spread | undefined, markdown: boolean): string {
  if (!s) return '–';
  const k = (n: number) => Math.round(n).toLocaleString('en-US');
  return !markdown || s.n < 2 ? k(s.median) : `${k(s.median)} [${k(s.min)}–${k(s.max)}]`;
}

function tables(s: Summary, markdown: boolean): Table[] {
  const ok = s.cases.filter((c) => c.available);
  const levels = [...new Set(ok.flatMap((c) => Object.keys(c.rps)))].sort((a, b) => Number(a) - Number(b));
  const x = (v: number | undefined) => (v === undefined ? '–' : `${v.toFixed(2)}×`);
  const fo = s.failover;
  const out: Table[] = [
    {
      title: 'Throughput (autocannon, JSON completions, req/s)',
      head: ['case', ...levels.map((l) => `${l} conn`), 'best vs bare floor', 'best vs Portkey', 'best vs nullplatform', ...levels.map((l) => `server CPU µs/req, ${l} conn`)],
      rows: ok.map((c) => [c.label, ...levels.map((l) => count(c.rps[l], markdown)), x(c.vsFloor), x(c.vsPortkey), x(c.vsPeers.nullplatform), ...levels.map((l) => count(c.cpuUs[l], markdown))]),
      note: 'Server CPU: user + system time of the server process (for "direct", the mock) per answered request during those runs, from /proc (10 ms ticks).',
    },
    {
      title: 'Sequential latency (1 keep-alive connection, JSON, ms)',
      head: ['case', 'p50', 'p99', 'p99.9', 'added p50', 'added p99'],
      rows: ok.map((c) => [c.label, ml(c.seq.p50, markdown), ml(c.seq.p99, markdown), ml(c.seq.p999, markdown), ml(c.seqAdded.p50, markdown), ml(c.seqAdded.p99, markdown)]),
    },
    {
      title: `Latency at a fixed ${s.bench.plan.fixedRate.rate.toLocaleString('en-US')} req/s (open loop, ${s.bench.plan.fixedRate.connections} connections, ms)`,
      head: ['case', 'p50', 'p99', 'p99.9', 'added p50', 'added p99', 'added p99.9', 'answered'],
      rows: ok.map((c) => [
        c.label,
        ml(c.fixed.p50, markdown),
        ml(c.fixed.p99, markdown),
        ml(c.fixed.p999, markdown),
        ml(c.fixedAdded.p50, markdown),
        ml(c.fixedAdded.p99, markdown),
        ml(c.fixedAdded.p999, markdown),
        c.fixedRate ? `${Math.round(c.fixedRate.median)}/s` : '–',
      ]),
    },
    {
      title: `Streams (1 keep-alive connection, ms): time to first token on the paced stream; first and last byte of the ${s.bench.reply.words}-chunk burst`,
      head: ['case', 'first token p50', 'added p50', 'added p99', 'burst first byte p50', 'burst last byte p50', 'last byte added p50', 'last byte added p99'],
      rows: ok.map((c) => [
        c.label,
        ml(c.ttft.p50, markdown),
        ml(c.ttftAdded.p50, markdown),
        ml(c.ttftAdded.p99, markdown),
        ml(c.ttfb.p50, markdown),
        ml(c.ttlb.p50, markdown),
        ml(c.ttlbAdded.p50, markdown),
        ml(c.ttlbAdded.p99, markdown),
      ]),
      note:
        `Paced stream: the mock replays a role preamble and ${PACED_TOKENS} tokens with ${s.bench.plan.firstToken.gapMs} ms between events, so the first token travels alone, as from a model; the relay holds the preamble back until it (its commit point). ` +
        'Burst: the mock writes all 203 events at once; every Node hop then delivers them together (writes of one tick are corked), so its first byte is close to its last.',
    },
    {
      title: `Memory with ${s.bench.plan.streams.count.toLocaleString('en-US')} concurrent streams (server process RSS)`,
      head: ['case', 'idle', 'peak', 'growth', 'streams open', 'time to open all'],
      rows: ok
        .filter((c) => c.memory)
        .map((c) => {
          const m = c.memory!;
          return [c.label, `${m.baselineMB.toFixed(1)} MB`, `${m.peakMB.toFixed(1)} MB`, `${m.costMB.toFixed(1)} MB`, `${m.opened}/${m.requested}`, `${(m.openMs / 1000).toFixed(1)} s`];
        }),
    },
    {
      title: `Failover (sequential, interleaved, ms): "added" is over the same backup alone`,
      head: ['scenario', 'switchyard p50', 'added p50', 'added p99', `added p50, backup +${fo.latencyMs} ms`, 'Portkey p50', 'added p50', 'added p99', `added p50, backup +${fo.latencyMs} ms`],
      rows: (['base', 'refused', '503', 'open-1', 'open-n'] as Scenario[]).map((sc) => {
        const name = {
          base: 'backup alone',
          refused: 'primary refuses connections',
          '503': 'primary answers 503',
          'open-1': 'primary breaker open',
          'open-n': `${fo.skipped} targets with open breakers`,
        }[sc as 'base'];
        const find = (rows: FailoverRow[], key: string) => rows.find((x) => x.scenario === key);
        const cells = (rows: FailoverRow[], breakers: boolean) => {
          const row = find(rows, sc);
          const delayed = find(rows, `${sc}-delayed`);
          if (!row) return [breakers ? 'no breakers' : '–', '', '', ''];
          const failures = row.failures ? ` (${row.failures} failed)` : '';
          return [
            `${ml(row.p50, markdown)}${failures}`,
            ml(row.added50, markdown),
            ml(row.added99, markdown),
            sc === 'base' ? (delayed ? `p50 ${ml(delayed.p50, markdown)}` : '') : delayed ? ml(delayed.added50, markdown) : '',
          ];
        };
        return [name, ...cells(fo.relay, false), ...cells(fo.portkey, sc.startsWith('open'))];
      }),
      note:
        `Failing primaries are tried once (\`retry.attempts: 1\`: the default second try would add a jittered backoff sleep, a deliberate wait) and their breakers stay closed, except in the breaker rows. ` +
        `The backup answers at once, or after ${fo.latencyMs} ms (last column of each side; that mock's 1 ms timer granularity blurs differences below a millisecond).` +
        (fo.perSkipped ? ` An open breaker costs ${ms(fo.perSkipped.median, 4)} per skipped target (the ${fo.skipped}-target row's added p50 / ${fo.skipped}).` : ''),
    },
  ];
  return out;
}

function targetTable(s: Summary, markdown: boolean): Table {
  const mark = (c: TargetCell | undefined) => {
    if (!c) return '';
    const verdict = c.met === undefined ? '' : c.met ? (markdown ? ' ✅ met' : ' met') : markdown ? ' ❌ **missed**' : ' MISSED';
    return `${c.value}${verdict}`;
  };
  return {
    title: 'Earlier targets (issue 5), judged on the medians of this run',
    head: ['target', 'node:http', 'Express', 'Koa', 'Nest'],
    rows: s.targets.map((t) => [t.target, ...SWITCHYARD.map((id) => mark(t.cells[id]))]),
  };
}

function interferenceLine(b: BenchResults): string {
  const i = b.interference;
  const c = (n: number | undefined) => (n === undefined ? '?' : n.toFixed(2));
  const during = i.perMeasurementCores ? `median ${c(i.perMeasurementCores.median)}, highest ${c(i.perMeasurementCores.max)} cores during a measurement` : 'not measured';
  const worst = [...i.disturbed].sort((a, b) => Number(b.split(': ').pop()!.split(' ')[0]) - Number(a.split(': ').pop()!.split(' ')[0]));
  const left = i.disturbed.length
    ? `; ${i.disturbed.length} measurement(s) stayed above ${i.quietBelowCores} cores after re-measuring (the worst: ${worst.slice(0, 3).join('; ')})`
    : `; every measurement kept was below ${i.quietBelowCores} cores`;
  const waited = i.waitedSeconds ? ` The bench waited ${i.waitedSeconds} s in all for quieter moments.` : '';
  return `Other processes on the machine: ${c(i.preflightCores)} cores before the run, ${during}${left}.${waited}`;
}

export function printTable(s: Summary): void {
  const text = [targets17Table(s, false), targetTable(s, false), ...tables(s, false), ...tables17(s, false)].map((t) => render(t, false)).join('\n\n');
  const gone = s.cases.filter((c) => !c.available).map((c) => `${c.label}: ${c.reason}`);
  const notes = s.cases.flatMap((c) => c.notes.map((n) => `${c.label}: ${n}`));
  console.log(`\n${text}\n\n${interferenceLine(s.bench)}${[...gone, ...notes].map((n) => `\nnote: ${n}`).join('')}\n`);
}

const START = '<!-- bench:results:start -->';
const END = '<!-- bench:results:end -->';

function markdownSection(s: Summary): string {
  const b = s.bench;
  const m = b.machine;
  const p = b.plan;
  const direct = b.cases.find((c) => c.id === 'direct')?.checks;
  const gone = s.cases.filter((c) => !c.available).map((c) => `- **${c.label}**: ${c.reason}`);
  const notes = [...s.cases.flatMap((c) => c.notes.map((n) => `- ${c.label}: ${n}`)), ...b.failover.notes.map((n) => `- failover: ${n}`)];
  const failures = s.cases
    .filter((c) => c.available && Object.values(c.failures).some((n) => n > 0))
    .map((c) => `- ${c.label}: failed requests (excluded from its latencies) — ${Object.entries(c.failures).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  return [
    START,
    `<!-- Generated by \`${b.command}\` on ${b.startedAt}; edit the text outside these markers. -->`,
    '',
    `**Latest run:** ${b.startedAt.replace('T', ' ').slice(0, 16)} UTC, \`${b.command}\` (${p.name} plan, ${b.wallSeconds} s wall time), commit ${m.commit}.`,
    '',
    `**Machine:** ${m.cpu}, ${m.cores} cores (shared by the load generator, the mock upstream and the server under test), ${m.memoryGB} GB RAM, ${m.platform}; Node ${m.node} (V8 ${m.v8}); undici ${m.packages.undici}, Express ${m.packages.express}, Koa ${m.packages.koa}, Nest ${m.packages['@nestjs/core']}, autocannon ${m.packages.autocannon}.`,
    '',
    '**How it was measured**',
    '',
    `- Every server is its own process on 127.0.0.1; the load generator (autocannon and an undici client) is another. Upstream: the project's mock (\`switchyard/testing\`) answering a ${b.reply.words}-word completion${direct?.json ? ` (${direct.json.bytes} bytes of JSON` : ''}${direct?.stream ? `; as a stream ${direct.stream.events} SSE events, ${direct.stream.bytes} bytes)` : direct?.json ? ')' : ''}, with no added latency.`,
    `- Cases: the direct call; the floors, one per framework (node:http, Express, Koa with \`@koa/router\`, Nest on Express with its body parser off), each one route piping the request to an undici pool, nothing parsed; switchyard on node:http (\`relay.nodeHandler\`), Express (\`expressRelay\`, nothing else mounted), Koa (\`koaRelay\`) and Nest (\`SwitchyardModule.forRoot\`, Express platform, its JSON parser on as the README advises); the peers Portkey's gateway (installed into \`.bench/portkey/\`, \`@hono/node-server\` pinned to 1.13.5) and nullplatform's LLM Gateway (installed into \`.bench/nullplatform/\`, set up as its README's quick start, log level \`warn\`). The relays run with their defaults except \`maxConnections: 10000\` per provider (default 128, which would queue the many-streams run).`,
    `- Each measurement is repeated ${p.repeats}×; tables give the median and [lowest–highest] of the repeats. "Added" is the case minus the direct call, taken within each repeat.`,
    `- Sequential latency, streams and failover: one keep-alive connection per case and the cases interleaved request by request in a random order each round, so whatever else the machine does falls on all of them alike (Portkey's gateway in a round of its own with the direct call: its after-work would land on the next request). Up to ${p.sequential.requests} rounds or ${p.sequential.maxMs / 1000} s per case. Timed with \`process.hrtime.bigint()\` into an HDR histogram (3 significant digits: µs precision; autocannon's own histogram keeps whole milliseconds).`,
    `- Throughput: autocannon, ${p.saturation.durationMs / 1000} s at ${p.saturation.connections.join(' and ')} connections per case; with it, the server process's CPU time per request from /proc. Fixed rate: an open-loop schedule of ${p.fixedRate.rate.toLocaleString('en-US')} req/s for ${p.fixedRate.durationMs / 1000} s over ${p.fixedRate.connections} connections, each request timed from when it was issued.`,
    `- Memory: last, each server in a fresh process warmed up for a moment, then ${p.streams.count.toLocaleString('en-US')} concurrent streams from an upstream sending a chunk every ${p.streams.chunkDelayMs} ms; RSS of the server process sampled every 50 ms and the kernel's peak (VmHWM).`,
    '',
    `**${interferenceLine(b).replace(':', ':**')}`,
    '',
    `![Latency added per case](bench-results/added-latency.svg)`,
    '',
    render(targets17Table(s, true), true),
    '',
    ...tables17(s, true).flatMap((t) => [render(t, true), '']),
    ...(Object.keys(s.growth.prompt).length ? ['![Growth with the prompt and the answer](bench-results/growth.svg)', ''] : []),
    render(targetTable(s, true), true),
    '',
    ...tables(s, true).flatMap((t) => [render(t, true), '']),
    ...(gone.length || failures.length || notes.length ? ['### Notes', '', ...gone, ...failures, ...notes, ''] : []),
    'Raw numbers: [bench-results/latest.json](bench-results/latest.json).',
    END,
  ].join('\n');
}

const SKELETON = `# Benchmarks

What switchyard costs on top of a direct call to the upstream, side by side with a bare
Node pass-through proxy (the floor) and Portkey's open-source gateway, measured by
\`npm run bench\` (see issue 5 and \`test/bench/\`). Rerun it on your own machine: absolute
numbers depend on it, the ratios within one run much less.

${START}
${END}

## What the profile shows

Run \`npm run bench -- --profile\` for a CPU profile of the node:http relay under load.
`;

/** Writes the JSON, the chart and BENCHMARKS.md (default plan) or `.bench/quick.*` (quick plan). */
export function writeOutputs(root: string, bench: BenchResults, s: Summary): string[] {
  const chart = svgChart(s);
  const growth = Object.keys(s.growth.prompt).length ? growthChart(s) : undefined;
  const json = `${JSON.stringify({ ...bench, summary: { targets: s.targets, cases: s.cases.map(({ notes: _n, ...c }) => c), failover: s.failover } }, null, 2)}\n`;
  if (bench.plan.name === 'quick') {
    const dir = path.join(root, '.bench');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'quick.json'), json);
    writeFileSync(path.join(dir, 'quick.svg'), chart);
    if (growth) writeFileSync(path.join(dir, 'quick-growth.svg'), growth);
    writeFileSync(path.join(dir, 'quick.md'), `${markdownSection(s)}\n`);
    return ['.bench/quick.json', '.bench/quick.svg', '.bench/quick.md', ...(growth ? ['.bench/quick-growth.svg'] : [])];
  }
  const dir = path.join(root, 'bench-results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'latest.json'), json);
  writeFileSync(path.join(dir, 'added-latency.svg'), chart);
  if (growth) writeFileSync(path.join(dir, 'growth.svg'), growth);
  const file = path.join(root, 'BENCHMARKS.md');
  const current = existsSync(file) ? readFileSync(file, 'utf8') : SKELETON;
  const from = current.indexOf(START);
  const to = current.indexOf(END);
  const section = markdownSection(s);
  const next = from !== -1 && to > from ? current.slice(0, from) + section + current.slice(to + END.length) : `${current.trimEnd()}\n\n${section}\n`;
  writeFileSync(file, next);
  return ['bench-results/latest.json', 'bench-results/added-latency.svg', ...(growth ? ['bench-results/growth.svg'] : []), 'BENCHMARKS.md'];
}
