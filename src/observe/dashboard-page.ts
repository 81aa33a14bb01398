/**
 * @module
 * The live dashboard served at `GET {prefix}/dashboard`: one self-contained HTML page
 * (inline CSS and script, nothing fetched but `./stats`), so it needs no build step, no
 * CDN and no network beyond the relay itself. It shows per target the breaker state,
 * p50/p95 latency over the last 5 minutes as a chart, requests, errors, failovers, tokens,
 * spend and requests in flight, plus the relay's totals, refreshed every second.
 */
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
<style>${DASHBOARD_CSS}</style>
</head>
<body>
<header class="top">
  <h1>switchyard</h1>
  <span id="conn" class="conn" data-testid="connection" data-state="connecting">connecting</span>
  <span id="updated" class="muted"></span>
</header>
<section id="totals" class="totals" aria-label="Totals"></section>
<main id="targets" class="targets"><p id="empty" class="muted">Waiting for ./stats…</p></main>
<script>${DASHBOARD_JS}</script>
</body>
</html>
`;
