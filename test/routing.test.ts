/**
 * Smart routing: chains and per-request fallbacks, every strategy, maxLatencyMs, the
 * context-window check, hedging, waiting for recovery and active health checks.
 * Latency-driven cases use controlled mock delays and assert which target served, never
 * how long anything took.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createRelay, type NodeHandlerOptions, type RelayConfig } from 'switchyard';
import { MESSAGES, postChat, startRelay } from './helpers/harness.js';

/** A seeded PRNG (mulberry32), so random strategies are reproducible. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Setup = Awaited<ReturnType<typeof startRelay>>;
let current: Setup | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

/** Mocks `names`, one provider each, and a relay built by `build(providers)`. */
async function setup(names: string[], build: (p: RelayConfig['providers']) => Omit<RelayConfig, 'providers'>, handler: NodeHandlerOptions = {}): Promise<Setup> {
  current = await startRelay(names, build, handler);
  return current;
}

const t = (provider: string, extra: Record<string, unknown> = {}) => ({ provider, model: `${provider}-model`, ...extra });
const served = (r: { headers: Headers }) => r.headers.get('x-switchyard-provider');

describe('chains and tiers', () => {
  it('a chain name is a valid model: its models are tried in order', async () => {
    const s = await setup(['a', 'b', 'c'], () => ({
      models: { fast: { targets: [t('a')] }, solid: { targets: [t('b')] } },
      chains: { quality: ['fast', 'solid', t('c')] },
    }));
    s.mocks.a!.setFault({ status: 503 });
    const r = await postChat(s.url, { model: 'quality' });
    expect(served(r)).toBe('b');
    expect(r.headers.get('x-switchyard-chain')).toBe('quality');
    expect(r.headers.get('x-switchyard-strategy')).toBe('ordered');
    expect(r.headers.get('x-switchyard-fallbacks')).toBe('a/a-model');
    const list = await (await fetch(`${s.url}/models`)).json();
    expect((list as { data: { id: string }[] }).data.map((m) => m.id)).toEqual(['fast', 'solid', 'quality']);
  });

  it('the x-switchyard-chain header picks a chain over the body model', async () => {
    const s = await setup(['a', 'b'], () => ({
      models: { fast: { targets: [t('a')] } },
      chains: { bulk: [t('b')] },
    }));
    const r = await postChat(s.url, { model: 'fast' }, { 'x-switchyard-chain': 'bulk' });
    expect(served(r)).toBe('b');
    const unknown = await postChat(s.url, { model: 'fast' }, { 'x-switchyard-chain': 'nope' });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.message).toContain('x-switchyard-chain');
  });

  it('rejects a chain that names an unknown model, or reuses a model name', () => {
    expect(() => createRelay({ providers: { a: { type: 'openai', baseURL: 'http://127.0.0.1:1/v1' } }, models: { m: { targets: [t('a')] } }, chains: { q: ['m', 'gpt-9'] } })).toThrow(
      'chains.q[1]: unknown public model "gpt-9"',
    );
    expect(() => createRelay({ providers: { a: { type: 'openai', baseURL: 'http://127.0.0.1:1/v1' } }, models: { m: { targets: [t('a')] } }, chains: { m: ['m'] } })).toThrow(
      'chains.m: the name "m" is already a public model',
    );
  });
});

describe('per-request fallbacks (models: [...])', () => {
  const build = () => ({ models: { one: { targets: [t('a')] }, two: { targets: [t('b')] } } });

  it('tries the listed models in order and does not forward the list upstream', async () => {
    const s = await setup(['a', 'b'], build);
    s.mocks.a!.setFault({ status: 500 });
    const r = await postChat(s.url, { model: 'one', models: ['one', 'two'] });
    expect(served(r)).toBe('b');
    expect(s.mocks.b!.requests[0]!.body.models).toBeUndefined();
    expect(r.headers.get('x-switchyard-chain')).toBe('one,two');
  });

  it('accepts only configured names: never a URL', async () => {
    const s = await setup(['a', 'b'], build);
    const r = await postChat(s.url, { model: 'one', models: ['one', 'http://169.254.169.254/v1'] });
    expect(r.status).toBe(404);
    expect(r.json.error.param).toBe('models[1]');
    expect(s.mocks.a!.count + s.mocks.b!.count).toBe(0);
  });

  it('can be switched off by the host', async () => {
    const s = await setup(['a', 'b'], () => ({ ...build(), routing: { requestFallbacks: false } }));
    const r = await postChat(s.url, { model: 'one', models: ['one', 'two'] });
    expect(r.status).toBe(400);
    expect(r.json.error.param).toBe('models');
  });
});

describe('strategies', () => {
  it('weighted spreads load by weight (10/5/3) with a seeded random source', async () => {
    const s = await setup(['a', 'b', 'c'], () => ({
      models: { m: { strategy: 'weighted', targets: [t('a', { weight: 10 }), t('b', { weight: 5 }), t('c', { weight: 3 })] } },
      random: seeded(42),
    }));
    for (let i = 0; i < 180; i++) await postChat(s.url, { model: 'm' });
    const counts = [s.mocks.a!.count, s.mocks.b!.count, s.mocks.c!.count];
    expect(counts.reduce((x, y) => x + y)).toBe(180);
    // Expected 100/50/30; a seeded run lands within a few percent.
    expect(counts[0]).toBeGreaterThan(85);
    expect(counts[0]).toBeLessThan(115);
    expect(counts[1]).toBeGreaterThan(38);
    expect(counts[1]).toBeLessThan(62);
    expect(counts[2]).toBeGreaterThan(20);
    expect(counts[2]).toBeLessThan(40);
  });

  it('weighted never picks an open breaker first', async () => {
    const s = await setup(['a', 'b'], () => ({
      models: { m: { strategy: 'weighted', targets: [t('a', { weight: 100 }), t('b', { weight: 1 })] } },
      breaker: { failureThreshold: 1, cooldownMs: 60_000 },
      random: seeded(7),
    }));
    s.mocks.a!.setFault({ status: 500 });
    await postChat(s.url, { model: 'm' });
    const before = s.mocks.a!.count;
    for (let i = 0; i < 10; i++) expect(served(await postChat(s.url, { model: 'm' }))).toBe('b');
    expect(s.mocks.a!.count).toBe(before);
  });

  it('latency prefers the target with the lowest recent time to first byte', async () => {
    const s = await setup(['slow', 'quick'], () => ({
      models: { m: { strategy: 'latency', targets: [t('slow'), t('quick')] } },
      routing: { exploration: 0 },
    }));
    s.mocks.slow!.setFault({ firstByteDelayMs: 120 });
    // Both get measured once (unmeasured targets go first), then the quick one leads.
    await postChat(s.url, { model: 'm' });
    await postChat(s.url, { model: 'm' });
    for (let i = 0; i < 8; i++) expect(served(await postChat(s.url, { model: 'm' }))).toBe('quick');
    expect(s.mocks.slow!.count).toBe(1);
  });

  it('latency explores now and then, so a recovered target is noticed again', async () => {
    const s = await setup(['a', 'b'], () => ({
      models: { m: { strategy: 'latency', targets: [t('a'), t('b')] } },
      routing: { exploration: 0.3 },
      random: seeded(3),
    }));
    s.mocks.a!.setFault({ firstByteDelayMs: 120 });
    await postChat(s.url, { model: 'm' });
    await postChat(s.url, { model: 'm' });
    s.mocks.a!.setFault(null); // a recovers
    const after: string[] = [];
    for (let i = 0; i < 30; i++) after.push(served(await postChat(s.url, { model: 'm' }))!);
    // Exploration sent some traffic to a, its EWMA fell, and it serves again.
    expect(after.filter((p) => p === 'a').length).toBeGreaterThan(3);
  });

  it('cost puts the cheapest target first, by the price table or a configured price', async () => {
    const s = await setup(['pricey', 'cheap', 'mid'], () => ({
      models: {
        m: {
          strategy: 'cost',
          targets: [
            { provider: 'pricey', model: 'claude-sonnet-4.5' },
            { provider: 'cheap', model: 'deepseek-v3.2' },
            { provider: 'mid', model: 'custom', price: { input: 1, output: 2 } },
          ],
        },
      },
    }));
    expect(served(await postChat(s.url, { model: 'm' }))).toBe('cheap');
    s.mocks.cheap!.setFault({ status: 500 });
    expect(served(await postChat(s.url, { model: 'm' }))).toBe('mid');
  });

  it('cost skips the cheapest when its context window cannot fit the prompt', async () => {
    const s = await setup(['cheap', 'big'], () => ({
      models: {
        m: {
          strategy: 'cost',
          targets: [
            { provider: 'cheap', model: 'deepseek-v3.2', contextWindow: 50 },
            { provider: 'big', model: 'gpt-4.1', contextWindow: 1_000_000 },
          ],
        },
      },
    }));
    const r = await postChat(s.url, { model: 'm', messages: [{ role: 'user', content: 'word '.repeat(200) }] });
    expect(served(r)).toBe('big');
    expect(s.mocks.cheap!.count).toBe(0);
  });

  it('least-busy sends the next request to the target with fewer in flight', async () => {
    const s = await setup(['a', 'b'], () => ({ models: { m: { strategy: 'least-busy', targets: [t('a'), t('b')] } } }));
    s.mocks.a!.setFault({ firstByteDelayMs: 400 });
    const slow = postChat(s.url, { model: 'm' });
    await expect.poll(() => s.mocks.a!.count).toBe(1);
    expect(served(await postChat(s.url, { model: 'm' }))).toBe('b');
    expect(served(await slow)).toBe('a');
  });
});

describe('maxLatencyMs', () => {
  it('abandons a target slower than its limit and moves on without retrying it', async () => {
    const s = await setup(['slow', 'next'], () => ({
      models: { m: { targets: [t('slow', { maxLatencyMs: 100 }), t('next')] } },
      retry: { attempts: 3, baseDelayMs: 1 },
    }));
    s.mocks.slow!.setFault({ firstByteDelayMs: 5_000 });
    const r = await postChat(s.url, { model: 'm' });
    expect(served(r)).toBe('next');
    expect(s.mocks.slow!.count).toBe(1);
    await expect.poll(() => s.mocks.slow!.abandoned).toBe(1);
  });
});

describe('context window', () => {
  const long = [{ role: 'user', content: 'lorem ipsum dolor sit amet '.repeat(100) }];

  it('skips targets whose window cannot fit the prompt, with a real tokenizer for OpenAI models', async () => {
    const s = await setup(['small', 'large'], () => ({
      models: { m: { targets: [{ provider: 'small', model: 'gpt-4.1-mini', contextWindow: 300 }, { provider: 'large', model: 'gpt-4.1', contextWindow: 1_000_000 }] } },
    }));
    const r = await postChat(s.url, { model: 'm', messages: long });
    expect(served(r)).toBe('large');
    expect(s.mocks.small!.count).toBe(0);
    expect(r.headers.get('x-switchyard-fallbacks')).toBe('small/gpt-4.1-mini');
    // A short prompt fits the small window.
    expect(served(await postChat(s.url, { model: 'm', messages: MESSAGES }))).toBe('small');
  });

  it('counts the reserved output tokens too', async () => {
    const s = await setup(['small', 'large'], () => ({
      models: { m: { targets: [t('small', { contextWindow: 100 }), t('large')] } },
    }));
    expect(served(await postChat(s.url, { model: 'm', max_tokens: 50 }))).toBe('small');
    expect(served(await postChat(s.url, { model: 'm', max_tokens: 500 }))).toBe('large');
  });

  it('answers 400 when the prompt fits no target', async () => {
    const s = await setup(['a'], () => ({ models: { m: { targets: [t('a', { contextWindow: 10 })] } } }));
    const r = await postChat(s.url, { model: 'm', messages: long });
    expect(r.status).toBe(400);
    expect(r.json.error.param).toBe('messages');
    expect(s.mocks.a!.count).toBe(0);
  });

  it('after a context-length error, moves on to a target with a larger window', async () => {
    const s = await setup(['a', 'b', 'c'], () => ({
      models: { m: { targets: [t('a', { contextWindow: 8_000 }), t('b', { contextWindow: 8_000 }), t('c', { contextWindow: 128_000 })] } },
    }));
    s.mocks.a!.setFault({ status: 400, body: { error: { message: 'maximum context length is 8000 tokens', code: 'context_length_exceeded' } } });
    const r = await postChat(s.url, { model: 'm' });
    expect(served(r)).toBe('c');
    expect(s.mocks.b!.count).toBe(0);
  });
});

describe('hedged requests', () => {
  it('starts the next target when the first is slow, takes the first answer and aborts the other', async () => {
    const s = await setup(['primary', 'backup'], () => ({ models: { m: { hedge: { afterMs: 50 }, targets: [t('primary'), t('backup')] } } }), { debug: true });
    s.mocks.primary!.setFault({ firstByteDelayMs: 5_000 });
    const r = await postChat(s.url, { model: 'm' }, { 'x-switchyard-debug': '1' });
    expect(served(r)).toBe('backup');
    await expect.poll(() => s.mocks.primary!.abandoned).toBe(1);
    const outcomes = JSON.parse(r.headers.get('x-switchyard-attempt-details')!).map((a: { provider: string; outcome: string }) => `${a.provider}:${a.outcome}`);
    expect(outcomes.sort()).toEqual(['backup:ok', 'primary:cancelled']);
  });

  it('does not start the hedge when the first target answers in time, and does when it is late', async () => {
    const s = await setup(['primary', 'backup'], () => ({ models: { m: { hedge: { afterMs: 1_000 }, targets: [t('primary'), t('backup')] } } }));
    for (let i = 0; i < 3; i++) expect(served(await postChat(s.url, { model: 'm' }))).toBe('primary');
    expect(s.mocks.backup!.count).toBe(0);
    s.mocks.primary!.setFault({ firstByteDelayMs: 10_000 });
    expect(served(await postChat(s.url, { model: 'm' }))).toBe('backup');
  });

  it('hedges streams too, and the loser is aborted', async () => {
    const s = await setup(['primary', 'backup'], () => ({ models: { m: { hedge: { afterMs: 50 }, targets: [t('primary'), t('backup')] } } }));
    s.mocks.primary!.setFault({ firstByteDelayMs: 5_000 });
    const res = await fetch(`${s.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', stream: true, messages: MESSAGES }),
    });
    expect(res.headers.get('x-switchyard-provider')).toBe('backup');
    expect(await res.text()).toContain('[DONE]');
    await expect.poll(() => s.mocks.primary!.abandoned).toBe(1);
  });

  it("afterMs: 'p95' waits for the target's own recent p95", async () => {
    const s = await setup(['primary', 'backup'], () => ({ models: { m: { hedge: { afterMs: 'p95' }, targets: [t('primary'), t('backup')] } } }));
    // Each slower than the last, but fewer than 5 samples when each starts: no hedge yet.
    for (let i = 0; i < 5; i++) {
      s.mocks.primary!.setFault({ firstByteDelayMs: i * 40 });
      await postChat(s.url, { model: 'm' });
    }
    expect(s.mocks.backup!.count).toBe(0);
    s.mocks.primary!.setFault({ firstByteDelayMs: 0 });
    // One more, quicker than the p95 of the five, so the sixth sample is in for the next.
    await postChat(s.url, { model: 'm' });
    s.mocks.primary!.setFault({ firstByteDelayMs: 5_000 });
    expect(served(await postChat(s.url, { model: 'm' }))).toBe('backup');
  });

  it('when the hedged pair both fail, the chain goes on', async () => {
    const s = await setup(['a', 'b', 'c'], () => ({ models: { m: { hedge: { afterMs: 30 }, targets: [t('a'), t('b'), t('c')] } } }));
    const causes: string[] = [];
    s.relay.on('attempt', (e) => causes.push(`${e.provider}:${e.cause}`));
    s.mocks.a!.setFault({ firstByteDelayMs: 300, status: 500 });
    s.mocks.b!.setFault({ status: 500 });
    expect(served(await postChat(s.url, { model: 'm' }))).toBe('c');
    // b was started as the hedge while a was still out, not after a failed.
    expect(causes).toEqual(['b:hedge', 'a:first', 'c:first']);
  });
});

describe('waitForRecoveryMs', () => {
  it('waits for the first breaker to let a probe through instead of failing at once', async () => {
    const s = await setup(['a'], () => ({
      models: { m: { waitForRecoveryMs: 2_000, targets: [t('a')] } },
      breaker: { failureThreshold: 1, cooldownMs: 150 },
    }));
    s.mocks.a!.queueFaults({ status: 500 });
    expect((await postChat(s.url, { model: 'm' })).status).toBe(502);
    const r = await postChat(s.url, { model: 'm' });
    expect(r.status).toBe(200);
    expect(s.mocks.a!.count).toBe(2);
  });

  it('is off by default: 503 at once', async () => {
    const s = await setup(['a'], () => ({ models: { m: { targets: [t('a')] } }, breaker: { failureThreshold: 1, cooldownMs: 60_000 } }));
    s.mocks.a!.setFault({ status: 500 });
    await postChat(s.url, { model: 'm' });
    expect((await postChat(s.url, { model: 'm' })).status).toBe(503);
  });
});

describe('active health checks', () => {
  it('opens the breaker of a provider whose probe fails, before any user request, and closes it on recovery', async () => {
    const s = await setup(['a', 'b'], (p) => {
      p.a = { ...p.a!, healthCheck: { intervalMs: 100 } };
      return { models: { m: { targets: [t('a'), t('b')] } }, breaker: { failureThreshold: 2, cooldownMs: 60_000 } };
    });
    let down = true;
    s.mocks.a!.onRequest((req) => (req.path === '/v1/models' && down ? { status: 503 } : null));
    await expect.poll(() => s.relay.targets().find((x) => x.provider === 'a')!.breaker.state, { timeout: 3_000 }).toBe('open');
    expect(served(await postChat(s.url, { model: 'm' }))).toBe('b');
    expect(s.mocks.a!.count).toBe(0);
    down = false;
    await expect.poll(() => s.relay.targets().find((x) => x.provider === 'a')!.breaker.state, { timeout: 3_000 }).toBe('closed');
    expect(served(await postChat(s.url, { model: 'm' }))).toBe('a');
    expect(s.mocks.a!.requests.filter((r) => r.path === '/v1/models').every((r) => r.headers.authorization === 'Bearer sk-a')).toBe(true);
  });
});
