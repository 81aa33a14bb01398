/**
 * Breakers shared through a store, without Redis: `CircuitBreaker.applyRemote` on an
 * injected clock, then relays on an in-process store that shares verdicts the way the
 * Redis store does (the Redis suites run the same against a real server).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createRelay, MemoryStore, type BreakerSubscriber, type BreakerTransition, type ProbeClaim, type Relay, type Store } from 'switchyard';
import type { MockUpstream } from 'switchyard/testing';
import { CircuitBreaker } from '../src/policy/breaker.js';
import { closeServer, listen, postChat, startMocks } from './helpers/harness.js';

describe('CircuitBreaker.applyRemote', () => {
  it('opens from the given time, does not re-open an open breaker, and closes with its failures reset', () => {
    let t = 10_000;
    const changes: string[] = [];
    const b = new CircuitBreaker({ failureThreshold: 3, cooldownMs: 1_000 }, () => t, (s, p) => changes.push(`${p}->${s}`));
    b.failure(b.admit()!);
    b.applyRemote('open', 9_500); // opened elsewhere half a second ago
    expect(b.state).toBe('open');
    expect(b.remainingCooldown()).toBe(500);
    b.applyRemote('open', 10_000);
    expect(b.remainingCooldown()).toBe(500);
    t += 500;
    expect(b.admit()?.kind).toBe('probe');
    b.applyRemote('closed', 0);
    expect(b.toJSON()).toEqual({ state: 'closed', failures: 0, openedAt: 9_500 });
    expect(changes).toEqual(['closed->open', 'open->half-open', 'half-open->closed']);
  });

  it('leaves an operator hold in force', () => {
    const b = new CircuitBreaker({ failureThreshold: 1, cooldownMs: 1_000 }, () => 0);
    b.force('closed');
    b.applyRemote('open', 0);
    expect(b.state).toBe('closed');
    expect(b.admit()?.kind).toBe('pass');
  });
});

/** One shared bus per test: the store of each relay talks to it, like Redis pub/sub. */
function bus() {
  const subscribers = new Set<BreakerSubscriber>();
  const claims = new Map<string, { owner: string; until: number }>();
  const published: Omit<BreakerTransition, 'ageMs' | 'replay'>[] = [];
  let down = false;
  let asked = 0;
  const fail = () => Promise.reject(new Error('store down'));
  const store = (): Store & { close(): void } => {
    const memory = new MemoryStore();
    return {
      take: (...a) => memory.take(...a),
      give: (...a) => memory.give(...a),
      reserve: (...a) => memory.reserve(...a),
      settle: (...a) => memory.settle(...a),
      close: () => memory.close(),
      async publishBreaker(t) {
        if (down) return fail();
        published.push(t);
        claims.delete(t.target);
        for (const s of subscribers) s.transition({ ...t, ageMs: 0, replay: false });
      },
      subscribeBreakers(s) {
        subscribers.add(s);
        return () => subscribers.delete(s);
      },
      async acquireProbe(target, owner, ttlMs): Promise<ProbeClaim> {
        asked++;
        if (down) return fail();
        const claim = claims.get(target);
        if (claim && claim.owner !== owner && claim.until > Date.now()) return { granted: false, heldMs: claim.until - Date.now() };
        claims.set(target, { owner, until: Date.now() + ttlMs });
        return { granted: true };
      },
      async releaseProbe(target, owner) {
        if (down) return fail();
        if (claims.get(target)?.owner === owner) claims.delete(target);
      },
    };
  };
  return {
    store,
    published,
    get asked() {
      return asked;
    },
    /** Probe claims not yet released or ended by a verdict. */
    get held() {
      return claims.size;
    },
    setDown(value: boolean) {
      down = value;
      if (!value) for (const s of subscribers) s.ready?.();
    },
  };
}

describe('relays sharing breakers through a store', () => {
  let mocks: Record<string, MockUpstream> = {};
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0)) await c();
  });

  async function relays(shared: ReturnType<typeof bus>, count: number, cooldownMs = 60_000) {
    mocks = await startMocks(['a', 'b']);
    const out: { relay: Relay; url: string; errors: string[] }[] = [];
    for (let i = 0; i < count; i++) {
      const store = shared.store();
      const relay = createRelay({
        providers: { a: { type: 'openai', baseURL: mocks.a!.url, apiKey: 'sk-a' }, b: { type: 'openai', baseURL: mocks.b!.url, apiKey: 'sk-b' } },
        models: { chat: { targets: [{ provider: 'a', model: 'x' }, { provider: 'b', model: 'y' }] } },
        retry: { attempts: 1 },
        breaker: { failureThreshold: 1, cooldownMs },
        store,
      });
      const errors: string[] = [];
      relay.on('storeError', (e) => errors.push(`${e.operation}:${e.allowed}`));
      const { server, origin } = await listen(relay.nodeHandler({ prefix: '/v1' }));
      cleanup.push(async () => {
        await closeServer(server);
        await relay.close();
        store.close();
      });
      out.push({ relay, url: `${origin}/v1`, errors });
    }
    cleanup.push(() => Promise.all(Object.values(mocks).map((m) => m.close())).then(() => {}));
    return out;
  }
  const stateOf = (relay: Relay) => relay.targets().find((t) => t.provider === 'a')!.breaker.state;

  it('publishes its own verdicts once, applies the others\' without publishing them again', async () => {
    const shared = bus();
    const [one, two] = await relays(shared, 2);
    mocks.a!.setFault({ status: 503 });
    expect((await postChat(one!.url, { model: 'chat' })).headers.get('x-switchyard-provider')).toBe('b');
    expect([stateOf(one!.relay), stateOf(two!.relay)]).toEqual(['open', 'open']);
    expect(shared.published).toEqual([{ target: 'a/x', state: 'open', origin: expect.any(String) }]);
    const before = mocks.a!.count;
    await postChat(two!.url, { model: 'chat' });
    expect(mocks.a!.count).toBe(before);
    // Operator holds are local.
    two!.relay.setBreaker('a', 'x', 'closed');
    two!.relay.setBreaker('a', 'x', 'auto');
    expect(shared.published).toHaveLength(1);
    expect(stateOf(one!.relay)).toBe('open');
  });

  it('lets one relay probe; the other skips the target without asking again', async () => {
    const shared = bus();
    const [one, two] = await relays(shared, 2, 100);
    mocks.a!.setFault({ status: 503 });
    await postChat(one!.url, { model: 'chat' });
    await new Promise((r) => setTimeout(r, 150));
    // The probe is slow, so the other relay's requests all come while it is out.
    mocks.a!.setFault({ firstByteDelayMs: 1_500 });
    const sent = mocks.a!.count;
    const probing = postChat(one!.url, { model: 'chat' });
    await expect.poll(() => shared.asked).toBe(1);
    for (let i = 0; i < 3; i++) expect((await postChat(two!.url, { model: 'chat' })).headers.get('x-switchyard-provider')).toBe('b');
    expect((await probing).headers.get('x-switchyard-provider')).toBe('a');
    expect(mocks.a!.count - sent).toBe(1);
    expect(shared.asked).toBe(2); // one's claim, and two's refusal, remembered after
    expect([stateOf(one!.relay), stateOf(two!.relay)]).toEqual(['closed', 'closed']);
  });

  it('holds the probe claim for as long as the probe is out, even past the cooldown', async () => {
    const shared = bus();
    const [one, two] = await relays(shared, 2, 100);
    mocks.a!.setFault({ status: 503 });
    await postChat(one!.url, { model: 'chat' });
    await new Promise((r) => setTimeout(r, 150));
    mocks.a!.setFault({ firstByteDelayMs: 3_000 });
    const sent = mocks.a!.count;
    const probing = postChat(one!.url, { model: 'chat' });
    await expect.poll(() => mocks.a!.count).toBe(sent + 1);
    // Three cooldowns later the probe is still out: the other relay must not probe too.
    await new Promise((r) => setTimeout(r, 300));
    expect((await postChat(two!.url, { model: 'chat' })).headers.get('x-switchyard-provider')).toBe('b');
    expect(mocks.a!.count).toBe(sent + 1);
    expect((await probing).headers.get('x-switchyard-provider')).toBe('a');
  });

  it('gives the probe claim back at once when its client leaves', async () => {
    const shared = bus();
    const [one, two] = await relays(shared, 2, 100);
    mocks.a!.setFault({ status: 503 });
    await postChat(one!.url, { model: 'chat' });
    await new Promise((r) => setTimeout(r, 150));
    mocks.a!.setFault({ hang: true });
    const client = new AbortController();
    const probing = fetch(`${one!.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'x' }] }),
      signal: client.signal,
    }).catch(() => undefined);
    await expect.poll(() => mocks.a!.count).toBe(2);
    client.abort();
    await probing;
    await expect.poll(() => mocks.a!.abandoned).toBe(1);
    await expect.poll(() => shared.held).toBe(0);
    mocks.a!.setFault(null);
    // The other relay probes now, without waiting for a claim the first one no longer uses.
    expect((await postChat(two!.url, { model: 'chat' })).headers.get('x-switchyard-provider')).toBe('a');
    expect(stateOf(two!.relay)).toBe('closed');
  });

  it('fails open while the store is down, reports it, and publishes what it missed when it is back', async () => {
    const shared = bus();
    const [one, two] = await relays(shared, 2, 100);
    shared.setDown(true);
    mocks.a!.setFault({ status: 503 });
    expect((await postChat(one!.url, { model: 'chat' })).status).toBe(200);
    expect([stateOf(one!.relay), stateOf(two!.relay)]).toEqual(['open', 'closed']);
    await expect.poll(() => one!.errors).toContain('publishBreaker:true');
    // Back: the verdict it could not publish reaches the other relay.
    shared.setDown(false);
    await expect.poll(() => stateOf(two!.relay)).toBe('open');
    expect(shared.published.map((p) => p.state)).toEqual(['open']);
    // Down again when the cooldown ends: the probe is granted locally rather than never.
    shared.setDown(true);
    await new Promise((r) => setTimeout(r, 150));
    mocks.a!.setFault(null);
    expect((await postChat(one!.url, { model: 'chat' })).headers.get('x-switchyard-provider')).toBe('a');
    expect(one!.errors).toContain('acquireProbe:true');
    expect(stateOf(one!.relay)).toBe('closed');
  });
});
