/**
 * @module
 * `npm run bench -- --profile`: runs the node:http relay (and the floor proxy, for
 * comparison) under `node --cpu-prof` at saturation, once with JSON completions and
 * once with streams, and prints where their CPU time goes: by source file (the bundle
 * keeps esbuild's `// src/...` markers, so each sample maps back to its file) and by
 * function, self time first.
 */
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MODEL, chatBody } from './config.js';
import type { CheckResult, SaturateResult, Target } from './load.js';
import { bundle, type Procs } from './procs.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Which source file each line of an esbuild bundle came from (its `// path` markers). */
function fileMap(bundleFile: string): string[] {
  const map: string[] = [];
  let current = '(bundle)';
  for (const line of readFileSync(bundleFile, 'utf8').split('\n')) {
    const m = /^\/\/ ((?:src|adapters|test)\/\S+\.ts)$/.exec(line);
    if (m) current = m[1]!;
    map.push(current);
  }
  return map;
}

/** The source file (or package, or V8 category) a profiled frame belongs to. */
function where(frame: ProfileNode['callFrame'], buildDir: string, maps: Map<string, string[]>): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : `(native) ${functionName}`;
  const file = url.startsWith('file://') ? fileURLToPath(url) : url;
  if (file.startsWith(buildDir)) {
    let map = maps.get(file);
    if (!map) maps.set(file, (map = fileMap(file)));
    return map[frame.lineNumber] ?? '(bundle)';
  }
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  if (nm) return nm[1]!;
  if (url.startsWith('node:')) return 'node core';
  return url;
}

/** Self time by file and by function, and inclusive time of the relay's own functions. */
export function summarizeProfile(file: string, buildDir: string, requests?: number, top = 25): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const maps = new Map<string, string[]>();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  let total = 0;
  for (const v of selfUs.values()) total += v;
  const idle = [...selfUs].filter(([id]) => byId.get(id)?.callFrame.functionName === '(idle)').reduce((a, [, v]) => a + v, 0);
  const busy = total - idle;

  const byFile = new Map<string, number>();
  const byFn = new Map<string, number>();
  const inclusive = new Map<string, number>();
  // Each sample charged to the nearest switchyard function on its stack: its own code
  // plus the Node, undici and V8 work it called into.
  const attributed = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    if (node.callFrame.functionName === '(idle)') continue;
    const leaf = where(node.callFrame, buildDir, maps);
    byFile.set(leaf, (byFile.get(leaf) ?? 0) + us);
    const fn = `${node.callFrame.functionName || '(anonymous)'}  [${leaf}]`;
    byFn.set(fn, (byFn.get(fn) ?? 0) + us);
    // Inclusive time: every distinct relay function on the stack gets this sample.
    const seen = new Set<string>();
    let nearest: string | undefined;
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const f = byId.get(at)!.callFrame;
      const src = where(f, buildDir, maps);
      if (!src.startsWith('src/') && !src.startsWith('adapters/')) continue;
      const key = `${f.functionName || '(anonymous)'}  [${src}]`;
      nearest ??= key;
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + us);
    }
    const charged = nearest ?? `outside switchyard: ${leaf}`;
    attributed.set(charged, (attributed.get(charged) ?? 0) + us);
  }
  const pct = (us: number) => `${((100 * us) / busy).toFixed(1).padStart(5)}%`;
  const rows = (m: Map<string, number>, n: number) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => `  ${pct(v)}  ${k}`)
      .join('\n');
  const perRequest = requests ? `; ${Math.round(busy / requests)} µs of CPU per request (profiler overhead included)` : '';
  return [
    `${path.basename(file)}: ${(busy / 1e6).toFixed(2)} s busy of ${(total / 1e6).toFixed(2)} s sampled${perRequest}; shares are of busy time`,
    'self time by file:',
    rows(byFile, 14),
    `self time by function (top ${top}):`,
    rows(byFn, top),
    'inclusive time of switchyard functions (top 20):',
    rows(inclusive, 20),
    'time charged to the nearest switchyard function on the stack (its code + the Node/undici/V8 work it calls; top 25):',
    rows(attributed, 25),
  ].join('\n');
}

/** Profiles the node:http relay and the floor under saturation; see the module comment. */
export async function profileRelay(root: string, work: string, procs: Procs, log: (m: string) => void): Promise<void> {
  const dir = path.join(work, 'profiles');
  rmSync(dir, { recursive: true, force: true });
  const { server, load: loadScript } = await bundle(root, path.join(work, 'build'));
  const logDir = path.join(work, 'logs');
  const spawn = (name: string, spec: object, execArgv: string[] = []) =>
    procs.start(name, server, { env: { BENCH_SPEC: JSON.stringify(spec) }, execArgv, log: path.join(logDir, `${name}.log`) });
  const mock = await spawn('mock-fast', { kind: 'mock' });
  const load = await procs.start('load', loadScript, { log: path.join(logDir, 'load.log') });
  const up = `http://127.0.0.1:${mock.port}/v1`;
  const seconds = 6;
  const reports: string[] = [];
  for (const [kind, stream] of [['node', false], ['node', true], ['floor', false], ['floor', true]] as const) {
    const name = `${kind}-${stream ? 'stream' : 'json'}`;
    const out = path.join(dir, name);
    const s = await spawn(`profile-${name}`, { kind, fast: up, slow: up, paced: up, anthropic: up, slow10k: up }, ['--cpu-prof', '--cpu-prof-dir', out, '--cpu-prof-interval', '200']);
    const t: Target = {
      origin: `http://127.0.0.1:${s.port}`,
      path: '/v1/chat/completions',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench' },
      body: chatBody(MODEL, stream),
    };
    const check = await load.channel.call<CheckResult>('check', { target: t }, 15_000);
    if (check.status !== 200) throw new Error(`${name}: HTTP ${check.status} before profiling: ${check.head.slice(0, 200)}`);
    const r = await load.channel.call<SaturateResult>('saturate', { target: t, connections: 16, durationMs: seconds * 1000 }, 60_000);
    const failed = r.non2xx + r.errors + r.timeouts;
    log(`${name}: ${r.rps} req/s at 16 connections while profiling${failed ? `, ${failed} failed` : ''}`);
    await procs.stop(s.child);
    const file = readdirSync(out).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error(`no profile written in ${out}`);
    reports.push(`== ${name} (${r.rps} req/s at 16 connections, ${seconds} s)\n${summarizeProfile(path.join(out, file), path.dirname(server), r.ok)}`);
  }
  await Promise.all([procs.stop(load.child), procs.stop(mock.child)]);
  const text = reports.join('\n\n');
  writeFileSync(path.join(dir, 'summary.txt'), `${text}\n`);
  console.log(text);
  log(`profiles and summary in ${path.relative(root, dir)}/`);
}
