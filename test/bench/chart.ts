/**
 * @module
 * The chart of BENCHMARKS.md: latency added per case, one small panel per measure, each
 * with its target as a dashed line, as a self-contained SVG.
 */
import type { CaseId, CaseSummary, Summary } from './report.js';
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
  const panels: { title: string; target?: number; get: (c: CaseSummary) => Spread | undefined }[] = [
    { title: 'Sequential, added p50', target: 150, get: (c) => c.seqAdded.p50 },
    { title: 'Sequential, added p99', target: 1_000, get: (c) => c.seqAdded.p99 },
    { title: `${s.bench.plan.fixedRate.rate.toLocaleString('en-US')} req/s, added p50`, target: 300, get: (c) => c.fixedAdded.p50 },
    { title: `${s.bench.plan.fixedRate.rate.toLocaleString('en-US')} req/s, added p99`, target: 1_500, get: (c) => c.fixedAdded.p99 },
    { title: 'Stream, added time to first token (paced stream, p50)', target: 500, get: (c) => c.ttftAdded.p50 },
  ];
  const W = 760;
  const labelW = 190;
  const plotW = W - labelW - 130;
  const bar = 16;
  const gap = 6;
  const head = 34;
  const panelH = head + shown.length * (bar + gap) + 10;
  const H = 56 + panels.length * panelH;
  const color = (id: CaseId) => (id === 'floor' ? '#8a8f98' : id === 'portkey' ? '#e07b39' : '#2f6fdf');
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="12" y="22" font-size="15" font-weight="600">Latency added over a direct call to the mock upstream (ms, median of ${s.bench.plan.repeats} run${s.bench.plan.repeats > 1 ? 's' : ''})</text>`,
    `<text x="12" y="40" fill="#555">${esc(`${s.bench.machine.cpu}, ${s.bench.machine.cores} cores, Node ${s.bench.machine.node}; ${s.bench.startedAt.slice(0, 10)}. Whiskers: lowest and highest run. Dashed: the target.`)}</text>`,
  ];
  panels.forEach((p, pi) => {
    const y0 = 56 + pi * panelH;
    const values = shown.map((c) => p.get(c));
    // Scale to the relays and the floor, and the target; a far larger peer value is cut and labelled.
    const local = shown.filter((c) => c.id !== 'portkey').map((c) => p.get(c)?.max ?? 0);
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
      const label = `${msLabel(v.median)}${cut ? ' (bar cut)' : ''}`;
      if (cut) out.push(`<text x="${x2 - 16}" y="${y + bar - 4}" fill="#fff" text-anchor="end" font-weight="600">${label}</text>`);
      else out.push(`<text x="${(v.n > 1 ? Math.max(x2, xOf(v.max)) : x2) + 6}" y="${y + bar - 4}" fill="#222">${label}</text>`);
    });
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
