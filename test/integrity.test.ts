/**
 * Engine integrity: features that are sound alone and went wrong in combination. Each
 * case reproduces a finding of the engine review (issue 13) against real servers on
 * 127.0.0.1 and fails on the engine before the target pipeline.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { createRelay, MemoryStore, type NodeHandlerOptions, type Relay, type RelayConfig, type Store } from 'switchyard';
import { createMockUpstream } from 'switchyard/testing';
import { closeServer, MESSAGES, postChat, serveRelay, sseData, startMocks, startRelay, type Harness } from './helpers/harness.js';

let current: Harness | undefined;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await current?.close();
  current = undefined;
  for (const c of cleanups.splice(0)) await c();
});

async function setup(names: string[], build: (providers: RelayConfig['providers']) => Omit<RelayConfig, 'providers'>, handler: NodeHandlerOptions = {}) {
  const s = await startRelay(names, build, handler);
  current = s;
  return s;
}

const served = (r: { headers: Headers }) => r.headers.get('x-switchyard-provider');
const byUser = { key: (req: { headers: Record<string, unknown> }) => req.headers['x-user'] as string | undefined };

/** A memory store that keeps the net amount of every budget key, for exact accounting checks. */
class CountingStore extends MemoryStore {
  readonly usd = new Map<string, number>();
  override reserve(key: string, amountUsd: number, capUsd: number, ttlMs: number) {
    const state = super.reserve(key, amountUsd, capUsd, ttlMs);
    if (state.ok) this.usd.set(key, (this.usd.get(key) ?? 0) + amountUsd);
    return state;
  }
  override settle(key: string, deltaUsd: number, ttlMs: number) {
    this.usd.set(key, (this.usd.get(key) ?? 0) + deltaUsd);
    return super.settle(key, deltaUsd, ttlMs);
  }
  /** Net spend of the keys whose name contains `part`. */
  spent(part: string): number {
    let sum = 0;
    for (const [k, v] of this.usd) if (k.includes(part)) sum += v;
    return sum;
  }
}

describe('a store that fails only when settling, under onStoreError: deny', () => {
  class FailingSettle extends MemoryStore {
    override settle(): never {
      throw new Error('store down');
    }
    override give(): never {
      throw new Error('store down');
    }
  }
  const config = (store: Store) => (): Omit<RelayConfig, 'providers'> => ({
    models: { m: { targets: [{ provider: 'a', model: 'gpt-4.1' }], budget: { usd: 100, period: 'day' } } },
    store,
    onStoreError: { budgets: 'deny', limits: 'deny' },
  });

  it('answers a JSON request the upstream already served, and reports the failed settlement', async () => {
    const s = await setup(['a'], config(new FailingSettle()));
    const errors: { operation: string; retry?: number }[] = [];
    s.relay.on('storeError', (e) => errors.push(e));
    const r = await postChat(s.url, { model: 'm' });
    expect(r.status).toBe(200);
    expect(r.json.choices[0].message.content).toContain('Hello from a');
    await expect.poll(() => errors.length).toBeGreaterThan(0);
    expect(errors[0]).toMatchObject({ operation: 'settle', retry: 1 });
  });

  it('ends a stream properly, over HTTP and through relay.stream(), without an unhandled rejection', async () => {
    const s = await setup(['a'], config(new FailingSettle()));
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    cleanups.push(async () => void process.off('unhandledRejection', onUnhandled));
    const res = await fetch(`${s.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', stream: true, messages: MESSAGES }),
    });
    expect(sseData(await res.text()).at(-1)).toBe('[DONE]');
    let text = '';
    for await (const chunk of await s.relay.stream({ model: 'm', messages: MESSAGES })) text += (chunk.choices[0] as { delta?: { content?: string } } | undefined)?.delta?.content ?? '';
    expect(text).toContain('Hello from a');
    await new Promise((r) => setTimeout(r, 50));
    expect(unhandled).toEqual([]);
  });
});

describe('hedged attempts go through every per-target check', () => {
  const hedging = (providers: RelayConfig['providers'], extra: Partial<RelayConfig['models'][string]['targets'][number]> = {}) => ({
    models: {
      m: {
        hedge: { afterMs: 20 },
        targets: [{ provider: 'a', model: 'x' }, { provider: 'b', model: 'gpt-4.1', ...extra }],
      },
    },
    providers,
  });

  it('hedges to the second target when the first hangs (the control case)', async () => {
    const s = await setup(['a', 'b'], (p) => hedging(p));
    s.mocks.a!.setFault({ hang: true });
    expect(served(await postChat(s.url, { model: 'm' }))).toBe('b');
    await expect.poll(() => s.mocks.a!.abandoned).toBe(1);
  });

  it('sends no hedge to a drained provider', async () => {
    const s = await setup(['a', 'b'], (p) => hedging(p), { debug: true });
    s.relay.drain('b');
    // a answers late with an error the client must see: the chain never reaches b, only a hedge would.
    s.mocks.a!.setFault({ firstByteDelayMs: 300, status: 400 });
    const r = await postChat(s.url, { model: 'm' }, { 'x-switchyard-debug': '1' });
    expect(r.status).toBe(400);
    expect(s.mocks.b!.count).toBe(0);
    expect(JSON.parse(r.headers.get('x-switchyard-attempt-details')!)).toContainEqual(expect.objectContaining({ provider: 'b', outcome: 'skipped', detail: 'provider draining' }));
  });

  it('asks the breaker when the hedge starts: no hedge to a target whose breaker opened meanwhile', async () => {
    const s = await setup(['a', 'b'], () => ({
      models: { m: { hedge: { afterMs: 1_500 }, targets: [{ provider: 'a', model: 'x' }, { provider: 'b', model: 'y' }] } },
    }), { debug: true });
    s.mocks.a!.setFault({ firstByteDelayMs: 3_000, status: 400 });
    const r = postChat(s.url, { model: 'm' }, { 'x-switchyard-debug': '1' });
    await expect.poll(() => s.mocks.a!.count).toBe(1);
    s.relay.setBreaker('b', undefined, 'open');
    const answer = await r;
    expect(answer.status).toBe(400);
    expect(s.mocks.b!.count).toBe(0);
    expect(JSON.parse(answer.headers.get('x-switchyard-attempt-details')!)).toContainEqual(expect.objectContaining({ provider: 'b', outcome: 'skipped', detail: 'breaker open' }));
  });

  it('charges a served hedge to its target budget', async () => {
    const store = new CountingStore();
    const s = await setup(['a', 'b'], (p) => ({ ...hedging(p, { budget: { usd: 1, period: 'day' } }), store }));
    s.mocks.a!.setFault({ hang: true });
    const r = await postChat(s.url, { model: 'm' });
    expect(served(r)).toBe('b');
    const cost = Number(r.headers.get('x-switchyard-cost-usd'));
    expect(cost).toBeGreaterThan(0);
    expect(store.spent('budget:target:b/gpt-4.1')).toBeCloseTo(cost, 12);
  });
});

describe('two public models binding the same upstream keep their own options', () => {
  it('applies each binding its own price', async () => {
    const s = await setup(['a'], () => ({
      models: {
        cheap: { targets: [{ provider: 'a', model: 'x', price: { input: 1, output: 1 } }] },
        dear: { targets: [{ provider: 'a', model: 'x', price: { input: 10, output: 10 } }] },
      },
    }));
    const cheap = Number((await postChat(s.url, { model: 'cheap' })).headers.get('x-switchyard-cost-usd'));
    const dear = Number((await postChat(s.url, { model: 'dear' })).headers.get('x-switchyard-cost-usd'));
    expect(dear).toBeCloseTo(cheap * 10, 12);
  });

  it('applies each binding its own maxLatencyMs', async () => {
    const s = await setup(['a', 'b'], () => ({
      models: {
        strict: { targets: [{ provider: 'a', model: 'x', maxLatencyMs: 50 }, { provider: 'b', model: 'y' }] },
        patient: { targets: [{ provider: 'a', model: 'x' }, { provider: 'b', model: 'y' }] },
      },
    }));
    s.mocks.a!.setFault({ firstByteDelayMs: 400 });
    expect(served(await postChat(s.url, { model: 'strict' }))).toBe('b');
    expect(served(await postChat(s.url, { model: 'patient' }))).toBe('a');
  });
});

describe('reservations are given back on every path', () => {
  // A cap that fits one reservation of a request (about $0.004 on gpt-4.1 for 500 output tokens), not two.
  const capped = (store?: Store) => () => ({
    models: { m: { targets: [{ provider: 'a', model: 'gpt-4.1' }] } },
    callers: { ...byUser, budget: { usd: 0.006, period: 'day' as const } },
    ...(store ? { store } : {}),
  });

  it('after relay.chat() with an already aborted signal', async () => {
    const s = await setup(['a'], capped());
    const gone = AbortSignal.abort();
    await expect(s.relay.chat({ model: 'm', messages: MESSAGES }, { signal: gone, caller: 'alice' })).rejects.toMatchObject({ code: 'ERR_SWITCHYARD_CLIENT_CLOSED' });
    await expect(s.relay.chat({ model: 'm', messages: MESSAGES }, { caller: 'alice' })).resolves.toMatchObject({ object: 'chat.completion' });
  });

  it('after a client that left while its admission was waiting on the store', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let waiting = 0;
    const memory = new MemoryStore();
    cleanups.push(async () => memory.close());
    const store: Store = {
      take: (...a) => memory.take(...a),
      give: (...a) => memory.give(...a),
      settle: (...a) => memory.settle(...a),
      async reserve(...a) {
        waiting++;
        await gate;
        return memory.reserve(...a);
      },
    };
    const s = await setup(['a'], capped(store));
    const client = new AbortController();
    const first = s.relay.chat({ model: 'm', messages: MESSAGES }, { signal: client.signal, caller: 'alice' });
    await expect.poll(() => waiting).toBe(1);
    client.abort();
    release();
    await expect(first).rejects.toMatchObject({ code: 'ERR_SWITCHYARD_CLIENT_CLOSED' });
    await expect(s.relay.chat({ model: 'm', messages: MESSAGES }, { caller: 'alice' })).resolves.toMatchObject({ object: 'chat.completion' });
    expect(s.mocks.a!.count).toBe(1);
  });
});

describe('prompt estimates', () => {
  const image = `data:image/png;base64,${Buffer.alloc(768 * 1024, 7).toString('base64')}`; // about 1 MB of base64
  const withImage = [{ role: 'user', content: [{ type: 'text', text: 'What is in this picture?' }, { type: 'image_url', image_url: { url: image } }] }];

  it('count an image as an image, not as its base64 length: a 100k TPM caller may send it', async () => {
    const s = await setup(['a'], () => ({
      models: { m: { targets: [{ provider: 'a', model: 'gpt-4.1' }] } },
      callers: { ...byUser, rateLimit: { tokensPerMinute: 100_000 }, budget: { usd: 0.05, period: 'day' } },
    }));
    const r = await postChat(s.url, { model: 'm', messages: withImage }, { 'x-user': 'alice' });
    expect(r.status).toBe(200);
    // The remaining tokens say what was reserved: the image's allowance plus the text, far from 262k.
    expect(100_000 - Number(r.headers.get('x-ratelimit-remaining-tokens'))).toBeLessThan(2_000);
  });

  it('tell a request that can never fit the caller limit so, without Retry-After', async () => {
    const s = await setup(['a'], () => ({
      models: { m: { targets: [{ provider: 'a', model: 'gpt-4.1' }] } },
      callers: { ...byUser, rateLimit: { tokensPerMinute: 1_000 } },
    }));
    const r = await postChat(s.url, { model: 'm', messages: [{ role: 'user', content: 'word '.repeat(4_000) }] }, { 'x-user': 'alice' });
    expect(r.status).toBe(413);
    expect(r.headers.get('retry-after')).toBeNull();
    expect(r.json.error).toMatchObject({ code: 'request_exceeds_limit', type: 'invalid_request_error' });
    expect(s.mocks.a!.count).toBe(0);
  });
});

describe('target token limits across retries', () => {
  it('charge the served usage once, not once per attempt', async () => {
    const reply = Array.from({ length: 5_000 }, (_, i) => `w${i}`).join(' ');
    const mocks = await startMocks(['a']);
    const big = await createMockUpstream({ name: 'big', reply });
    mocks.a!.close();
    const relay = createRelay({
      providers: { a: { type: 'openai', baseURL: big.url, apiKey: 'sk-a' } },
      models: { m: { targets: [{ provider: 'a', model: 'x', rateLimit: { tokensPerMinute: 8_000 } }] } },
      retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 5 },
    });
    current = await serveRelay(relay, { big });
    big.queueFaults({ status: 503 });
    const first = await postChat(current.url, { model: 'm' });
    expect(first.status).toBe(200);
    expect(first.json.usage.completion_tokens).toBe(5_000);
    expect(big.count).toBe(2);
    const next = await postChat(current.url, { model: 'm' });
    expect(next.status).toBe(200);
  });

  it('are not taken while the breaker is open', async () => {
    const s = await setup(['a', 'b'], () => ({
      models: { m: { targets: [{ provider: 'a', model: 'x', rateLimit: { requestsPerMinute: 2, tokensPerMinute: 100 } }, { provider: 'b', model: 'y' }] } },
    }));
    s.relay.setBreaker('a', undefined, 'open');
    const prompt = [{ role: 'user', content: 'z'.repeat(140) }]; // about 44 tokens
    for (let i = 0; i < 3; i++) expect(served(await postChat(s.url, { model: 'm', messages: prompt }))).toBe('b');
    s.relay.setBreaker('a', undefined, 'auto');
    expect(served(await postChat(s.url, { model: 'm', messages: prompt }))).toBe('a');
  });
});

describe('output the client did not ask for', () => {
  it('the official client reads every chunk of a priced stream with choices[0], and relay.stream() too', async () => {
    const s = await setup(['a'], () => ({ models: { m: { targets: [{ provider: 'a', model: 'gpt-4.1' }] } } }));
    const client = new OpenAI({ baseURL: s.url, apiKey: 'client', maxRetries: 0 });
    let text = '';
    for await (const c of await client.chat.completions.create({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] })) {
      text += c.choices[0]!.delta.content ?? '';
      expect(c).not.toHaveProperty('usage');
    }
    expect(text).toContain('Hello from a');
    let again = '';
    for await (const c of await s.relay.stream({ model: 'm', messages: MESSAGES })) again += (c.choices[0] as { delta: { content?: string } }).delta.content ?? '';
    expect(again).toBe(text);
  });
});

describe('a transient outage is not reported as a client error', () => {
  it('a primary whose configured model does not exist fails over to a healthy backup', async () => {
    const s = await setup(['a', 'b'], () => ({ models: { m: { targets: [{ provider: 'a', model: 'gpt-typo' }, { provider: 'b', model: 'y' }] } } }));
    const events: { outcome: string }[] = [];
    s.relay.on('attempt', (e) => events.push(e));
    s.mocks.a!.setFault({
      status: 404,
      body: { error: { message: 'The model `gpt-typo` does not exist or you do not have access to it.', type: 'invalid_request_error', code: 'model_not_found', param: null } },
    });
    const r = await postChat(s.url, { model: 'm' });
    expect(r.status).toBe(200);
    expect(served(r)).toBe('b');
    expect(events[0]).toMatchObject({ outcome: 'target_misconfigured' });
  });
});

describe('breaker verdicts', () => {
  it('a slow request admitted before the breaker opened does not close it when it finishes', async () => {
    // `a` answers its first request only when told to; every later request fails.
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((r) => (releaseFirst = r));
    let seen = 0;
    const upstream = http.createServer((req, res) => {
      req.resume();
      const n = ++seen;
      const answer = () => {
        if (n > 1) return res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"message":"down","type":"server_error"}}');
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: 'x', object: 'chat.completion', created: 0, model: 'x', choices: [{ index: 0, message: { role: 'assistant', content: 'late' }, finish_reason: 'stop' }] }));
      };
      if (n === 1) void firstHeld.then(answer);
      else answer();
    });
    upstream.listen(0, '127.0.0.1');
    await once(upstream, 'listening');
    cleanups.push(() => closeServer(upstream));
    const mocks = await startMocks(['b']);
    let t = Date.now();
    const relay = createRelay({
      providers: { a: { type: 'openai', baseURL: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`, apiKey: 'sk-a' }, b: { type: 'openai', baseURL: mocks.b!.url, apiKey: 'sk-b' } },
      models: { m: { targets: [{ provider: 'a', model: 'x' }, { provider: 'b', model: 'y' }] } },
      retry: { attempts: 1 },
      breaker: { failureThreshold: 1, cooldownMs: 60_000 },
      now: () => t,
    });
    current = await serveRelay(relay, mocks);
    const slow = postChat(current.url, { model: 'm' });
    await expect.poll(() => seen).toBe(1);
    expect(served(await postChat(current.url, { model: 'm' }))).toBe('b');
    expect(stateOf(relay, 'a')).toBe('open');
    releaseFirst();
    expect(served(await slow)).toBe('a');
    expect(stateOf(relay, 'a')).toBe('open');
    t += 1;
    expect(served(await postChat(current.url, { model: 'm' }))).toBe('b');
  });
});

function stateOf(relay: Relay, provider: string) {
  return relay.targets().find((t) => t.provider === provider)!.breaker.state;
}

describe('cache hits and headers', () => {
  it('say a cache hit made no upstream attempt', async () => {
    const s = await setup(['a'], () => ({ models: { m: { targets: [{ provider: 'a', model: 'x' }] } }, cache: true }));
    await postChat(s.url, { model: 'm', temperature: 0 });
    const hit = await postChat(s.url, { model: 'm', temperature: 0 });
    expect(hit.headers.get('x-switchyard-cache')).toBe('hit');
    expect(hit.headers.get('x-switchyard-attempts')).toBe('0');
    expect(s.mocks.a!.count).toBe(1);
  });
});

describe('metric labels', () => {
  it('give a per-request fallback list one constant model label, whatever its order', async () => {
    const { prometheusMetrics } = await import('switchyard/metrics');
    const s = await setup(['a', 'b', 'c'], () => ({
      models: { x: { targets: [{ provider: 'a', model: 'x' }] }, y: { targets: [{ provider: 'b', model: 'y' }] }, z: { targets: [{ provider: 'c', model: 'z' }] } },
    }));
    const metrics = prometheusMetrics(s.relay);
    cleanups.push(async () => metrics.stop());
    const orders = [['y', 'z'], ['z', 'y'], ['x', 'z'], ['z', 'x'], ['y', 'x'], ['x', 'y'], ['z']];
    for (const models of orders) expect((await postChat(s.url, { model: 'x', models })).status).toBe(200);
    const text = await metrics.render();
    const labels = new Set([...text.matchAll(/switchyard_requests_total\{model="([^"]*)"/g)].map((m) => m[1]));
    expect([...labels]).toEqual(['(request fallbacks)']);
  });
});

describe('stream resume', () => {
  const FULL = 'The quick brown fox jumps over the lazy dog, then rests under the old oak tree until sunset.';

  async function resumed(reply: (delivered: string) => string, prefill = false) {
    const delivered: string[] = [];
    const mocks = {
      a: await createMockUpstream({ name: 'a', reply: FULL, fault: { dieAfterChunks: 5 } }),
      b: await createMockUpstream({
        name: 'b',
        reply: (req) => {
          const messages = req.body.messages as { role: string; content: string }[];
          const mine = messages.findLast((m) => m.role === 'assistant')!.content;
          delivered.push(mine);
          return reply(mine);
        },
      }),
    };
    const relay = createRelay({
      providers: { a: { type: 'openai', baseURL: mocks.a.url, apiKey: 'sk-a' }, b: { type: 'openai', baseURL: mocks.b.url, apiKey: 'sk-b' } },
      models: { m: { targets: [{ provider: 'a', model: 'x' }, { provider: 'b', model: 'y', ...(prefill ? { prefill } : {}) }] } },
      retry: { attempts: 1 },
      stream: { resume: true },
    });
    current = await serveRelay(relay, mocks);
    const client = new OpenAI({ baseURL: current.url, apiKey: 'client', maxRetries: 0 });
    let text = '';
    for await (const c of await client.chat.completions.create({ model: 'm', stream: true, messages: [{ role: 'user', content: 'tell me' }] })) {
      text += c.choices[0]!.delta.content ?? '';
    }
    return { text, delivered: delivered[0]!, body: mocks.b.requests[0]!.body };
  }

  it('drops what a continuation that starts over repeats', async () => {
    const { text } = await resumed(() => FULL);
    expect(text).toBe(FULL);
  });

  it('drops a partly repeated tail and keeps the rest', async () => {
    const { text } = await resumed((d) => FULL.slice(Math.max(0, d.length - 10)));
    expect(text).toBe(FULL);
  });

  it('puts back the space a continuation without one would glue shut', async () => {
    const { text, delivered } = await resumed((d) => FULL.slice(d.length).trimStart());
    expect(delivered.endsWith(' ')).toBe(false);
    expect(text).toBe(FULL);
  });

  it('resumes a prefill target with the delivered text as the last message and no instruction', async () => {
    const { text, body } = await resumed((d) => FULL.slice(d.length), true);
    expect(text).toBe(FULL);
    expect(body.messages.at(-1).role).toBe('assistant');
    expect(body.messages.some((m: { content: string }) => /cut off/.test(m.content))).toBe(false);
  });

  it('drops a malformed event mid-stream and counts it, with resume on and off', async () => {
    const chunk = (content: string, finish: string | null = null) =>
      `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta: { content }, finish_reason: finish }] })}\n\n`;
    const raw = chunk('Hello') + 'data: {"id":"c","choices":[{"delta":{"content":" bro\n\n' + chunk(' world') + chunk('', 'stop') + 'data: [DONE]\n\n';
    for (const resume of [true, false]) {
      const mocks = { a: await createMockUpstream({ name: 'a', fault: { raw } }) };
      const relay = createRelay({
        providers: { a: { type: 'openai', baseURL: mocks.a.url, apiKey: 'sk-a' } },
        models: { m: { targets: [{ provider: 'a', model: 'x' }] } },
        stream: { resume },
      });
      const events: { droppedEvents?: number }[] = [];
      relay.on('complete', (e) => events.push(e));
      const h = await serveRelay(relay, mocks);
      const res = await fetch(`${h.url}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', stream: true, messages: MESSAGES }),
      });
      const data = sseData(await res.text());
      await h.close();
      expect(data.at(-1)).toBe('[DONE]');
      const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
      expect(chunks.map((c) => c.choices[0].delta.content ?? '').join('')).toBe('Hello world');
      expect(events[0]!.droppedEvents).toBe(1);
    }
  });
});

describe('a silent upstream', () => {
  it('is not retried by default: the backup answers after one first-byte timeout', async () => {
    const s = await setup(['a', 'b'], () => ({
      models: { m: { targets: [{ provider: 'a', model: 'x' }, { provider: 'b', model: 'y' }] } },
      retry: { attempts: 2, baseDelayMs: 1 },
      timeouts: { firstByteMs: 100 },
    }));
    s.mocks.a!.setFault({ hang: true });
    expect(served(await postChat(s.url, { model: 'm' }))).toBe('b');
    expect(s.mocks.a!.count).toBe(1);
  });
});
