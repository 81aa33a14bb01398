/**
 * @module
 * The chart of BENCHMARKS.md: latency added per case, one small panel per measure, each
 * with its target as a dashed line, as a self-contained SVG.
 */
import { FLOOR_OF, type AdapterId, type CaseId, type CaseSummary, type GrowthPoint, type Summary } from './report.js';
import type { Spread } from './stats.js';

/** A latency for a chart label: three decimals below 10 ms, fewer above. */
function msLabel(us: number): string {
  const v = us / 1000;
  return `${v.toFixed(Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 3)} ms`;
}

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Added latency per case, one small panel per measure, with the target as a dashed line. */
export function svgChart(s: Summary): string {
  const shown = s.cases.filter((c) => c.available && c.id !== 'direct');
  // Issue 17 judges each adapter against its own framework's floor: a red tick in its row
  // marks that floor's value plus the allowance.
  const panels: { title: string; target?: number; allowance?: number; get: (c: CaseSummary) => Spread | undefined }[] = [
    { title: "Sequential, added p50 (red tick: its floor's + 0.1 ms)", allowance: 100, get: (c) => c.seqAdded.p50 },
    { title: 'Sequential, added p99', get: (c) => c.seqAdded.p99 },
    { title: `${s.bench.plan.fixedRate.rate.toLocaleString('en-US')} req/s, added p50`, get: (c) => c.fixedAdded.p50 },
    { title: `${s.bench.plan.fixedRate.rate.toLocaleString('en-US')} req/s, added p99`, get: (c) => c.fixedAdded.p99 },
    { title: "Stream, added time to first token (paced stream, p50; red tick: its floor's + 0.15 ms)", allowance: 150, get: (c) => c.ttftAdded.p50 },
  ];
  const W = 760;
  const labelW = 190;
  const plotW = W - labelW - 130;
  const bar = 16;
  const gap = 6;
  const head = 34;
  const panelH = head + shown.length * (bar + gap) + 10;
  const H = 56 + panels.length * panelH;
  const color = (id: CaseId) => (id.startsWith('floor') ? '#8a8f98' : id === 'portkey' || id === 'nullplatform' ? '#e07b39' : '#2f6fdf');
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="12" y="22" font-size="15" font-weight="600">Latency added over a direct call to the mock upstream (ms, median of ${s.bench.plan.repeats} run${s.bench.plan.repeats > 1 ? 's' : ''})</text>`,
    `<text x="12" y="40" fill="#555">${esc(`${s.bench.machine.cpu}, ${s.bench.machine.cores} cores, Node ${s.bench.machine.node}; ${s.bench.startedAt.slice(0, 10)}. Whiskers: lowest and highest run. Gray: the floors; orange: the peers.`)}</text>`,
  ];
  panels.forEach((p, pi) => {
    const y0 = 56 + pi * panelH;
    const values = shown.map((c) => p.get(c));
    // Scale to the relays and the floor, and the target; a far larger peer value is cut and labelled.
    const local = shown.filter((c) => c.id !== 'portkey' && c.id !== 'nullplatform').map((c) => p.get(c)?.max ?? 0);
    const top = Math.max(p.target ?? 0, ...local, 1) * 1.15;
    const xOf = (us: number) => labelW + (Math.max(0, Math.min(us, top)) / top) * plotW;
    out.push(`<text x="12" y="${y0 + 18}" font-weight="600">${esc(p.title)}</text>`);
    out.push(`<line x1="${labelW}" y1="${y0 + head - 6}" x2="${labelW}" y2="${y0 + panelH - 8}" stroke="#bbb"/>`);
    if (p.target !== undefined) {
      const tx = xOf(p.target);
      out.push(`<line x1="${tx}" y1="${y0 + head - 8}" x2="${tx}" y2="${y0 + panelH - 8}" stroke="#c62828" stroke-dasharray="4 3"/>`);
      out.push(`<text x="${W - 12}" y="${y0 + 18}" fill="#c62828" font-size="11" text-anchor="end">dashed line: target ${p.target / 1000} ms</text>`);
    }
    shown.forEach((c, i) => {
      const y = y0 + head + i * (bar + gap);
      const v = values[i];
      out.push(`<text x="${labelW - 8}" y="${y + bar - 4}" text-anchor="end">${esc(c.label)}</text>`);
      if (!v) {
        out.push(`<text x="${labelW + 6}" y="${y + bar - 4}" fill="#888">not measured</text>`);
        return;
      }
      const cut = v.median > top;
      const x1 = xOf(0);
      const x2 = xOf(v.median);
      const [a, b] = v.median >= 0 ? [x1, x2] : [x2, x1];
      out.push(`<rect x="${a}" y="${y}" width="${Math.max(1, b - a)}" height="${bar}" fill="${color(c.id)}" rx="2"/>`);
      if (cut) out.push(`<path d="M${x2 - 10} ${y - 2} l6 ${bar + 4} M${x2 - 5} ${y - 2} l6 ${bar + 4}" stroke="#fff" stroke-width="2"/>`);
      else if (v.n > 1) {
        const w1 = xOf(v.min);
        const w2 = xOf(v.max);
        out.push(`<line x1="${w1}" y1="${y + bar / 2}" x2="${w2}" y2="${y + bar / 2}" stroke="#222"/>`);
        out.push(`<line x1="${w1}" y1="${y + 4}" x2="${w1}" y2="${y + bar - 4}" stroke="#222"/><line x1="${w2}" y1="${y + 4}" x2="${w2}" y2="${y + bar - 4}" stroke="#222"/>`);
      }
      const floorId = FLOOR_OF[c.id as AdapterId];
      const floorValue = p.allowance !== undefined && floorId ? shown.find((x) => x.id === floorId) : undefined;
      const own = floorValue && p.get(floorValue);
      if (own && p.allowance !== undefined) {
        const tx = xOf(own.median + p.allowance);
        out.push(`<line x1="${tx}" y1="${y - 3}" x2="${tx}" y2="${y + bar + 3}" stroke="#c62828" stroke-width="2"/>`);
      }
      const label = `${msLabel(v.median)}${cut ? ' (bar cut)' : ''}`;
      if (cut) out.push(`<text x="${x2 - 16}" y="${y + bar - 4}" fill="#fff" text-anchor="end" font-weight="600">${label}</text>`);
      else out.push(`<text x="${(v.n > 1 ? Math.max(x2, xOf(v.max)) : x2) + 6}" y="${y + bar - 4}" fill="#222">${label}</text>`);
    });
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** Growth with the prompt and with the answer: added latency and server CPU, log-scaled sizes. */
export function growthChart(s: Summary): string {
  const W = 760;
  const panelW = 340;
  const panelH = 200;
  const left = 60;
  const top = 60;
  const series: { id: CaseId; label: string; color: string }[] = [
    { id: 'direct', label: 'mock (direct)', color: '#555' },
    { id: 'floor', label: 'floor', color: '#8a8f98' },
    { id: 'node', label: 'switchyard node:http', color: '#2f6fdf' },
  ];
  const panels: { title: string; x: string; data: Partial<Record<CaseId, GrowthPoint[]>>; get: (p: GrowthPoint) => number | undefined; unit: string; skip?: CaseId }[] = [
    { title: 'Prompt size: added latency p50', x: 'KiB of prompt', data: s.growth.prompt, get: (p) => p.added?.median, unit: 'ms', skip: 'direct' },
    { title: 'Answer length: added time to last byte p50', x: 'events in the answer', data: s.growth.answer, get: (p) => p.added?.median, unit: 'ms', skip: 'direct' },
    { title: 'Prompt size: server CPU per request', x: 'KiB of prompt', data: s.growth.prompt, get: (p) => p.cpuUs?.median, unit: 'µs' },
    { title: 'Answer length: server CPU per stream', x: 'events in the answer', data: s.growth.answer, get: (p) => p.cpuUs?.median, unit: 'µs' },
  ];
  const H = top + 2 * (panelH + 70) + 20;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="12" y="22" font-size="15" font-weight="600">How the cost grows with the prompt and with the answer (median of ${s.bench.plan.repeats} run${s.bench.plan.repeats > 1 ? 's' : ''})</text>`,
    `<text x="12" y="40" fill="#555">${esc(`Log-log; added latency over the direct call, CPU of the server process. ${series.map((x) => x.label).join(', ')}.`)}</text>`,
  ];
  panels.forEach((p, i) => {
    const x0 = 12 + (i % 2) * (panelW + 40) + left;
    const y0 = top + Math.floor(i / 2) * (panelH + 70);
    const w = panelW - left;
    const points = series.filter((x) => x.id !== p.skip).map((x) => ({ ...x, pts: (p.data[x.id] ?? []).map((g) => ({ size: g.size, v: p.get(g) })).filter((g): g is { size: number; v: number } => g.v !== undefined && g.v > 0) }));
    const all = points.flatMap((x) => x.pts);
    out.push(`<text x="${x0 - left}" y="${y0 - 8}" font-weight="600">${esc(p.title)}</text>`);
    if (all.length === 0) {
      out.push(`<text x="${x0}" y="${y0 + 20}" fill="#888">not measured</text>`);
      return;
    }
    const lx = (v: number) => Math.log10(v);
    const [xa, xb] = [Math.min(...all.map((g) => lx(g.size))), Math.max(...all.map((g) => lx(g.size)))];
    const [ya, yb] = [Math.floor(Math.min(...all.map((g) => lx(g.v)))), Math.ceil(Math.max(...all.map((g) => lx(g.v))))];
    const X = (size: number) => x0 + ((lx(size) - xa) / Math.max(1e-9, xb - xa)) * w;
    const Y = (v: number) => y0 + panelH - ((lx(v) - ya) / Math.max(1e-9, yb - ya)) * panelH;
    out.push(`<rect x="${x0}" y="${y0}" width="${w}" height="${panelH}" fill="none" stroke="#ccc"/>`);
    for (let e = ya; e <= yb; e++) {
      const v = 10 ** e;
      out.push(`<line x1="${x0}" y1="${Y(v)}" x2="${x0 + w}" y2="${Y(v)}" stroke="#eee"/>`);
      const text = p.unit === 'ms' ? `${(v / 1000).toLocaleString('en-US', { maximumSignificantDigits: 3 })} ms` : `${v.toLocaleString('en-US')} µs`;
      out.push(`<text x="${x0 - 4}" y="${Y(v) + 4}" text-anchor="end" fill="#555">${text}</text>`);
    }
    for (const size of [...new Set(all.map((g) => g.size))]) out.push(`<text x="${X(size)}" y="${y0 + panelH + 14}" text-anchor="middle" fill="#555">${size.toLocaleString('en-US')}</text>`);
    out.push(`<text x="${x0 + w / 2}" y="${y0 + panelH + 30}" text-anchor="middle" fill="#555">${esc(p.x)}</text>`);
    for (const line of points) {
      if (line.pts.length === 0) continue;
      out.push(`<polyline fill="none" stroke="${line.color}" stroke-width="2" points="${line.pts.map((g) => `${X(g.size).toFixed(1)},${Y(g.v).toFixed(1)}`).join(' ')}"/>`);
      for (const g of line.pts) out.push(`<circle cx="${X(g.size).toFixed(1)}" cy="${Y(g.v).toFixed(1)}" r="3" fill="${line.color}"/>`);
    }
    points.forEach((line, k) => out.push(`<text x="${x0 + 8}" y="${y0 + 14 + k * 13}" fill="${line.color}">${esc(line.label)}</text>`));
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
