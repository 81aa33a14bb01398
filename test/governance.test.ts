/**
 * Governance: cost, rate limits (per target and per caller), budgets with reservations,
 * the response cache, and what happens when the store fails.
 */
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStore, type RelayConfig, type Store } from 'switchyard';
import { MESSAGES, postChat, sseData, startRelay } from './helpers/harness.js';

type Setup = Awaited<ReturnType<typeof startRelay>>;
let current: Setup | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

async function setup(names: string[], build: () => Omit<RelayConfig, 'providers'>): Promise<Setup> {
  current = await startRelay(names, build);
  return current;
}

const byUser = { key: (req: { headers: Record<string, unknown> }) => req.headers['x-user'] as string | undefined };
const served = (r: { headers: Headers }) => r.headers.get('x-switchyard-provider');

describe('cost', () => {
  it('reports the cost of a non-streaming answer from its usage and the price table', async () => {
    const s = await setup(['a'], () => ({ models: { m: { targets: [{ provider: 'a', model: 'gpt-4.1' }] } } }));
    const r = await postChat(s.url, { model: 'm' });
    const { prompt_tokens, completion_tokens } = r.json.usage;
    const expected = (prompt_tokens * 2 + completion_tokens * 8) / 1e6;
    expect(Number(r.headers.get('x-switchyard-cost-usd'))).toBeCloseTo(expected, 10);
  });

  const streamOf = async (url: string, extra: Record<string, unknown> = {}) => {
    const res = await request(`${url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', stream: true, messages: MESSAGES, ...extra }),
    });
    const data = sseData(await res.body.text());
    return { data, chunks: data.slice(0, -1).map((d) => JSON.parse(d)), trailers: res.trailers };
  };

  it('reports the cost of a stream in a trailer and the complete event, and sends nothing the client did not ask for', async () => {
    const s = await setup(['a'], () => ({ models: { m: { targets: [{ provider: 'a', model: 'claude-sonnet-4.5' }] } } }));
    const events: Array<{ costUsd?: number; usage?: { prompt_tokens: number; completion_tokens: number } }> = [];
    s.relay.on('complete', (e) => events.push(e));
    const { data, chunks, trailers } = await streamOf(s.url);
    expect(data.at(-1)).toBe('[DONE]');
    // The relay asked the upstream for usage to count the cost; the client did not ask for it.
    expect(s.mocks.a!.requests[0]!.body.stream_options).toEqual({ include_usage: true });
    for (const chunk of chunks) {
      expect(chunk.choices.length).toBeGreaterThan(0);
      expect(chunk).not.toHaveProperty('usage');
      expect(chunk).not.toHaveProperty('switchyard');
    }
    await expect.poll(() => events.length).toBe(1);
    const { prompt_tokens, completion_tokens } = events[0]!.usage!;
    expect(events[0]!.costUsd).toBeCloseTo((prompt_tokens * 3 + completion_tokens * 15) / 1e6, 12);
    expect(Number(trailers['x-switchyard-cost-usd'])).toBeCloseTo(events[0]!.costUsd!, 8);
  });

  it('puts the cost on the usage chunk when the client asked for usage', async () => {
    const s = await setup(['a'], () => ({ models: { m: { targets: [{ provider: 'a', model: 'claude-sonnet-4.5' }] } } }));
    const { chunks } = await streamOf(s.url, { stream_options: { include_usage: true } });
    const usage = chunks.filter((c) => c.usage);
    expect(usage).toHaveLength(1);
    expect(usage[0].choices).toEqual([]);
    const { prompt_tokens, completion_tokens } = usage[0].usage;
    expect(usage[0].switchyard.cost_usd).toBeCloseTo((prompt_tokens * 3 + completion_tokens * 15) / 1e6, 10);
  });

  it('adds no cost chunk when the model has no price', async () => {
    const s = await setup(['a'], () => ({ models: { m: { targets: [{ provider: 'a', model: 'unpriced' }] } } }));
    const res = await fetch(`${s.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', stream: true, messages: MESSAGES }),
    });
    expect((await res.text()).includes('switchyard')).toBe(false);
  });
});

describe('rate limits per target', () => {
  it('skips a target over its requests per minute, so traffic flows to the next one', async () => {
    const s = await setup(['a', 'b'], () => ({
      models: { m: { targets: [{ provider: 'a', model: 'x', rateLimit: { requestsPerMinute: 2 } }, { provider: 'b', model: 'y' }] } },
    }));
    const limited: unknown[] = [];
    s.relay.on('rateLimited', (e) => limited.push(e));
    const order = [];
    for (let i = 0; i < 4; i++) order.push(served(await postChat(s.url, { model: 'm' })));
    expect(order).toEqual(['a', 'a', 'b', 'b']);
    expect(s.mocks.a!.count).toBe(2);
    expect(limited[0]).toMatchObject({ scope: 'target', subject: 'a/x', limit: 'requests', perMinute: 2 });
  });

  it('skips a target whose tokens per minute cannot take the prompt', async () => {
    const s = await setup(['a', 'b'], () => ({
      models: { m: { targets: [{ provider: 'a', model: 'x', rateLimit: { tokensPerMinute: 100 } }, { provider: 'b', model: 'y' }] } },
    }));
    expect(served(await postChat(s.url, { model: 'm' }))).toBe('a');
    expect(served(await postChat(s.url, { model: 'm', messages: [{ role: 'user', content: 'x'.repeat(2000) }] }))).toBe('b');
  });

  it('answers 429 when every target is over its limit', async () => {
    const s = await setup(['a'], () => ({ models: { m: { targets: [{ provider: 'a', model: 'x', rateLimit: { requestsPerMinute: 1 } }] } } }));
    await postChat(s.url, { model: 'm' });
    const r = await postChat(s.url, { model: 'm' });
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBeTruthy();
  });
});

describe('rate limits per caller', () => {
  it('answers 429 with Retry-After and x-ratelimit-* headers over the limit, per caller', async () => {
    const s = await setup(['a'], () => ({ models: { m: { targets: [{ provider: 'a', model: 'x' }] } }, callers: { ...byUser, rateLimit: { requestsPerMinute: 2 } } }));
    const first = await postChat(s.url, { model: 'm' }, { 'x-user': 'alice' });
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-limit-requests')).toBe('2');
    expect(first.headers.get('x-ratelimit-remaining-requests')).toBe('1');
    await postChat(s.url, { model: 'm' }, { 'x-user': 'alice' });
    const over = await postChat(s.url, { model: 'm' }, { 'x-user': 'alice' });
    expect(over.status).toBe(429);
    expect(over.json.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' });
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(over.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(over.headers.get('x-ratelimit-reset-requests')).toMatch(/^\d+(ms|s|m\d+s)$/);
    expect(s.mocks.a!.count).toBe(2);
    // Another caller, and a request without a caller key, are not limited by alice's use.
    expect((await postChat(s.url, { model: 'm' }, { 'x-user': 'bob' })).status).toBe(200);
    expect((await postChat(s.url, { model: 'm' })).status).toBe(200);
  });

  it('limits tokens per minute, corrected by real usage', async () => {
    const s = await setup(['a'], () => ({ models: { m: { targets: [{ provider: 'a', model: 'x' }] } }, callers: { ...byUser, rateLimit: { tokensPerMinute: 400 } } }));
    const big = [{ role: 'user', content: 'y'.repeat(1200) }];
    expect((await postChat(s.url, { model: 'm', messages: big }, { 'x-user': 'c' })).status).toBe(200);
    const r = await postChat(s.url, { model: 'm', messages: big }, { 'x-user': 'c' });
    expect(r.status).toBe(429);
    expect(r.json.error.code).toBe('tokens_rate_limit_exceeded');
    expect(r.headers.get('x-ratelimit-limit-tokens')).toBe('400');
  });
});

describe('budgets', () => {
  // gpt-4.1: $2 in, $8 out per million. A short prompt with max_tokens 1000 is estimated
  // at about $0.008; the mock answers with ~12 tokens, so the real cost is far lower.
  const target = { provider: 'a', model: 'gpt-4.1' };

  it('reserves before the call, so concurrent requests cannot overshoot a caller cap', async () => {
    const s = await setup(['a'], () => ({ models: { m: { targets: [target] } }, callers: { ...byUser, budget: { usd: 0.02, period: 'day' } } }));
    s.mocks.a!.setFault({ firstByteDelayMs: 200 });
    const results = await Promise.all(Array.from({ length: 5 }, () => postChat(s.url, { model: 'm', max_tokens: 1000 }, { 'x-user': 'dan' })));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 402, 402, 402]);
    const refused = results.find((r) => r.status === 402)!;
    expect(refused.json.error).toMatchObject({ type: 'insufficient_quota', code: 'budget_exceeded' });
    expect(refused.json.error.message).toContain('caller "dan" (day)');
    // Settled with the real, smaller cost: the budget has room again.
    expect((await postChat(s.url, { model: 'm', max_tokens: 1000 }, { 'x-user': 'dan' })).status).toBe(200);
  });

  it('a public model over its budget answers 402 naming it', async () => {
    const s = await setup(['a'], () => ({ models: { m: { budget: { usd: 0.000001, period: 'month' }, targets: [target] } } }));
    const r = await postChat(s.url, { model: 'm' });
    expect(r.status).toBe(402);
    expect(r.json.error.message).toContain('model "m" (month)');
    expect(s.mocks.a!.count).toBe(0);
  });

  it('a target over its budget is skipped', async () => {
    const s = await setup(['a', 'b'], () => ({
      models: { m: { targets: [{ ...target, budget: { usd: 0.000001, period: 'day' } }, { provider: 'b', model: 'deepseek-v3.2' }] } },
    }));
    const exceeded: unknown[] = [];
    s.relay.on('budgetExceeded', (e) => exceeded.push(e));
    expect(served(await postChat(s.url, { model: 'm' }))).toBe('b');
    expect(exceeded[0]).toMatchObject({ scope: 'target', subject: 'a/gpt-4.1', period: 'day' });
  });

  it('a stream never records zero spend, even when the client leaves before usage arrives', async () => {
    const store = new MemoryStore();
    const settled: number[] = [];
    const spy: Store = {
      take: (...a) => store.take(...a),
      give: (...a) => store.give(...a),
      reserve: (...a) => store.reserve(...a),
      settle: (key, delta, ttl) => {
        const state = store.settle(key, delta, ttl);
        settled.push(state.spentUsd);
        return state;
      },
    };
    const s = await setup(['a'], () => ({ models: { m: { targets: [target] } }, callers: { ...byUser, budget: { usd: 10, period: 'day' } }, store: spy }));
    s.mocks.a!.setFault({ dripMs: 1_000 });
    const controller = new AbortController();
    const res = await fetch(`${s.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user': 'erin' },
      body: JSON.stringify({ model: 'm', stream: true, messages: MESSAGES }),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    await expect.poll(() => settled.length).toBeGreaterThan(0);
    expect(settled.at(-1)!).toBeGreaterThan(0);
    store.close();
  });
});

describe('cache', () => {
  it('answers a repeated deterministic request from the cache', async () => {
    const s = await setup(['a'], () => ({ models: { m: { targets: [{ provider: 'a', model: 'x' }] } }, cache: true }));
    const first = await postChat(s.url, { model: 'm', temperature: 0 });
    expect(first.headers.get('x-switchyard-cache')).toBe('miss');
    const second = await postChat(s.url, { model: 'm', temperature: 0 });
    expect(second.headers.get('x-switchyard-cache')).toBe('hit');
    expect(second.text).toBe(first.text);
    expect(s.mocks.a!.count).toBe(1);
    // Key order does not matter; a different body is a different entry.
    await postChat(s.url, { temperature: 0, model: 'm' });
    expect(s.mocks.a!.count).toBe(1);
    await postChat(s.url, { model: 'm', temperature: 0, seed: 1 });
    expect(s.mocks.a!.count).toBe(2);
  });

  it('does not cache non-deterministic or streaming requests unless told to', async () => {
    const s = await setup(['a'], () => ({ models: { m: { targets: [{ provider: 'a', model: 'x' }] } }, cache: true }));
    await postChat(s.url, { model: 'm', temperature: 0.7 });
    const again = await postChat(s.url, { model: 'm', temperature: 0.7 });
    expect(again.headers.get('x-switchyard-cache')).toBeNull();
    expect(s.mocks.a!.count).toBe(2);
  });

  it('caches any temperature when the host opts in, and expires entries after ttlMs', async () => {
    let now = Date.now();
    const s = await setup(['a'], () => ({ models: { m: { targets: [{ provider: 'a', model: 'x' }] } }, cache: { anyTemperature: true, ttlMs: 1_000 }, now: () => now }));
    await postChat(s.url, { model: 'm', temperature: 0.9 });
    expect((await postChat(s.url, { model: 'm', temperature: 0.9 })).headers.get('x-switchyard-cache')).toBe('hit');
    now += 1_001;
    expect((await postChat(s.url, { model: 'm', temperature: 0.9 })).headers.get('x-switchyard-cache')).toBe('miss');
  });

  it('evicts the least recently used entry past maxEntries', async () => {
    const s = await setup(['a'], () => ({ models: { m: { targets: [{ provider: 'a', model: 'x' }] } }, cache: { maxEntries: 2 } }));
    const ask = (seed: number) => postChat(s.url, { model: 'm', temperature: 0, seed });
    await ask(1);
    await ask(2);
    await ask(1); // 1 is now the most recent
    await ask(3); // evicts 2
    expect((await ask(1)).headers.get('x-switchyard-cache')).toBe('hit');
    expect((await ask(2)).headers.get('x-switchyard-cache')).toBe('miss');
  });

  it('staleIfError serves the last answer, marked stale, when every target fails', async () => {
    let now = Date.now();
    const s = await setup(['a'], () => ({ models: { m: { targets: [{ provider: 'a', model: 'x' }] } }, cache: { ttlMs: 10, staleIfError: true }, now: () => now }));
    const fresh = await postChat(s.url, { model: 'm', temperature: 0 });
    now += 60_000;
    s.mocks.a!.setFault({ status: 503 });
    const stale = await postChat(s.url, { model: 'm', temperature: 0 });
    expect(stale.status).toBe(200);
    expect(stale.headers.get('x-switchyard-cache')).toBe('stale');
    expect(stale.text).toBe(fresh.text);
    // Without a cached answer, the failure shows.
    expect((await postChat(s.url, { model: 'm', temperature: 0, seed: 9 })).status).toBe(502);
  });
});

describe('store failures', () => {
  const broken: Store = {
    take: () => Promise.reject(new Error('store down')),
    give: () => Promise.reject(new Error('store down')),
    reserve: () => Promise.reject(new Error('store down')),
    settle: () => Promise.reject(new Error('store down')),
  };

  it('fails open by default: the request is served and the failure reported', async () => {
    const s = await setup(['a'], () => ({ models: { m: { targets: [{ provider: 'a', model: 'x' }] } }, callers: { ...byUser, rateLimit: { requestsPerMinute: 1 } }, store: broken }));
    const errors: unknown[] = [];
    s.relay.on('storeError', (e) => errors.push(e));
    expect((await postChat(s.url, { model: 'm' }, { 'x-user': 'f' })).status).toBe(200);
    expect(errors[0]).toMatchObject({ operation: 'take', message: 'store down', allowed: true });
  });

  it('a reservation that failed open is settled with the whole cost, not below zero', async () => {
    const memory = new MemoryStore();
    const flaky: Store = {
      take: (...a) => memory.take(...a),
      give: (...a) => memory.give(...a),
      reserve: () => Promise.reject(new Error('store down')),
      settle: (...a) => memory.settle(...a),
    };
    const s = await setup(['a'], () => ({ models: { m: { targets: [{ provider: 'a', model: 'gpt-4.1' }] } }, callers: { ...byUser, budget: { usd: 10, period: 'day' } }, store: flaky }));
    const r = await postChat(s.url, { model: 'm' }, { 'x-user': 'ida' });
    const cost = Number(r.headers.get('x-switchyard-cost-usd'));
    expect(cost).toBeGreaterThan(0);
    const key = `budget:caller:ida:${new Date().toISOString().slice(0, 10)}`;
    await expect.poll(() => memory.settle(key, 0, 60_000).spentUsd).toBeCloseTo(cost, 12);
    memory.close();
  });

  it('reports a store that keeps failing at most once a second per operation', async () => {
    const s = await setup(['a'], () => ({ models: { m: { targets: [{ provider: 'a', model: 'x' }] } }, callers: { ...byUser, rateLimit: { requestsPerMinute: 1 } }, store: broken }));
    const errors: { operation: string; suppressed: number }[] = [];
    s.relay.on('storeError', (e) => errors.push(e));
    for (let i = 0; i < 20; i++) expect((await postChat(s.url, { model: 'm' }, { 'x-user': 'h' })).status).toBe(200);
    // 20 failed takes (and gives): a handful of events, not 40.
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.length).toBeLessThanOrEqual(6);
  });

  it('fails closed when configured: 503 for the client', async () => {
    const s = await setup(['a'], () => ({
      models: { m: { targets: [{ provider: 'a', model: 'x' }] } },
      callers: { ...byUser, rateLimit: { requestsPerMinute: 1 } },
      store: broken,
      onStoreError: { limits: 'deny' },
    }));
    const r = await postChat(s.url, { model: 'm' }, { 'x-user': 'g' });
    expect(r.status).toBe(503);
    expect(r.json.error.code).toBe('store_unavailable');
    expect(s.mocks.a!.count).toBe(0);
  });
});
