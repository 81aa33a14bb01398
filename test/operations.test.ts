/**
 * Operations without restarts: live configuration updates under traffic, operator
 * controls (breaker overrides, drains) with audit events, and graceful shutdown.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RelayConfig } from 'switchyard';
import { MESSAGES, postChat, sseData, startRelay, streamedText } from './helpers/harness.js';

type Setup = Awaited<ReturnType<typeof startRelay>>;
let current: Setup | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

async function setup(names: string[], admin = false): Promise<Setup> {
  current = await startRelay(names, () => ({ models: { m: { targets: [{ provider: names[0]!, model: 'x' }] } } }), { admin });
  return current;
}

const stream = (url: string, model = 'm') =>
  fetch(`${url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, stream: true, messages: MESSAGES }),
  }).then(async (res) => ({ status: res.status, provider: res.headers.get('x-switchyard-provider'), text: await res.text() }));

describe('relay.update()', () => {
  it('swaps the configuration mid-traffic without failing or truncating anything', async () => {
    const s = await setup(['a', 'b'], false);
    s.mocks.a!.setFault({ dripMs: 20 });
    s.mocks.b!.setFault({ dripMs: 20 });
    const controls: unknown[] = [];
    s.relay.on('control', (e) => controls.push(e));
    const traffic = Promise.all(
      Array.from({ length: 24 }, (_, i) => (i % 2 ? stream(s.url) : postChat(s.url, { model: 'm' }).then((r) => ({ status: r.status, provider: r.headers.get('x-switchyard-provider'), text: r.text })))),
    );
    await expect.poll(() => s.mocks.a!.count).toBeGreaterThan(4);
    // Move the model to provider b, add a second model, while requests are in flight.
    s.relay.update({ ...s.config, models: { m: { targets: [{ provider: 'b', model: 'y' }] }, extra: { targets: [{ provider: 'a', model: 'z' }] } } }, { actor: 'ops:alice' });
    const after = await Promise.all(Array.from({ length: 6 }, () => stream(s.url)));
    const results = [...(await traffic), ...after];
    for (const r of results) {
      expect(r.status).toBe(200);
      if (r.text.startsWith('data:')) {
        expect(sseData(r.text).at(-1)).toBe('[DONE]');
        expect(streamedText(r.text)).toBe(`Hello from ${r.provider}! This is a streamed reply from a mock upstream.`);
      }
    }
    // New requests use the new configuration.
    expect(after.every((r) => r.provider === 'b')).toBe(true);
    expect(controls).toEqual([expect.objectContaining({ action: 'update', actor: 'ops:alice', detail: expect.objectContaining({ modelsAdded: ['extra'] }) })]);
    expect((await postChat(s.url, { model: 'extra' })).status).toBe(200);
  });

  it('refuses an invalid configuration with the field named, and keeps the old one', async () => {
    const s = await setup(['a']);
    expect(() => s.relay.update({ ...s.config, models: { m: { targets: [{ provider: 'nope', model: 'x' }] } } })).toThrow('models.m.targets[0].provider: unknown provider "nope"');
    expect((await postChat(s.url, { model: 'm' })).status).toBe(200);
  });

  it('keeps breaker state of targets that still exist', async () => {
    const s = await setup(['a', 'b']);
    const config: RelayConfig = { ...s.config, breaker: { failureThreshold: 1, cooldownMs: 60_000 }, models: { m: { targets: [{ provider: 'a', model: 'x' }, { provider: 'b', model: 'y' }] } } };
    s.relay.update(config);
    s.mocks.a!.setFault({ status: 500 });
    await postChat(s.url, { model: 'm' });
    s.relay.update({ ...config, models: { ...config.models, other: { targets: [{ provider: 'b', model: 'y' }] } } });
    expect(s.relay.targets().find((t) => t.provider === 'a')!.breaker.state).toBe('open');
    s.mocks.a!.setFault(null);
    expect((await postChat(s.url, { model: 'm' })).headers.get('x-switchyard-provider')).toBe('b');
  });
});

describe('operator controls', () => {
  it('holds a breaker open for maintenance and releases it, with audit events', async () => {
    const s = await setup(['a', 'b']);
    s.relay.update({ ...s.config, models: { m: { targets: [{ provider: 'a', model: 'x' }, { provider: 'b', model: 'y' }] } } });
    const controls: unknown[] = [];
    s.relay.on('control', (e) => controls.push(e));
    s.relay.setBreaker('a', 'x', 'open', { actor: 'ops:bob' });
    expect((await postChat(s.url, { model: 'm' })).headers.get('x-switchyard-provider')).toBe('b');
    expect(s.mocks.a!.count).toBe(0);
    expect(s.relay.targets().find((t) => t.provider === 'a')).toMatchObject({ override: 'open', breaker: { state: 'open' } });
    s.relay.setBreaker('a', undefined, 'auto', { actor: 'ops:bob' });
    expect((await postChat(s.url, { model: 'm' })).headers.get('x-switchyard-provider')).toBe('a');
    expect(controls).toEqual([
      expect.objectContaining({ action: 'breaker', actor: 'ops:bob', provider: 'a', model: 'x', state: 'open' }),
      expect.objectContaining({ action: 'breaker', provider: 'a', state: 'auto' }),
    ]);
  });

  it('holds a breaker closed whatever its failures', async () => {
    const s = await setup(['a']);
    s.relay.update({ ...s.config, breaker: { failureThreshold: 1, cooldownMs: 60_000 } });
    s.relay.setBreaker('a', 'x', 'closed');
    s.mocks.a!.setFault({ status: 500 });
    await postChat(s.url, { model: 'm' });
    await postChat(s.url, { model: 'm' });
    expect(s.mocks.a!.count).toBe(2);
  });

  it('a drained provider gets no new requests while its in-flight stream completes', async () => {
    const s = await setup(['a', 'b']);
    s.relay.update({ ...s.config, models: { m: { targets: [{ provider: 'a', model: 'x' }, { provider: 'b', model: 'y' }] } } });
    s.mocks.a!.setFault({ dripMs: 40 });
    const inflight = stream(s.url);
    await expect.poll(() => s.mocks.a!.count).toBe(1);
    s.relay.drain('a', { actor: 'ops:carol' });
    const next = await postChat(s.url, { model: 'm' });
    expect(next.headers.get('x-switchyard-provider')).toBe('b');
    const done = await inflight;
    expect(done.provider).toBe('a');
    expect(sseData(done.text).at(-1)).toBe('[DONE]');
    expect(s.mocks.a!.count).toBe(1);
    s.relay.undrain('a');
    expect((await postChat(s.url, { model: 'm' })).headers.get('x-switchyard-provider')).toBe('a');
  });

  it('offers the same controls over HTTP when mounted', async () => {
    const s = await setup(['a', 'b'], true);
    s.relay.update({ ...s.config, models: { m: { targets: [{ provider: 'a', model: 'x' }, { provider: 'b', model: 'y' }] } } });
    const controls: Array<{ actor?: string }> = [];
    s.relay.on('control', (e) => controls.push(e));
    const list = (await (await fetch(`${s.url}/admin/targets`)).json()) as { targets: { provider: string }[] };
    expect(list.targets.map((t) => t.provider).sort()).toEqual(['a', 'b']);
    const post = (path: string, body: unknown) =>
      fetch(`${s.url}/admin/${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-switchyard-actor': 'dave' }, body: JSON.stringify(body) });
    expect((await post('drain', { provider: 'a', draining: true })).status).toBe(200);
    expect((await postChat(s.url, { model: 'm' })).headers.get('x-switchyard-provider')).toBe('b');
    expect((await post('breaker', { provider: 'b', state: 'sideways' })).status).toBe(400);
    expect((await post('breaker', { provider: 'zzz', state: 'open' })).status).toBe(400);
    expect(controls[0]).toMatchObject({ action: 'drain', actor: 'dave', provider: 'a' });
  });
});

describe('graceful shutdown', () => {
  it('close({ drainMs }) refuses new requests with 503 and lets in-flight streams finish', async () => {
    const s = await setup(['a']);
    s.mocks.a!.setFault({ dripMs: 30 });
    const inflight = stream(s.url);
    await expect.poll(() => s.relay.inFlight).toBe(1);
    const closing = s.relay.close({ drainMs: 5_000 });
    const refused = await postChat(s.url, { model: 'm' });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.json.error.code).toBe('relay_closed');
    const done = await inflight;
    expect(sseData(done.text).at(-1)).toBe('[DONE]');
    await closing;
  });

  it('aborts what is left when drainMs runs out, leaving nothing hanging', async () => {
    const s = await setup(['a']);
    const chunk = (content: string) => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 0, model: 'x', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;
    // The stream starts (its first event has content), then the upstream is slow.
    s.mocks.a!.setFault({ raw: chunk('Hello') + chunk(' world') + 'data: [DONE]\n\n', dripMs: 10_000 });
    const inflight = stream(s.url);
    await expect.poll(() => s.relay.inFlight).toBe(1);
    const abandoned = s.mocks.a!.nextAbandoned();
    await s.relay.close({ drainMs: 100 });
    const done = await inflight;
    const events = sseData(done.text);
    expect(JSON.parse(events[0]!).choices[0].delta.content).toBe('Hello');
    expect(JSON.parse(events.at(-1)!).error.code).toBe('stream_interrupted');
    await abandoned;
    expect(s.relay.inFlight).toBe(0);
  });
});
