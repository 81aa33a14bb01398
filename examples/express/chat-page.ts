/**
 * The chat page the Express example serves at `/`: one self-contained HTML file, no build
 * step. It lists models and chains from `GET v1/models`, streams answers from
 * `POST v1/chat/completions` (fetch + a ReadableStream read as SSE), and shows under each
 * answer who served it (`x-switchyard-provider`), its time to first token and total time
 * (measured in the page), its cost (`switchyard.cost_usd` on the usage chunk it asks for) and a
 * note when the relay failed over. URLs are relative, so the app can live under a path.
 */
export const CHAT_HTML = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>switchyard chat</title>
<style>
:root { --bg: #f6f8fa; --card: #fff; --fg: #1f2328; --muted: #656d76; --line: #d0d7de; --accent: #0969da; --warn-bg: #fff8c5; --warn: #9a6700; --bad: #cf222e; color-scheme: light dark; }
@media (prefers-color-scheme: dark) { :root { --bg: #0d1117; --card: #161b22; --fg: #e6edf3; --muted: #8d96a0; --line: #30363d; --accent: #4493f8; --warn-bg: #3b2e00; --warn: #d29922; --bad: #f85149; } }
* { box-sizing: border-box; }
body { margin: 0; height: 100vh; display: flex; flex-direction: column; background: var(--bg); color: var(--fg); font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; }
header { display: flex; gap: 10px; align-items: center; flex-wrap: wrap; padding: 10px 16px; border-bottom: 1px solid var(--line); background: var(--card); }
header h1 { font-size: 17px; margin: 0 8px 0 0; }
header label { font-size: 13px; color: var(--muted); display: flex; gap: 6px; align-items: center; }
header a { margin-left: auto; font-size: 13px; color: var(--accent); }
select, input, textarea, button { font: inherit; color: inherit; background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: 4px 8px; }
#log { flex: 1; overflow-y: auto; padding: 16px; display: flex; flex-direction: column; gap: 12px; }
.msg { max-width: 760px; padding: 8px 12px; border-radius: 10px; white-space: pre-wrap; overflow-wrap: anywhere; }
.user { align-self: flex-end; background: var(--accent); color: #fff; }
.assistant { align-self: flex-start; background: var(--card); border: 1px solid var(--line); min-width: 240px; }
.assistant[data-state="streaming"] .text::after { content: "▍"; color: var(--muted); }
.assistant[data-state="error"] .text { color: var(--bad); }
.meta { display: flex; gap: 12px; flex-wrap: wrap; margin-top: 6px; font-size: 12px; color: var(--muted); white-space: normal; }
.meta b { color: var(--fg); font-weight: 600; }
.note { margin-top: 6px; padding: 3px 8px; border-radius: 6px; font-size: 12px; background: var(--warn-bg); color: var(--warn); white-space: normal; }
#status { padding: 0 16px; min-height: 1.5em; font-size: 13px; color: var(--bad); }
form { display: flex; gap: 8px; padding: 10px 16px 16px; }
textarea { flex: 1; resize: vertical; min-height: 44px; }
button { background: var(--accent); color: #fff; border: 0; padding: 0 18px; cursor: pointer; }
button:disabled { opacity: .5; cursor: default; }
</style>
</head>
<body>
<header>
  <h1>switchyard chat</h1>
  <label>model or chain <select id="model" data-testid="model"></select></label>
  <label>client key <input id="key" data-testid="client-key" type="password" placeholder="only if the server asks" autocomplete="off"></label>
  <a href="v1/dashboard" target="_blank" rel="noopener">dashboard</a>
</header>
<main id="log" aria-live="polite"></main>
<div id="status" data-testid="status"></div>
<form id="form">
  <textarea id="input" data-testid="message-input" placeholder="Say something (Enter sends, Shift+Enter for a new line)"></textarea>
  <button id="send" data-testid="send" type="submit">Send</button>
</form>
<script>
(function () {
  'use strict';
  var KEY_STORAGE = 'switchyard.clientKey';
  var $ = function (id) { return document.getElementById(id); };
  var history = [];
  var busy = null; // AbortController of the answer streaming now

  $('key').value = localStorage.getItem(KEY_STORAGE) || '';
  $('key').addEventListener('change', function () {
    localStorage.setItem(KEY_STORAGE, $('key').value.trim());
    loadModels();
  });

  function headers(extra) {
    var h = Object.assign({}, extra);
    var key = $('key').value.trim();
    if (key) h.authorization = 'Bearer ' + key;
    return h;
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }
  function status(text) { $('status').textContent = text || ''; }
  function errorText(res, body) {
    var message = body && body.error && body.error.message;
    return 'HTTP ' + res.status + (message ? ': ' + message : '') + (res.status === 401 ? ' (enter the client key above)' : '');
  }

  async function loadModels() {
    try {
      var res = await fetch('v1/models', { headers: headers() });
      var body = await res.json().catch(function () { return null; });
      if (!res.ok) return status('Could not list models: ' + errorText(res, body));
      var select = $('model'), current = select.value;
      select.replaceChildren();
      body.data.forEach(function (m) { select.appendChild(el('option', null, m.id)).value = m.id; });
      if (current) select.value = current;
      status('');
    } catch (err) {
      status('Could not list models: ' + err.message);
    }
  }

  /** One answer bubble and the fields filled in as the response arrives. */
  function answerView() {
    var box = el('div', 'msg assistant');
    box.setAttribute('data-testid', 'answer');
    box.setAttribute('data-state', 'waiting');
    var text = box.appendChild(el('div', 'text'));
    text.setAttribute('data-testid', 'answer-text');
    var meta = box.appendChild(el('div', 'meta'));
    function field(label, testid) {
      var span = meta.appendChild(el('span', null, label + ' '));
      var b = span.appendChild(el('b', null, '…'));
      b.setAttribute('data-testid', testid);
      return b;
    }
    var view = { box: box, text: text, provider: field('served by', 'provider'), latency: field('latency', 'latency'), cost: field('cost', 'cost') };
    $('log').appendChild(box);
    return view;
  }

  function showServed(view, h) {
    var provider = h.get('x-switchyard-provider'), model = h.get('x-switchyard-model');
    if (provider) view.provider.textContent = provider + (model ? ' (' + model + ')' : '');
    var attempts = Number(h.get('x-switchyard-attempts') || 0), fallbacks = h.get('x-switchyard-fallbacks');
    if (attempts > 1 || fallbacks) {
      var note = view.box.querySelector('.note') || view.box.appendChild(el('div', 'note'));
      note.setAttribute('data-testid', 'failover-note');
      note.textContent = 'Failover: ' + attempts + ' upstream attempts' + (fallbacks ? '; skipped or failed: ' + fallbacks : '') + (provider ? '; answered by ' + provider : '');
    }
  }

  /** Reads an SSE body, calling onData with each event's data and onComment with each comment line. */
  async function readEvents(body, onData, onComment) {
    var reader = body.pipeThrough(new TextDecoderStream()).getReader(), buf = '';
    for (;;) {
      var step = await reader.read();
      if (step.done) return;
      buf += step.value;
      var events = buf.split(/\r?\n\r?\n/);
      buf = events.pop();
      for (var i = 0; i < events.length; i++) {
        var data = [];
        events[i].split(/\r?\n/).forEach(function (line) {
          if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
          else if (line.startsWith(':')) onComment(line.slice(1));
        });
        if (data.length && onData(data.join('\n')) === false) return reader.cancel();
      }
    }
  }

  async function ask(model) {
    var view = answerView(), started = performance.now(), firstAt = null, answer = '', cost = null;
    var ms = function (t) { return Math.round(t - started) + ' ms'; };
    busy = new AbortController();
    try {
      var res = await fetch('v1/chat/completions', {
        method: 'POST',
        headers: headers({ 'content-type': 'application/json' }),
        body: JSON.stringify({ model: model, messages: history, stream: true, stream_options: { include_usage: true } }),
        signal: busy.signal,
      });
      showServed(view, res.headers);
      if (!res.ok) throw new Error(errorText(res, await res.json().catch(function () { return null; })));
      view.box.setAttribute('data-state', 'streaming');
      var failure = null;
      await readEvents(res.body, function (data) {
        if (data === '[DONE]') return false;
        var chunk = JSON.parse(data);
        if (chunk.error) { failure = chunk.error.message || 'the stream broke'; return false; }
        if (chunk.switchyard && typeof chunk.switchyard.cost_usd === 'number') cost = chunk.switchyard.cost_usd;
        var delta = chunk.choices && chunk.choices[0] && chunk.choices[0].delta;
        if (delta && typeof delta.content === 'string' && delta.content) {
          if (firstAt === null) firstAt = performance.now();
          answer += delta.content;
          view.text.textContent = answer;
          view.latency.textContent = 'first token ' + ms(firstAt) + ' · …';
          $('log').scrollTop = $('log').scrollHeight;
        }
      }, function (comment) {
        // With heartbeats on, who served arrives as a comment: ": x-switchyard-provider=backup ..."
        var found = new Headers();
        comment.replace(/(x-switchyard-[\w-]+)=(\S+)/g, function (_, k, v) { found.set(k, v); return ''; });
        if (found.has('x-switchyard-provider')) showServed(view, found);
      });
      if (failure) throw new Error(failure);
      history.push({ role: 'assistant', content: answer });
      view.box.setAttribute('data-state', 'done');
    } catch (err) {
      history.pop(); // the question goes too, so the next one does not follow a question without an answer
      view.text.textContent = (answer ? answer + '\n\n' : '') + (err.name === 'AbortError' ? 'Stopped.' : 'Error: ' + err.message);
      view.box.setAttribute('data-state', 'error');
    } finally {
      var end = performance.now();
      view.latency.textContent = (firstAt === null ? 'no tokens' : 'first token ' + ms(firstAt)) + ' · total ' + ms(end);
      view.cost.textContent = cost === null ? '—' : '$' + (cost >= 0.01 ? cost.toFixed(4) : cost.toPrecision(2));
      if (view.provider.textContent === '…') view.provider.textContent = '—';
      busy = null;
      $('send').textContent = 'Send';
    }
  }

  $('form').addEventListener('submit', function (e) {
    e.preventDefault();
    if (busy) return busy.abort();
    var text = $('input').value.trim(), model = $('model').value;
    if (!text) return;
    if (!model) return status('No model to ask: the model list did not load.');
    $('log').appendChild(el('div', 'msg user', text));
    history.push({ role: 'user', content: text });
    $('input').value = '';
    $('send').textContent = 'Stop';
    ask(model);
  });
  $('input').addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); if (!busy) $('form').requestSubmit(); }
  });
  loadModels();
})();
</script>
</body>
</html>
`;
