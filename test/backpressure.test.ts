/**
 * A slow client must slow the upstream read down, not fill the relay's memory: the
 * relay waits for `drain` before reading on. The upstream here writes as fast as its
 * socket allows; the client reads a little and stalls.
 */
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createRelay } from 'switchyard';
import { closeServer, listen } from './helpers/harness.js';

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
const TOTAL_BYTES = 64 * 1024 * 1024; // what the upstream would send if nothing held it back

describe('backpressure', () => {
  it('keeps the relay buffer bounded while a client reads slowly from a fast upstream', async () => {
    let written = 0;
    const upstream = http.createServer(async (req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      while (written < TOTAL_BYTES && !res.destroyed) {
        written += CHUNK.length;
        if (!res.write(CHUNK)) await drainOrClose(res);
      }
      res.end();
    });
    upstream.listen(0, '127.0.0.1');
    await once(upstream, 'listening');
    const port = (upstream.address() as AddressInfo).port;

    const relay = createRelay({
      providers: { fast: { type: 'openai', baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'k', streamUsage: false } },
      models: { m: { targets: [{ provider: 'fast', model: 'm' }] } },
    });
    let peakBuffered = 0;
    const handler = relay.nodeHandler({ prefix: '/v1' });
    const { server, origin } = await listen((req, res) => {
      const sample = setInterval(() => (peakBuffered = Math.max(peakBuffered, res.writableLength)), 5);
      res.on('close', () => clearInterval(sample));
      handler(req, res);
    });

    try {
      const controller = new AbortController();
      const res = await fetch(`${origin}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'x' }] }),
        signal: controller.signal,
      });
      const reader = res.body!.getReader();
      let read = 0;
      // Read ~64 KiB, then stall long enough for an unbounded relay to buffer everything.
      while (read < 64 * 1024) read += (await reader.read()).value!.length;
      await new Promise((r) => setTimeout(r, 1_500));
      controller.abort();
      await expect.poll(() => relay.inFlight).toBe(0);

      // Kernel socket buffers on loopback absorb a few MiB; the rest of the 64 MiB stayed upstream.
      expect(written).toBeLessThan(TOTAL_BYTES / 2);
      expect(peakBuffered).toBeLessThan(1024 * 1024);
    } finally {
      await closeServer(server);
      await relay.close();
      upstream.closeAllConnections();
      upstream.close();
    }
  });
});
