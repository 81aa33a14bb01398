/**
 * @module
 * The dashboard's live request monitor: the last requests from `./requests`, then each
 * new one from its Server-Sent Events feed, in a table filterable by model, caller and
 * status. Inlined into {@link DASHBOARD_HTML} after `window.SY` (see `dashboard-lib.ts`).
 */

/**
 * JavaScript of the request monitor. Free of backticks and `${`.
 *
 * @example
 * ```ts
 * const html = `<script>${DASHBOARD_LIB_JS}${DASHBOARD_MONITOR_JS}</script>`;
 * ```
 */
export const DASHBOARD_MONITOR_JS = String.raw`
(function () {
  'use strict';
  var SY = window.SY;
  var KEEP = 200; // records held by the page
  var SHOWN = 50; // rows drawn
  var records = [];
  var models = new Set();
  var pending = false;
  var body = document.getElementById('requests-body');
  var fModel = document.getElementById('f-model');
  var fCaller = document.getElementById('f-caller');
  var fStatus = document.getElementById('f-status');
  var feedState = document.getElementById('feed');

  function feed(state) {
    feedState.setAttribute('data-state', state);
    feedState.textContent = state;
  }

  function add(r, live) {
    if (!r || typeof r.requestId !== 'string') return;
    // The feed opens before the first page is read: a record may come both ways.
    if (records.some(function (x) { return x.requestId === r.requestId && x.time === r.time; })) return;
    if (live) records.unshift(r); else records.push(r);
    if (records.length > KEEP) records.length = KEEP;
    var m = String(r.model);
    if (!models.has(m)) {
      models.add(m);
      var o = SY.el('option', null, m);
      o.value = m;
      fModel.appendChild(o);
    }
  }

  function visible(r) {
    var caller = fCaller.value.trim();
    return (!fModel.value || String(r.model) === fModel.value) &&
      (!fStatus.value || r.status === fStatus.value) &&
      (!caller || String(r.caller || '').indexOf(caller) !== -1);
  }

  function cell(tr, text, cls) {
    var td = SY.el('td', cls, text);
    tr.appendChild(td);
    return td;
  }

  function row(r) {
    var tr = SY.el('tr', 'st-' + r.status);
    tr.setAttribute('data-request-id', r.requestId);
    tr.setAttribute('data-status', r.status);
    cell(tr, SY.clock(r.time), 'time');
    cell(tr, r.status === 'ok' ? String(r.httpStatus) : r.status === 'abandoned' ? 'left' : String(r.httpStatus), 'status');
    cell(tr, String(r.model), 'model');
    cell(tr, r.caller == null ? '—' : String(r.caller), 'caller wide-only');
    var served = cell(tr, r.servedBy == null ? '—' : String(r.servedBy), 'served');
    if (SY.isNum(r.position)) {
      var badge = SY.el('span', 'pos', '#' + (r.position + 1));
      badge.style.background = SY.positionColor(r.position, false);
      served.insertBefore(badge, served.firstChild);
    }
    var tries = cell(tr, '', 'attempts');
    (r.attempts || []).forEach(function (a) {
      var dot = SY.el('i', 'dot ' + (a.outcome === 'ok' ? 'ok' : a.outcome === 'skipped' || a.outcome === 'cancelled' ? 'skip' : 'bad'));
      dot.title = String(a.target) + ': ' + String(a.outcome) + (a.role ? ' (' + a.role + ')' : '');
      tries.appendChild(dot);
    });
    cell(tr, SY.ms(r.latencyMs), 'num');
    cell(tr, SY.ms(r.firstTokenMs), 'num wide-only');
    cell(tr, r.tokens ? SY.compact(r.tokens.input) + ' / ' + SY.compact(r.tokens.output) : '—', 'num wide-only');
    cell(tr, r.cache ? 'cache' : SY.usd(r.costUsd), 'num');
    return tr;
  }

  function draw() {
    pending = false;
    var shown = records.filter(visible).slice(0, SHOWN);
    var frag = document.createDocumentFragment();
    shown.forEach(function (r) { frag.appendChild(row(r)); });
    SY.clear(body);
    body.appendChild(frag);
    document.getElementById('requests-empty').hidden = shown.length > 0;
    document.getElementById('requests-count').textContent = shown.length + ' of ' + records.length;
  }
  function schedule() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(draw);
  }
  [fModel, fStatus].forEach(function (f) { f.addEventListener('change', schedule); });
  fCaller.addEventListener('input', schedule);

  function connect() {
    var source = new EventSource('./requests?stream=1');
    source.addEventListener('open', function () { feed('live'); });
    source.addEventListener('record', function (e) {
      try { add(JSON.parse(e.data), true); schedule(); } catch (err) { console.error(err); }
    });
    // EventSource reconnects by itself; the page only says so.
    source.addEventListener('error', function () { feed('reconnecting'); });
  }

  connect();
  fetch('./requests?limit=' + KEEP, { cache: 'no-store', headers: { accept: 'application/json' } })
    .then(function (res) { if (!res.ok) throw new Error('HTTP ' + res.status); return res.json(); })
    .then(function (doc) { (doc.records || []).forEach(function (r) { add(r, false); }); draw(); },
      function (err) { feed('unavailable'); document.getElementById('requests-empty').textContent = './requests: ' + err.message; });
})();
`;
