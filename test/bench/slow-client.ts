/**
 * Measures the relay process's memory while a client reads a stream at 1 KB/s from an
 * upstream that could send 64 MiB at once. Run: `npx tsx test/bench/slow-client.ts [seconds]`.
 * The client is `curl --limit-rate 1k` in its own process; upstream and relay share this one.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRelay } from '../../src/index.js';

const seconds = Number(process.argv[2] ?? 20);
/** Waits for `drain` or `close`, removing both listeners after. */
function drainOrClose(res: http.ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

const CHUNK = `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta: { content: 'x'.repeat(1000) }, finish_reason: null }] })}\n\n`;
let written = 0;
const upstream = http.createServer(async (req, res) => {
  req.resume();
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  while (written < 64 * 1024 * 1024 && !res.destroyed) {
    written += CHUNK.length;
    if (!res.write(CHUNK)) await drainOrClose(res);
  }
  res.end();
});
upstream.listen(0, '127.0.0.1');
await once(upstream, 'listening');
const relay = createRelay({
  providers: { fast: { type: 'openai', baseURL: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`, apiKey: 'k' } },
  models: { m: { targets: [{ provider: 'fast', model: 'm' }] } },
  timeouts: { idleMs: 600_000 },
});
const server = http.createServer(relay.nodeHandler({ prefix: '/v1' }));
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/chat/completions`;

global.gc?.();
const baseline = process.memoryUsage();
let peakRss = baseline.rss;
let peakHeap = baseline.heapUsed;
let peakExternal = baseline.external;
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakHeap = Math.max(peakHeap, m.heapUsed);
  peakExternal = Math.max(peakExternal, m.external);
}, 50);
const curl = spawn('curl', ['-sN', '--limit-rate', '1k', '-o', '/dev/null', '-H', 'content-type: application/json', '-d', '{"model":"m","stream":true,"messages":[{"role":"user","content":"x"}]}', url]);
// Memory once the stream is flowing (code loaded, buffers filled), to tell growth from warm-up.
await new Promise((r) => setTimeout(r, 2_000));
const flowing = process.memoryUsage();
await new Promise((r) => setTimeout(r, (seconds - 2) * 1000));
const end = process.memoryUsage();
curl.kill();
clearInterval(sampler);
const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
console.log(JSON.stringify({
  seconds,
  upstreamBytesWritten: written,
  baselineRssMB: mb(baseline.rss),
  peakRssMB: mb(peakRss),
  rssGrowthMB: mb(peakRss - baseline.rss),
  peakHeapGrowthMB: mb(peakHeap - baseline.heapUsed),
  peakExternalGrowthMB: mb(peakExternal - baseline.external),
  rssAt2sMB: mb(flowing.rss),
  rssAtEndMB: mb(end.rss),
  heapAt2sMB: mb(flowing.heapUsed),
  heapAtEndMB: mb(end.heapUsed),
}));
server.closeAllConnections();
server.close();
upstream.closeAllConnections();
upstream.close();
await relay.close();
