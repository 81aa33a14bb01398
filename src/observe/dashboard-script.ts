/**
 * @module
 * The dashboard's script, inlined into {@link DASHBOARD_HTML}: plain browser JavaScript,
 * no build step. It polls `./stats` (relative, so the page works under any prefix) once a
 * second and updates the page in place. Every string from the JSON goes into the page
 * through `textContent` or `setAttribute`, never as markup.
 */

/**
 * JavaScript of the live dashboard page. Kept free of backticks and `${`, so it can live
 * in this raw template string unchanged.
 *
 * @example
 * ```ts
 * const html = `<script>${DASHBOARD_JS}</script>`;
 * ```
 */
export const DASHBOARD_JS = String.raw`
(function () {
  'use strict';
  var POLL_MS = 1000;
  var TIMEOUT_MS = 5000;
  var WINDOW_MS = 5 * 60 * 1000; // what /stats keeps: 30 buckets of 10 s
  var BUCKET_MS = 10 * 1000;
  var SVG = 'http://www.w3.org/2000/svg';
  var W = 340, H = 100, L = 34, R = 6, T = 6, B = 16; // chart size and padding
  var cards = new Map();
  var totals = null;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }
  function svg(tag, attrs, text) {
    var e = document.createElementNS(SVG, tag);
    for (var k in attrs) e.setAttribute(k, String(attrs[k]));
    if (text != null) e.textContent = text;
    return e;
  }
  function isNum(n) { return typeof n === 'number' && isFinite(n); }
  var compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });
  function num(n) { return isNum(n) ? n.toLocaleString('en-US') : '—'; }
  function tokens(a, b) { return (isNum(a) ? compact.format(a) : '—') + ' / ' + (isNum(b) ? compact.format(b) : '—'); }
  function ms(n) { return isNum(n) ? (n < 10 ? n.toFixed(1) : Math.round(n).toLocaleString('en-US')) + ' ms' : '—'; }
  function usd(n) {
    if (!isNum(n)) return '—';
    if (n > 0 && n < 1e-6) return '< $0.000001';
    return '$' + (n === 0 || n >= 1 ? n.toFixed(2) : n.toPrecision(2));
  }
  function since(msec) {
    var s = Math.max(0, Math.floor(msec / 1000)), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    return h ? h + 'h ' + m + 'm' : m ? m + 'm ' + (s % 60) + 's' : s + 's';
  }

  /** A <dl> of labelled values; returns the <dd> of each name to update later. */
  function stats(parent, names) {
    var out = {};
    names.forEach(function (pair) {
      var d = el('dl', 'stat');
      d.appendChild(el('dt', null, pair[1]));
      out[pair[0]] = d.appendChild(el('dd', null, '—'));
      out[pair[0]].setAttribute('data-field', pair[0]);
      parent.appendChild(d);
    });
    return out;
  }
  function set(fields, values) {
    for (var k in values) if (fields[k].textContent !== values[k]) fields[k].textContent = values[k];
  }

  function card(t) {
    var root = el('section', 'card');
    root.setAttribute('data-target', t.id);
    var head = root.appendChild(el('div', 'card-head'));
    var h2 = head.appendChild(el('h2', null, String(t.provider) + ' '));
    h2.appendChild(el('span', 'model', String(t.model)));
    var breaker = head.appendChild(el('span', 'breaker'));
    breaker.setAttribute('data-testid', 'breaker-' + t.provider + '/' + t.model);
    var sub = root.appendChild(el('div', 'muted'));
    var fields = stats(root.appendChild(el('div', 'grid')), [
      ['requests', 'served / attempts'], ['errors', 'errors'], ['failovers', 'failovers'], ['inFlight', 'in flight'],
      ['p50', 'p50 (5 min)'], ['p95', 'p95 (5 min)'], ['tokens', 'tokens in / out'], ['cost', 'spend'],
    ]);
    var chart = root.appendChild(svg('svg', { class: 'chart', viewBox: '0 0 ' + W + ' ' + H, role: 'img' }));
    var legend = root.appendChild(el('div', 'legend'));
    [['p50', 'var(--p50)'], ['p95', 'var(--p95)'], ['errors / attempts', 'var(--bad)']].forEach(function (x) {
      var s = legend.appendChild(el('span', null, x[0]));
      var swatch = s.insertBefore(el('i'), s.firstChild);
      swatch.style.background = x[1];
    });
    return { root: root, breaker: breaker, sub: sub, fields: fields, chart: chart };
  }

  function niceMax(v) {
    if (!(v > 0)) return 10;
    var p = Math.pow(10, Math.floor(Math.log10(v))), f = v / p;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
  }

  /** p50/p95 lines (broken where a bucket had no samples or no traffic), dots, and error bars along the bottom. */
  function drawChart(chart, series, now) {
    while (chart.firstChild) chart.removeChild(chart.firstChild);
    var max = niceMax(series.reduce(function (m, b) { return Math.max(m, isNum(b.p95) ? b.p95 : 0, isNum(b.p50) ? b.p50 : 0); }, 0));
    var x = function (t) { return L + Math.min(1, Math.max(0, (t + BUCKET_MS / 2 - (now - WINDOW_MS)) / WINDOW_MS)) * (W - L - R); };
    var y = function (v) { return T + (1 - v / max) * (H - T - B); };
    [0, max / 2, max].forEach(function (v) {
      chart.appendChild(svg('line', { class: 'grid-line', x1: L, x2: W - R, y1: y(v), y2: y(v) }));
      chart.appendChild(svg('text', { x: L - 4, y: y(v) + 3, 'text-anchor': 'end' }, v >= 1000 ? v / 1000 + 's' : v + 'ms'));
    });
    chart.appendChild(svg('text', { x: L, y: H - 3 }, '-5 min'));
    chart.appendChild(svg('text', { x: W - R, y: H - 3, 'text-anchor': 'end' }, 'now'));
    series.forEach(function (b) {
      if (b.attempts > 0 && b.errors > 0) {
        var h = Math.max(3, 16 * (b.errors / b.attempts));
        chart.appendChild(svg('rect', { class: 'err', x: x(b.t) - 3, y: H - B - h, width: 6, height: h }));
      }
    });
    ['p95', 'p50'].forEach(function (key) {
      var d = '', pen = 'M', last = -Infinity;
      series.forEach(function (b) {
        if (!isNum(b[key])) { pen = 'M'; return; }
        if (b.t - last > BUCKET_MS) pen = 'M'; // /stats leaves out buckets without traffic
        last = b.t;
        d += pen + x(b.t).toFixed(1) + ' ' + y(b[key]).toFixed(1) + ' ';
        pen = 'L';
        chart.appendChild(svg('circle', { class: key === 'p50' ? 'dot50' : 'dot95', cx: x(b.t), cy: y(b[key]), r: 2 }));
      });
      if (d) chart.appendChild(svg('path', { class: key, d: d }));
    });
  }

  function render(s) {
    if (!totals) {
      var box = document.getElementById('totals');
      totals = stats(box, [
        ['requests', 'requests'], ['errors', 'errors'], ['failovers', 'failovers'], ['inFlight', 'in flight'],
        ['tokens', 'tokens in / out'], ['cost', 'spend'], ['cacheHits', 'cache hits'], ['uptime', 'up'],
      ]);
    }
    var tt = s.totals || {};
    set(totals, {
      requests: num(tt.requests), errors: num(tt.errors), failovers: num(tt.failovers), inFlight: num(s.inFlight),
      tokens: tokens(tt.promptTokens, tt.completionTokens), cost: usd(tt.costUsd),
      cacheHits: num(tt.cacheHits), uptime: since(s.now - s.startedAt),
    });
    var main = document.getElementById('targets');
    var seen = new Set();
    var open = 0;
    (s.targets || []).forEach(function (t) {
      var id = String(t.id);
      seen.add(id);
      var c = cards.get(id);
      if (!c) { c = card(t); cards.set(id, c); }
      main.appendChild(c.root); // keeps the JSON's order
      var state = String(t.breaker);
      if (state === 'open') open++;
      c.root.className = 'card ' + state;
      c.breaker.className = 'breaker ' + state;
      if (c.breaker.textContent !== state) c.breaker.textContent = state;
      c.sub.textContent = 'consecutive failures: ' + num(t.failures) + ' · latency EWMA: ' + ms(t.latencyMs && t.latencyMs.ewma);
      set(c.fields, {
        requests: num(t.served) + ' / ' + num(t.attempts), errors: num(t.errors), failovers: num(t.failovers),
        inFlight: num(t.inFlight), p50: ms(t.latencyMs && t.latencyMs.p50), p95: ms(t.latencyMs && t.latencyMs.p95),
        tokens: tokens(t.promptTokens, t.completionTokens), cost: usd(t.costUsd),
      });
      drawChart(c.chart, Array.isArray(t.series) ? t.series : [], s.now);
    });
    cards.forEach(function (c, id) { if (!seen.has(id)) { c.root.remove(); cards.delete(id); } });
    var empty = document.getElementById('empty');
    if (empty) empty.hidden = cards.size > 0;
    document.title = (open ? open + ' open · ' : '') + 'switchyard dashboard';
    document.getElementById('updated').textContent = 'updated ' + new Date(s.now).toLocaleTimeString();
    // The other panels (alerts, failover analytics, spend) read the same document.
    ((window.SY && window.SY.statsListeners) || []).forEach(function (fn) {
      try { fn(s); } catch (err) { console.error(err); }
    });
  }

  function connection(state, detail) {
    var c = document.getElementById('conn');
    c.setAttribute('data-state', state);
    c.textContent = detail ? state + ' (' + detail + ')' : state;
    document.body.classList.toggle('stale', state === 'disconnected');
  }

  function poll() {
    var ctrl = new AbortController();
    var timer = setTimeout(function () { ctrl.abort(); }, TIMEOUT_MS);
    fetch('./stats', { cache: 'no-store', signal: ctrl.signal, headers: { accept: 'application/json' } })
      .then(function (res) {
        if (!res.ok) throw new Error('HTTP ' + res.status);
        return res.json();
      })
      .then(function (s) {
        connection('live');
        try { render(s); } catch (err) { console.error(err); connection('live', 'could not draw: ' + err.message); }
      }, function (err) {
        connection('disconnected', err && err.name === 'AbortError' ? 'timed out' : err && err.message);
      })
      .then(function () { clearTimeout(timer); setTimeout(poll, POLL_MS); });
  }
  poll();
})();
`;
