/**
 * Events, listeners and shutdown: payloads without keys, throwing listeners, close()
 * releasing sockets and timers.
 */
import { describe, expect, it } from 'vitest';
import { createRelay } from 'switchyard';
import { relayListeners } from './helpers/load.js';
import { chainConfig, postChat, startHarness, startMocks } from './helpers/harness.js';

describe('events', () => {
  it('reports attempts, retries, failovers and completion without keys or prompt text', async () => {
    const h = await startHarness(['primary', 'backup']);
    try {
      h.mocks.primary!.setFault({ status: 503 });
      const seen: Array<[string, unknown]> = [];
      for (const name of ['attempt', 'retry', 'failover', 'complete', 'error'] as const) {
        h.relay.on(name, (e: unknown) => seen.push([name, e]));
      }
      await postChat(h.url, { messages: [{ role: 'user', content: 'my secret prompt' }] });
      expect(seen.map(([n]) => n)).toEqual(['attempt', 'retry', 'attempt', 'failover', 'attempt', 'complete']);
      const complete = seen.at(-1)![1] as Record<string, unknown>;
      expect(complete).toMatchObject({ model: 'chat', provider: 'backup', upstreamModel: 'backup-model', stream: false, attempts: 3 });
      const text = JSON.stringify(seen);
      expect(text).not.toContain('sk-test');
      expect(text).not.toContain('secret prompt');
    } finally {
      await h.close();
    }
  });

  it('emits error with the code when every target fails', async () => {
    const h = await startHarness(['primary'], { retry: { attempts: 1 } });
    try {
      h.mocks.primary!.setFault({ status: 500 });
      const errors: unknown[] = [];
      h.relay.on('error', (e) => errors.push(e));
      await postChat(h.url, {});
      expect(errors).toEqual([expect.objectContaining({ code: 'ERR_SWITCHYARD_ALL_TARGETS_FAILED', status: 502 })]);
    } finally {
      await h.close();
    }
  });

  it('a throwing listener never breaks a request, and unsubscribing works', async () => {
    const h = await startHarness(['primary']);
    try {
      let calls = 0;
      const off = h.relay.on('complete', () => {
        calls++;
        throw new Error('listener bug');
      });
      expect((await postChat(h.url, {})).status).toBe(200);
      off();
      expect((await postChat(h.url, {})).status).toBe(200);
      expect(calls).toBe(1);
    } finally {
      await h.close();
    }
  });
});

describe('close()', () => {
  it('aborts requests in flight, rejects new ones and leaves no sockets or timers', async () => {
    const count = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'Timeout').length;
    const before = count();
    const mocks = await startMocks(['primary']);
    const relay = createRelay(chainConfig(mocks, { retry: { attempts: 1 } }));
    mocks.primary!.setFault({ hang: true });
    const pending = relay.chat({ model: 'chat', messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
    await expect.poll(() => mocks.primary!.count).toBe(1);
    const abandoned = mocks.primary!.nextAbandoned();
    await relay.close();
    expect(await pending).toMatchObject({ code: 'ERR_SWITCHYARD_CLOSED', status: 503 });
    await abandoned;
    await expect(relay.chat({ model: 'chat', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({ code: 'ERR_SWITCHYARD_CLOSED' });
    await mocks.primary!.close();
    // Every socket and timer the relay and the mock made is gone (counted, not just by kind).
    await expect.poll(count).toBeLessThanOrEqual(before);
  });

  it('is idempotent: every call waits for the same shutdown', async () => {
    const mocks = await startMocks(['primary']);
    const relay = createRelay(chainConfig(mocks));
    relay.on('complete', () => {});
    const first = relay.close();
    const second = relay.close();
    expect(second).toBe(first);
    await first;
    await expect(relay.close()).resolves.toBeUndefined();
    expect(relay.isClosed).toBe(true);
    expect(relayListeners(relay)).toBe(0);
    await expect(relay.chat({ model: 'chat', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({ code: 'ERR_SWITCHYARD_CLOSED' });
    await mocks.primary!.close();
  });
});
