/**
 * @module
 * Helpers shared by the dashboard's scripts (the request monitor, failover analytics,
 * spend and alerts), inlined into {@link DASHBOARD_HTML} before them as `window.SY`.
 * Text goes in through `textContent` and `setAttribute` only, never as markup.
 */

/**
 * JavaScript defining `window.SY`. Free of backticks and `${`, so it lives in a raw template string.
 *
 * @example
 * ```ts
 * const html = `<script>${DASHBOARD_LIB_JS}${DASHBOARD_MONITOR_JS}</script>`;
 * ```
 */
export const DASHBOARD_LIB_JS = String.raw`
(function () {
  'use strict';
  var SVG = 'http://www.w3.org/2000/svg';
  function isNum(n) { return typeof n === 'number' && isFinite(n); }
  var compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });
  window.SY = {
    statsListeners: [],
    el: function (tag, cls, text) {
      var e = document.createElement(tag);
      if (cls) e.className = cls;
      if (text != null) e.textContent = text;
      return e;
    },
    svg: function (tag, attrs, text) {
      var e = document.createElementNS(SVG, tag);
      for (var k in attrs) e.setAttribute(k, String(attrs[k]));
      if (text != null) e.textContent = text;
      return e;
    },
    clear: function (node) { while (node.firstChild) node.removeChild(node.firstChild); },
    isNum: isNum,
    compact: function (n) { return isNum(n) ? compact.format(n) : '—'; },
    ms: function (n) { return isNum(n) ? (n < 1000 ? Math.round(n) + ' ms' : (n / 1000).toFixed(n < 10000 ? 2 : 1) + ' s') : '—'; },
    usd: function (n) {
      if (!isNum(n)) return '—';
      if (n > 0 && n < 1e-6) return '< $0.000001';
      return '$' + (n === 0 || n >= 1 ? n.toFixed(2) : n.toPrecision(2));
    },
    pct: function (n) { return isNum(n) ? (n * 100 >= 10 || n === 0 ? Math.round(n * 100) : (n * 100).toFixed(1)) + '%' : '—'; },
    clock: function (t) { return new Date(t).toLocaleTimeString('en-GB', { hour12: false }); },
    /** Colour of a chain position: the primary green, then blue, amber, orange; failures red. */
    positionColor: function (i, failures) {
      if (failures) return 'var(--bad)';
      return ['var(--ok)', 'var(--p50)', 'var(--warn)', 'var(--p95)'][Math.min(i, 3)];
    },
    /** Registers a function called with every /stats document the page polls. */
    onStats: function (fn) { window.SY.statsListeners.push(fn); }
  };
})();
`;
