/**
 * @module
 * The live dashboard served at `GET {prefix}/dashboard`: one self-contained HTML page
 * (inline CSS and script, nothing fetched but `./stats` and `./requests`), so it needs no
 * build step, no CDN and no network beyond the relay itself. It shows firing alerts, a
 * live request monitor, failover analytics (share served by each position of each chain),
 * spend per model, target and caller, and per target the breaker state, p50/p95 latency
 * over the last 5 minutes as a chart, requests, errors, failovers, tokens, spend and
 * requests in flight, plus the relay's totals, refreshed every second.
 */
import { DASHBOARD_ANALYTICS_JS } from './dashboard-analytics.js';
import { DASHBOARD_LIB_JS } from './dashboard-lib.js';
import { DASHBOARD_MONITOR_JS } from './dashboard-monitor.js';
import { DASHBOARD_PANELS_CSS } from './dashboard-panels-style.js';
import { DASHBOARD_JS } from './dashboard-script.js';
import { DASHBOARD_CSS } from './dashboard-style.js';

/**
 * The dashboard page. It polls `./stats` relative to its own URL, so mount both under the
 * same prefix (the node handler's `dashboard: true` does). It sends no credentials of its
 * own: the browser's cookies or basic auth for the origin go with each poll.
 *
 * @example
 * ```ts
 * app.use('/ops', requireOperator, expressRelay(relay, { stats: true, dashboard: true })); // GET /ops/dashboard
 * ```
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>switchyard dashboard</title>
<style>${DASHBOARD_CSS}${DASHBOARD_PANELS_CSS}</style>
</head>
<body>
<header class="top">
  <h1>switchyard</h1>
  <span id="conn" class="conn" data-testid="connection" data-state="connecting">connecting</span>
  <span id="updated" class="muted"></span>
</header>
<section id="alerts" class="alerts" aria-label="Firing alerts" data-testid="alerts" hidden></section>
<section id="totals" class="totals" aria-label="Totals"></section>
<div class="panels">
  <section class="panel monitor" aria-label="Live requests" data-testid="monitor">
    <div class="panel-head">
      <h2>Live requests</h2>
      <span id="feed" class="feed" data-testid="feed" data-state="connecting">connecting</span>
      <span id="requests-count" class="muted"></span>
      <form class="filters" onsubmit="return false">
        <select id="f-model" aria-label="model"><option value="">all models</option></select>
        <input id="f-caller" aria-label="caller" placeholder="caller" autocomplete="off">
        <select id="f-status" aria-label="status"><option value="">any status</option><option value="ok">ok</option><option value="error">error</option><option value="abandoned">abandoned</option></select>
      </form>
    </div>
    <div class="table-wrap">
      <table class="requests">
        <thead><tr><th>time</th><th>status</th><th>model</th><th class="wide-only">caller</th><th>served by</th><th>attempts</th><th class="num">latency</th><th class="num wide-only">first token</th><th class="num wide-only">tokens in / out</th><th class="num">cost</th></tr></thead>
        <tbody id="requests-body"></tbody>
      </table>
      <p id="requests-empty" class="muted">No requests yet.</p>
    </div>
  </section>
  <div id="analytics" hidden>
    <section class="panel" aria-label="Failover analytics" data-testid="failover">
      <h2>Served by chain position</h2>
      <div id="chains"></div>
    </section>
    <section class="panel" aria-label="Spend" data-testid="spend" style="margin-top: 14px">
      <h2>Spend</h2>
      <div id="costs"></div>
    </section>
  </div>
</div>
<main id="targets" class="targets"><p id="empty" class="muted">Waiting for ./stats…</p></main>
<script>${DASHBOARD_LIB_JS}</script>
<script>${DASHBOARD_JS}</script>
<script>${DASHBOARD_MONITOR_JS}</script>
<script>${DASHBOARD_ANALYTICS_JS}</script>
</body>
</html>
`;
