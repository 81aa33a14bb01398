/**
 * Exact accounting, as a property: whatever happens to a sequence of requests (answers,
 * 5xx, first-byte timeouts, streams that die, a client that leaves at any point, a
 * store that fails at any call), the store ends up holding exactly the usage the relay
 * served, by scope (caller, public model, each target), and nothing else stays reserved.
 * fast-check draws the sequences; the upstreams are real servers on 127.0.0.1.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRelay, MemoryStore, type RelayConfig, type RelayEventMap, type Store } from 'switchyard';
import { createMockUpstream, type MockFault, type MockUpstream } from 'switchyard/testing';
import { MESSAGES } from './helpers/harness.js';

const RUNS = 1_000;

type Attempt = 'ok' | '503' | 'timeout' | 'die';
interface Shot {
  stream: boolean;
  a: Attempt[];
  b: Attempt[];
  /** When the client leaves: never, while admission waits on the store, once an upstream has the request, mid-stream. */
  abort: 'never' | 'admission' | 'upstream' | 'stream';
}
interface Run {
  shots: Shot[];
  /** The store call (counted over the run) that fails, once; -1 for none. */
  failAt: number;
  deny: boolean;
}

const FAULT: Record<Attempt, MockFault | null> = {
  ok: null,
  '503': { status: 503 },
  timeout: { firstByteDelayMs: 60 },
  die: { dieAfterChunks: 3 },
};

const attempt = fc.constantFrom<Attempt>('ok', 'ok', '503', 'die', 'timeout');
const shot: fc.Arbitrary<Shot> = fc.record({
  stream: fc.boolean(),
  a: fc.array(attempt, { minLength: 2, maxLength: 2 }),
  b: fc.array(attempt, { minLength: 2, maxLength: 2 }),
  abort: fc.constantFrom<Shot['abort']>('never', 'never', 'never', 'admission', 'upstream', 'stream'),
});
const run: fc.Arbitrary<Run> = fc.record({
  shots: fc.array(shot, { minLength: 1, maxLength: 3 }),
  failAt: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 14 })),
  deny: fc.boolean(),
});

/** A memory store that keeps the net of every hold and correction by key, and fails one chosen call. */
class Books implements Store {
  readonly net = new Map<string, number>();
  private readonly memory = new MemoryStore();
  calls = 0;
  onCall: (() => void) | undefined;
  constructor(private readonly failAt: number) {}
  private call(): void {
    this.onCall?.();
    if (this.calls++ === this.failAt) throw new Error('store down for one call');
  }
  private add(key: string, amount: number): void {
    this.net.set(key, (this.net.get(key) ?? 0) + amount);
  }
  async take(key: string, cost: number, capacity: number, windowMs: number) {
    this.call();
    const state = this.memory.take(key, cost, capacity, windowMs);
    if (state.allowed) this.add(key, cost);
    return state;
  }
  async give(key: string, amount: number, capacity: number, windowMs: number) {
    this.call();
    this.add(key, -amount);
    this.memory.give(key, amount, capacity, windowMs);
  }
  async reserve(key: string, amountUsd: number, capUsd: number, ttlMs: number) {
    this.call();
    const state = this.memory.reserve(key, amountUsd, capUsd, ttlMs);
    if (state.ok) this.add(key, amountUsd);
    return state;
  }
  async settle(key: string, deltaUsd: number, ttlMs: number) {
    this.call();
    this.add(key, deltaUsd);
    return this.memory.settle(key, deltaUsd, ttlMs);
  }
  close(): void {
    this.memory.close();
  }
  /** The net of the keys that start with `prefix`. */
  sum(prefix: string): number {
    let total = 0;
    for (const [k, v] of this.net) if (k.startsWith(prefix)) total += v;
    return total;
  }
}

let mocks: Record<'a' | 'b', MockUpstream>;
beforeAll(async () => {
  mocks = { a: await createMockUpstream({ name: 'a' }), b: await createMockUpstream({ name: 'b' }) };
});
afterAll(async () => {
  await Promise.all(Object.values(mocks).map((m) => m.close()));
});

function config(store: Store, deny: boolean): RelayConfig {
  const cap = { usd: 1_000, period: 'day' as const };
  const limit = { tokensPerMinute: 10_000_000 };
  return {
    providers: { a: { type: 'openai', baseURL: mocks.a.url, apiKey: 'sk-a' }, b: { type: 'openai', baseURL: mocks.b.url, apiKey: 'sk-b' } },
    models: {
      m: {
        budget: cap,
        targets: [
          { provider: 'a', model: 'gpt-4.1', budget: cap, rateLimit: limit },
          { provider: 'b', model: 'claude-sonnet-4.5', budget: cap, rateLimit: limit },
        ],
      },
    },
    callers: { key: () => undefined, rateLimit: limit, budget: cap },
    store,
    onStoreError: { limits: deny ? 'deny' : 'allow', budgets: deny ? 'deny' : 'allow', retry: { attempts: 3, baseDelayMs: 1 } },
    retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
    timeouts: { firstByteMs: 15 },
  };
}

async function send(relay: ReturnType<typeof createRelay>, books: Books, s: Shot): Promise<void> {
  for (const [name, plan] of [['a', s.a], ['b', s.b]] as const) {
    mocks[name].reset();
    mocks[name].queueFaults(...plan.map((p) => FAULT[p]));
  }
  const client = new AbortController();
  if (s.abort === 'admission') books.onCall = () => client.abort();
  if (s.abort === 'upstream') for (const m of Object.values(mocks)) m.onRequest(() => void client.abort());
  try {
    const options = { signal: client.signal, caller: 'alice' };
    if (!s.stream) {
      await relay.chat({ model: 'm', messages: MESSAGES }, options);
      return;
    }
    const chunks = await relay.stream({ model: 'm', messages: MESSAGES }, options);
    let n = 0;
    for await (const _ of chunks) if (s.abort === 'stream' && ++n === 2) break;
  } catch {
    // Errors are part of the property: the books must balance whatever the client saw.
  } finally {
    books.onCall = undefined;
  }
}

describe('exact accounting', () => {
  it(`the store holds exactly the served usage after any of ${RUNS} sequences of outcomes`, async () => {
    await fc.assert(
      fc.asyncProperty(run, async (r) => {
        const books = new Books(r.failAt);
        const relay = createRelay(config(books, r.deny));
        const records: RelayEventMap['requestEnd'][] = [];
        relay.on('requestEnd', (e) => records.push(e));
        try {
          for (const s of r.shots) await send(relay, books, s);
          await relay.settled();
          expect(records).toHaveLength(r.shots.length);
          const served = records.flatMap((e) => e.served ?? []);
          const usd = (list: typeof served) => list.reduce((n, s) => n + (s.costUsd ?? 0), 0);
          const tokens = (list: typeof served) => list.reduce((n, s) => n + s.tokens.input + s.tokens.output, 0);
          const on = (provider: string) => served.filter((s) => s.target.startsWith(`${provider}/`));
          expect(books.sum('budget:caller:')).toBeCloseTo(usd(served), 12);
          expect(books.sum('budget:model:')).toBeCloseTo(usd(served), 12);
          expect(books.sum('budget:target:a/')).toBeCloseTo(usd(on('a')), 12);
          expect(books.sum('budget:target:b/')).toBeCloseTo(usd(on('b')), 12);
          expect(books.sum('rl:caller:alice:tokens')).toBe(tokens(served));
          expect(books.sum('rl:target:a/gpt-4.1:tokens')).toBe(tokens(on('a')));
          expect(books.sum('rl:target:b/claude-sonnet-4.5:tokens')).toBe(tokens(on('b')));
        } finally {
          await relay.close();
          books.close();
          for (const m of Object.values(mocks)) m.onRequest(null);
        }
      }),
      { numRuns: RUNS, seed: Number(process.env.SWITCHYARD_PROPERTY_SEED ?? 2026), endOnFailure: true },
    );
  }, 300_000);
});
