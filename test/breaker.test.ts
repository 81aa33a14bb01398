/**
 * The circuit breaker: unit behaviour on an injected clock, then through the relay.
 */
import { describe, expect, it, afterEach } from 'vitest';
import { CircuitBreaker, type Admission } from '../src/policy/breaker.js';
import { postChat, startHarness, type Harness } from './helpers/harness.js';

function clock(start = 1_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

/** What `admit()` said: the admission's kind, or `reject`. */
const said = (a: Admission | undefined) => a?.kind ?? 'reject';

describe('CircuitBreaker', () => {
  it('opens after N consecutive failures, not after N scattered ones', () => {
    const c = clock();
    const b = new CircuitBreaker({ failureThreshold: 3, cooldownMs: 1000 }, c.now);
    const pass = () => b.admit()!;
    b.failure(pass());
    b.failure(pass());
    b.success(pass());
    b.failure(pass());
    b.failure(pass());
    expect(b.state).toBe('closed');
    b.failure(pass());
    expect(b.state).toBe('open');
    expect(said(b.admit())).toBe('reject');
  });

  it('lets exactly one probe through after the cooldown, and closes on its success', () => {
    const c = clock();
    const changes: string[] = [];
    const b = new CircuitBreaker({ failureThreshold: 1, cooldownMs: 1000 }, c.now, (s, p) => changes.push(`${p}->${s}`));
    b.failure(b.admit()!);
    c.advance(999);
    expect(said(b.admit())).toBe('reject');
    expect(b.remainingCooldown()).toBe(1);
    c.advance(1);
    const probe = b.admit();
    expect(said(probe)).toBe('probe');
    expect(b.state).toBe('half-open');
    expect(said(b.admit())).toBe('reject'); // a second caller does not get a probe too
    b.success(probe!);
    expect(b.state).toBe('closed');
    expect(said(b.admit())).toBe('pass');
    expect(changes).toEqual(['closed->open', 'open->half-open', 'half-open->closed']);
  });

  it('reopens when the probe fails, with a fresh cooldown', () => {
    const c = clock();
    const b = new CircuitBreaker({ failureThreshold: 1, cooldownMs: 1000 }, c.now);
    b.failure(b.admit()!);
    c.advance(1000);
    const probe = b.admit();
    expect(said(probe)).toBe('probe');
    b.failure(probe!);
    expect(b.state).toBe('open');
    c.advance(500);
    expect(said(b.admit())).toBe('reject');
    c.advance(500);
    expect(said(b.admit())).toBe('probe');
  });

  it('gives a released probe to the next caller', () => {
    const c = clock();
    const b = new CircuitBreaker({ failureThreshold: 1, cooldownMs: 10 }, c.now);
    b.failure(b.admit()!);
    c.advance(10);
    const probe = b.admit()!;
    expect(probe.kind).toBe('probe');
    b.release(probe);
    expect(said(b.admit())).toBe('probe');
  });

  it('is not closed by a request admitted before it opened, which finishes during the cooldown', () => {
    const c = clock();
    const b = new CircuitBreaker({ failureThreshold: 1, cooldownMs: 1000 }, c.now);
    const slow = b.admit()!;
    b.failure(b.admit()!);
    expect(b.state).toBe('open');
    b.success(slow);
    expect(b.state).toBe('open');
    expect(said(b.admit())).toBe('reject');
  });

  it('keeps the probe out while a late result of an earlier generation comes in, so probes never overlap', () => {
    const c = clock();
    const b = new CircuitBreaker({ failureThreshold: 1, cooldownMs: 1000 }, c.now);
    const late = b.admit()!;
    b.failure(b.admit()!);
    c.advance(1000);
    const probe = b.admit()!;
    expect(probe.kind).toBe('probe');
    b.success(late);
    b.release(late);
    b.failure(late);
    expect(b.state).toBe('half-open');
    expect(said(b.admit())).toBe('reject');
    b.success(probe);
    expect(b.state).toBe('closed');
  });

  it('takes outcomes seen outside an admission (health checks, a stream that broke) at once', () => {
    const c = clock();
    const b = new CircuitBreaker({ failureThreshold: 2, cooldownMs: 1000 }, c.now);
    b.observe(false);
    b.observe(false);
    expect(b.state).toBe('open');
    b.observe(true);
    expect(b.state).toBe('closed');
  });

  it('serialises its state', () => {
    const c = clock(5_000);
    const b = new CircuitBreaker({ failureThreshold: 2, cooldownMs: 10 }, c.now);
    b.failure(b.admit()!);
    b.failure(b.admit()!);
    expect(b.toJSON()).toEqual({ state: 'open', failures: 2, openedAt: 5_000 });
  });
});

describe('breaker in the relay', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  it('skips an open target, probes it after the cooldown, and closes on success', async () => {
    const c = clock(Date.now());
    h = await startHarness(['primary', 'backup'], { breaker: { failureThreshold: 2, cooldownMs: 30_000 }, retry: { attempts: 1 }, now: c.now }, {}, { debug: true });
    const events: string[] = [];
    h.relay.on('breakerOpen', (e) => events.push(`open:${e.provider}`));
    h.relay.on('breakerHalfOpen', (e) => events.push(`half-open:${e.provider}`));
    h.relay.on('breakerClose', (e) => events.push(`close:${e.provider}`));
    h.mocks.primary!.setFault({ status: 500 });

    await postChat(h.url, {});
    await postChat(h.url, {});
    expect(events).toEqual(['open:primary']);
    expect(h.mocks.primary!.count).toBe(2);

    const skipped = await postChat(h.url, {}, { 'x-switchyard-debug': '1' });
    expect(skipped.headers.get('x-switchyard-provider')).toBe('backup');
    expect(h.mocks.primary!.count).toBe(2);
    expect(skipped.headers.get('x-switchyard-attempts')).toBe('1');
    expect(JSON.parse(skipped.headers.get('x-switchyard-attempt-details')!)[0]).toMatchObject({ provider: 'primary', outcome: 'skipped' });

    h.mocks.primary!.setFault(null);
    c.advance(30_000);
    const probed = await postChat(h.url, {});
    expect(probed.headers.get('x-switchyard-provider')).toBe('primary');
    expect(events).toEqual(['open:primary', 'half-open:primary', 'close:primary']);
    expect(h.relay.targets().find((t) => t.provider === 'primary')!.breaker.state).toBe('closed');
  });

  it('sends one probe while half-open; concurrent requests go to the next target', async () => {
    const c = clock(Date.now());
    h = await startHarness(['primary', 'backup'], { breaker: { failureThreshold: 1, cooldownMs: 1_000 }, retry: { attempts: 1 }, now: c.now });
    h.mocks.primary!.queueFaults({ status: 500 }, { firstByteDelayMs: 300 });
    await postChat(h.url, {});
    c.advance(1_000);
    const results = await Promise.all([postChat(h.url, {}), postChat(h.url, {}), postChat(h.url, {})]);
    const served = results.map((r) => r.headers.get('x-switchyard-provider')).sort();
    expect(served).toEqual(['backup', 'backup', 'primary']);
    expect(h.mocks.primary!.count).toBe(2);
  });

  it('answers 503 with Retry-After when every breaker is open', async () => {
    const c = clock(Date.now());
    h = await startHarness(['primary', 'backup'], { breaker: { failureThreshold: 1, cooldownMs: 20_000 }, retry: { attempts: 1 }, now: c.now });
    h.mocks.primary!.setFault({ status: 500 });
    h.mocks.backup!.setFault({ status: 500 });
    expect((await postChat(h.url, {})).status).toBe(502);
    c.advance(5_000);
    const r = await postChat(h.url, {});
    expect(r.status).toBe(503);
    expect(r.json.error).toMatchObject({ code: 'no_available_target', type: 'upstream_error' });
    expect(r.headers.get('retry-after')).toBe('15');
    expect(h.mocks.primary!.count + h.mocks.backup!.count).toBe(2);
  });

  it('does not count failures the request itself caused', async () => {
    h = await startHarness(['primary', 'backup'], { breaker: { failureThreshold: 1, cooldownMs: 60_000 } });
    h.mocks.primary!.setFault({ status: 400 });
    await postChat(h.url, {});
    await postChat(h.url, {});
    expect(h.mocks.primary!.count).toBe(2);
    expect(h.relay.targets().find((t) => t.provider === 'primary')!.breaker.state).toBe('closed');
  });

  it('counts a stream that breaks mid-answer against its target', async () => {
    h = await startHarness(['primary'], { breaker: { failureThreshold: 1, cooldownMs: 60_000 } });
    h.mocks.primary!.setFault({ dieAfterChunks: 4 });
    const res = await fetch(`${h.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat', stream: true, messages: [{ role: 'user', content: 'x' }] }),
    });
    await res.text();
    await expect.poll(() => h.relay.targets()[0]!.breaker.state).toBe('open');
  });
});
