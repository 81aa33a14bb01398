/**
 * @module
 * The dashboard's stylesheet, inlined into {@link DASHBOARD_HTML} (the page loads nothing
 * else). Light and dark follow the operator's system setting.
 */

/**
 * CSS of the live dashboard page.
 *
 * @example
 * ```ts
 * const html = `<style>${DASHBOARD_CSS}</style>`;
 * ```
 */
export const DASHBOARD_CSS = `
:root { --bg: #f6f8fa; --card: #fff; --fg: #1f2328; --muted: #656d76; --line: #d0d7de;
  --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --p50: #0969da; --p95: #bc4c00; color-scheme: light dark; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #0d1117; --card: #161b22; --fg: #e6edf3; --muted: #8d96a0; --line: #30363d;
    --ok: #3fb950; --warn: #d29922; --bad: #f85149; --p50: #4493f8; --p95: #f0883e; }
}
* { box-sizing: border-box; }
body { margin: 0; padding: 16px 20px; background: var(--bg); color: var(--fg);
  font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; font-variant-numeric: tabular-nums; }
.top { display: flex; align-items: baseline; gap: 12px; flex-wrap: wrap; margin-bottom: 12px; }
h1 { font-size: 20px; margin: 0; }
.muted { color: var(--muted); font-size: 12px; }
.conn { font-size: 12px; font-weight: 600; padding: 2px 8px; border-radius: 999px; border: 1px solid currentColor; }
.conn[data-state="live"] { color: var(--ok); }
.conn[data-state="connecting"] { color: var(--muted); }
.conn[data-state="disconnected"] { color: var(--bad); }
body.stale .card, body.stale .totals { opacity: .55; }
.totals, .card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; }
.totals { display: grid; grid-template-columns: repeat(auto-fit, minmax(110px, 1fr)); gap: 4px 16px; padding: 10px 14px; margin-bottom: 14px; }
.targets { display: grid; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr)); gap: 14px; }
.card { padding: 12px 14px; }
.card.open { border-color: var(--bad); box-shadow: 0 0 0 1px var(--bad) inset; }
.card.half-open { border-color: var(--warn); }
.card-head { display: flex; justify-content: space-between; align-items: center; gap: 8px; }
h2 { font-size: 15px; margin: 0; overflow-wrap: anywhere; }
h2 .model { font-weight: 400; color: var(--muted); }
.breaker { font-size: 13px; font-weight: 700; text-transform: uppercase; letter-spacing: .04em;
  padding: 3px 10px; border-radius: 6px; color: #fff; white-space: nowrap; }
.breaker.closed { background: var(--ok); }
.breaker.half-open { background: var(--warn); }
.breaker.open { background: var(--bad); }
.stat { margin: 0; }
.stat dt { color: var(--muted); font-size: 11px; text-transform: uppercase; letter-spacing: .04em; }
.stat dd { margin: 0; font-size: 15px; font-weight: 600; white-space: nowrap; }
.grid { display: grid; grid-template-columns: repeat(4, 1fr); gap: 6px 12px; margin: 10px 0 8px; }
.chart { width: 100%; height: auto; display: block; }
.chart text { fill: var(--muted); font-size: 9px; }
.chart .grid-line { stroke: var(--line); stroke-width: 1; }
.chart .p50 { stroke: var(--p50); fill: none; stroke-width: 2; }
.chart .p95 { stroke: var(--p95); fill: none; stroke-width: 1.5; stroke-dasharray: 4 2; }
.chart .dot50 { fill: var(--p50); }
.chart .dot95 { fill: var(--p95); }
.chart .err { fill: var(--bad); opacity: .7; }
.legend { display: flex; gap: 12px; font-size: 11px; color: var(--muted); }
.legend i { display: inline-block; width: 14px; height: 3px; vertical-align: middle; margin-right: 4px; }
`;
