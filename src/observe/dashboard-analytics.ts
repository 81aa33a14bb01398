/**
 * @module
 * The dashboard's panels fed by `./stats`: firing alerts, failover analytics (the share of
 * each chain's requests served by each position, in total and minute by minute) and spend
 * per public model, target and caller. Inlined into {@link DASHBOARD_HTML} after `window.SY`.
 */

/**
 * JavaScript of the analytics panels. Free of backticks and `${`.
 *
 * @example
 * ```ts
 * const html = `<script>${DASHBOARD_LIB_JS}${DASHBOARD_ANALYTICS_JS}</script>`;
 * ```
 */
export const DASHBOARD_ANALYTICS_JS = String.raw`
(function () {
  'use strict';
  var SY = window.SY;
  var W = 300, H = 40;

  function alerts(list) {
    var box = document.getElementById('alerts');
    SY.clear(box);
    box.hidden = !list || list.length === 0;
    (list || []).forEach(function (a) {
      var item = box.appendChild(SY.el('div', 'alert'));
      item.setAttribute('data-alert', String(a.name) + ' ' + String(a.subject));
      item.appendChild(SY.el('strong', null, String(a.name)));
      item.appendChild(SY.el('span', null, ' ' + String(a.subject) + ': ' + String(a.metric) + ' ' + fmt(a.metric, a.value) + ' > ' + fmt(a.metric, a.threshold)));
      item.appendChild(SY.el('span', 'muted', ' since ' + SY.clock(a.since)));
    });
  }
  function fmt(metric, v) {
    if (metric === 'errorRate' || metric === 'failoverRate') return SY.pct(v);
    if (metric === 'spendUsd') return SY.usd(v);
    return SY.ms(v);
  }

  function chain(name, c) {
    var box = SY.el('div', 'chain');
    box.setAttribute('data-chain', name);
    var total = c.served.reduce(function (a, b) { return a + b; }, 0);
    var head = box.appendChild(SY.el('div', 'chain-head'));
    head.appendChild(SY.el('strong', null, name));
    head.appendChild(SY.el('span', 'muted', ' ' + total.toLocaleString('en-US') + (total === 1 ? ' request' : ' requests')));
    var bar = box.appendChild(SY.el('div', 'share'));
    var legend = box.appendChild(SY.el('div', 'legend'));
    c.served.forEach(function (n, i) {
      var failures = i === c.targets.length;
      if (failures && n === 0) return;
      var share = total ? n / total : 0;
      var seg = bar.appendChild(SY.el('span'));
      seg.style.width = (share * 100) + '%';
      seg.style.background = SY.positionColor(i, failures);
      var label = legend.appendChild(SY.el('span', null, (failures ? 'failed / cache' : '#' + (i + 1) + ' ' + c.targets[i]) + ' '));
      label.setAttribute('data-position', failures ? 'failed' : String(i));
      var swatch = label.insertBefore(SY.el('i'), label.firstChild);
      swatch.style.background = SY.positionColor(i, failures);
      label.appendChild(SY.el('b', 'share-value', SY.pct(share)));
    });
    // Minute by minute: one stacked column per minute with traffic, shares of that minute.
    var series = c.series || [];
    if (series.length > 0) {
      var chart = box.appendChild(SY.svg('svg', { class: 'share-chart', viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': 'share served by position, per minute' }));
      var now = series[series.length - 1].t, span = 60 * 60 * 1000, step = W / 60;
      series.forEach(function (b) {
        var sum = b.served.reduce(function (a, x) { return a + x; }, 0);
        if (!sum) return;
        var x = W - step - ((now - b.t) / span) * W, y = H;
        b.served.forEach(function (n, i) {
          if (!n) return;
          var h = (n / sum) * (H - 10);
          y -= h;
          chart.appendChild(SY.svg('rect', { x: x.toFixed(1), y: y.toFixed(1), width: Math.max(1, step - 1).toFixed(1), height: h.toFixed(1), fill: SY.positionColor(i, i === c.targets.length) }));
        });
      });
      chart.appendChild(SY.svg('text', { x: 0, y: 8 }, '-60 min'));
      chart.appendChild(SY.svg('text', { x: W, y: 8, 'text-anchor': 'end' }, 'now'));
    }
    return box;
  }

  function costs(cost) {
    var box = document.getElementById('costs');
    SY.clear(box);
    [['byModel', 'by model'], ['byTarget', 'by target'], ['byCaller', 'by caller']].forEach(function (pair) {
      var entries = Object.entries(cost[pair[0]] || {}).sort(function (a, b) { return b[1] - a[1]; }).slice(0, 8);
      var group = box.appendChild(SY.el('div', 'cost-group'));
      group.setAttribute('data-cost', pair[0]);
      group.appendChild(SY.el('h3', null, pair[1]));
      if (entries.length === 0) group.appendChild(SY.el('p', 'muted', 'no spend yet'));
      var max = entries.length ? entries[0][1] : 0;
      entries.forEach(function (e) {
        var line = group.appendChild(SY.el('div', 'cost-row'));
        line.setAttribute('data-name', e[0]);
        line.appendChild(SY.el('span', 'cost-name', e[0]));
        var bar = line.appendChild(SY.el('span', 'cost-bar'));
        bar.appendChild(SY.el('i')).style.width = (max ? (e[1] / max) * 100 : 0) + '%';
        line.appendChild(SY.el('span', 'cost-value', SY.usd(e[1])));
      });
    });
  }

  SY.onStats(function (s) {
    alerts(s.alerts);
    var a = s.analytics;
    var chains = document.getElementById('chains');
    var analytics = document.getElementById('analytics');
    analytics.hidden = !a;
    if (!a) return;
    SY.clear(chains);
    var names = Object.keys(a.chains || {});
    if (names.length === 0) chains.appendChild(SY.el('p', 'muted', 'no requests yet'));
    names.forEach(function (n) { chains.appendChild(chain(n, a.chains[n])); });
    costs(a.cost || {});
  });
})();
`;
