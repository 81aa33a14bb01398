/**
 * Load with faults, shared by the chaos test (`test/chaos.test.ts`) and the soak
 * (`test/soak/soak.ts`): a seeded PRNG, fault menus for the mock upstream, a bounded
 * concurrent client, answer checks, and resource snapshots for leak checks.
 *
 * Imports the sources by relative path (not `switchyard`) so that the soak, run by tsx
 * outside vitest, tests the same code as the test suite without a build.
 */
import type { Pool } from 'undici';
import type { Relay } from '../../src/index.js';
import type { MockFault, MockRequest } from '../../src/testing/index.js';

/** mulberry32: a tiny seeded PRNG in [0, 1); the same seed gives the same sequence. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [min, max]. */
export function between(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** One entry of a fault menu: a named fault and its relative weight. */
export interface FaultChoice {
  kind: string;
  weight: number;
  /** The fault for one request (`null`: answer normally). */
  make(random: () => number, streaming: boolean): MockFault | null;
}

const inbandError = JSON.stringify({ error: { message: 'upstream overloaded (in-band)', type: 'server_error', code: null } });
const contextLength = { error: { message: "This model's maximum context length is 8192 tokens.", type: 'invalid_request_error', code: 'context_length_exceeded', param: 'messages' } };

/**
 * Every fault the mock knows that fails an attempt before the client could have seen any
 * content, so the relay can always fail over invisibly. Each one fails both a streaming
 * and a JSON request (an in-stream error event has no JSON equivalent: JSON requests get
 * an in-band error object in a 200 instead).
 */
export const FAILING_FAULTS: FaultChoice[] = [
  { kind: 'status 5xx', weight: 3, make: (r) => ({ status: [500, 502, 503, 504][between(r, 0, 3)] }) },
  { kind: '429 + Retry-After', weight: 2, make: (r) => ({ status: 429, retryAfter: between(r, 0, 2) }) },
  { kind: '401 auth', weight: 1, make: () => ({ status: 401 }) },
  { kind: '400 context length', weight: 1, make: () => ({ status: 400, body: contextLength }) },
  { kind: 'reset before headers', weight: 2, make: () => ({ reset: true }) },
  { kind: 'hang', weight: 1, make: () => ({ hang: true }) },
  { kind: 'first byte too late', weight: 1, make: () => ({ firstByteDelayMs: 2_000 }) },
  { kind: 'dies before content', weight: 2, make: () => ({ dieAfterChunks: 1 }) },
  {
    kind: 'error before content',
    weight: 1,
    make: (_r, streaming) => (streaming ? { errorAfterChunks: 1 } : { raw: inbandError }),
  },
  { kind: 'malformed JSON/SSE', weight: 2, make: () => ({ malformed: true }) },
  { kind: 'drip stalls (idle timeout)', weight: 1, make: () => ({ dripMs: 2_000 }) },
];

/** Faults that slow an answer down but let it through whole. */
export const HARMLESS_FAULTS: FaultChoice[] = [
  { kind: 'healthy', weight: 6, make: () => null },
  { kind: 'slow drip', weight: 2, make: () => ({ dripMs: 5 }) },
  { kind: 'slow first byte', weight: 1, make: (r) => ({ firstByteDelayMs: between(r, 10, 60) }) },
];

/** Streams that die after content reached the client: only stream resume can save them. */
export const MID_STREAM_FAULTS: FaultChoice[] = [
  { kind: 'dies mid-stream', weight: 3, make: (r, streaming) => (streaming ? { dieAfterChunks: between(r, 2, 8) } : { dieAfterChunks: 1 }) },
  { kind: 'error mid-stream', weight: 2, make: (r, streaming) => (streaming ? { errorAfterChunks: between(r, 2, 8) } : { status: 500 }) },
];

/**
 * A per-request fault decider for `mock.onRequest`, drawing from `menu` with `random` and
 * counting what it injected into `counts` (by kind, `healthy` included).
 */
export function faultDecider(menu: FaultChoice[], random: () => number, counts: Map<string, number>): (req: MockRequest) => MockFault | null {
  const total = menu.reduce((n, c) => n + c.weight, 0);
  return (req) => {
    let pick = random() * total;
    let choice = menu[0]!;
    for (const c of menu) {
      choice = c;
      if (pick < c.weight) break;
      pick -= c.weight;
    }
    counts.set(choice.kind, (counts.get(choice.kind) ?? 0) + 1);
    return choice.make(random, req.body?.stream === true);
  };
}

/** A distinct reply per upstream, several tokens long, so truncation and splicing show. */
export function replyOf(name: string): string {
  return `${name} answers: the quick brown fox jumps over the lazy dog, says ${name}.`;
}

/** What one client request got. */
export interface Outcome {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** HTTP trailers (a stream's cost, and after a resume the targets it was spliced from). */
  trailers?: Record<string, string | undefined>;
  text: string;
  /** The hang detector fired: no answer within the generous bound. */
  hung?: boolean;
  /** The connection failed (the relay reset it). */
  transport?: string;
  /** The client gave up on purpose (`Shot.abortAfterMs`). */
  aborted?: boolean;
}

/** One request to send. */
export interface Shot {
  model: string;
  stream: boolean;
  includeUsage: boolean;
  /** The client walks away after this many ms (mid-failover or mid-stream). */
  abortAfterMs?: number;
}

/** POSTs a chat completion through `client` (a pool on the relay's origin). */
export async function shoot(client: Pool, shot: Shot, hangAfterMs: number): Promise<Outcome> {
  const body: Record<string, unknown> = { model: shot.model, stream: shot.stream, messages: [{ role: 'user', content: 'Tell me about foxes.' }] };
  if (shot.includeUsage) body.stream_options = { include_usage: true };
  const hang = AbortSignal.timeout(hangAfterMs);
  const quit = shot.abortAfterMs === undefined ? undefined : AbortSignal.timeout(shot.abortAfterMs);
  const signal = quit ? AbortSignal.any([hang, quit]) : hang;
  try {
    const res = await client.request({
      path: '/v1/chat/completions',
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal,
    });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, trailers: res.trailers, text };
  } catch (err) {
    if (quit?.aborted) return { status: 0, headers: {}, text: '', aborted: true };
    if (hang.aborted) return { status: 0, headers: {}, text: '', hung: true };
    return { status: 0, headers: {}, text: '', transport: (err as { code?: string }).code ?? String(err) };
  }
}

/** Runs `total` requests, `concurrency` at a time; `next(i)` sends request i. */
export async function runLoad(total: number, concurrency: number, next: (i: number) => Promise<void>): Promise<void> {
  let i = 0;
  const worker = async () => {
    while (i < total) await next(i++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
}

/** The `data:` payloads of an SSE body (comments skipped). */
export function ssePayloads(text: string): string[] {
  return text
    .split('\n\n')
    .filter((e) => e.startsWith('data: '))
    .map((e) => e.slice('data: '.length));
}

interface Chunk {
  id?: string;
  choices?: { delta?: { role?: string; content?: string | null } }[];
  usage?: unknown;
  error?: unknown;
}

/** Whether `text` is a run of non-empty prefixes of `replies[0..n-2]` followed by the whole of `replies[n-1]`. */
function splices(text: string, replies: string[]): boolean {
  if (replies.length === 1) return text === replies[0];
  const [first, ...rest] = replies;
  for (let k = first!.length; k >= 1; k--) {
    if (!text.startsWith(first!.slice(0, k))) continue;
    // The relay puts a space between two words the break had glued together.
    if (splices(text.slice(k), rest) || (text[k] === ' ' && first![k - 1] !== ' ' && splices(text.slice(k + 1), rest))) return true;
  }
  return false;
}

/**
 * Checks a successful answer: a 200 whose content is exactly the reply of the upstream
 * named in `x-switchyard-provider` (JSON), or a whole stream of it: one role chunk, one
 * chunk id, no error event, usage only when asked for, `[DONE]` last. A resumed stream
 * must be the replies of its targets spliced in order. Returns what is wrong, if anything.
 */
export function checkAnswer(shot: Shot, out: Outcome, replyOfProvider: (provider: string) => string | undefined): string | undefined {
  if (out.hung) return 'hung';
  if (out.transport) return `transport error ${out.transport}`;
  if (out.status !== 200) return `status ${out.status}: ${out.text.slice(0, 200)}`;
  const provider = String(out.headers['x-switchyard-provider']);
  const expected = replyOfProvider(provider);
  if (expected === undefined) return `unknown provider ${provider}`;
  if (!shot.stream) {
    const json = JSON.parse(out.text) as { choices: { message: { content: string } }[] };
    const content = json.choices[0]?.message.content;
    return content === expected ? undefined : `JSON content ${JSON.stringify(content)} is not ${provider}'s reply`;
  }
  const payloads = ssePayloads(out.text);
  if (payloads.at(-1) !== '[DONE]') return `stream does not end with [DONE]: ${JSON.stringify(payloads.at(-1))}`;
  const chunks = payloads.slice(0, -1).map((p) => JSON.parse(p) as Chunk);
  if (chunks.some((c) => c.error !== undefined)) return 'stream carries an error event';
  const ids = new Set(chunks.map((c) => c.id));
  if (ids.size !== 1) return `stream mixes chunk ids ${[...ids].join(', ')}`;
  const roles = chunks.filter((c) => c.choices?.[0]?.delta?.role !== undefined).length;
  if (roles !== 1) return `stream has ${roles} role chunks`;
  const usage = chunks.filter((c) => c.usage !== undefined && c.usage !== null).length;
  if (usage !== (shot.includeUsage ? 1 : 0)) return `stream has ${usage} usage chunks (asked: ${shot.includeUsage})`;
  const content = chunks.map((c) => c.choices?.[0]?.delta?.content ?? '').join('');
  if (chunks.some((c) => c.choices?.length === 0 && !c.usage)) return 'stream has a chunk without choices the client did not ask for';
  const resumedFrom = out.trailers?.['x-switchyard-resumed-from'];
  if (resumedFrom) {
    const targets = resumedFrom.split(', ').map((id) => id.split('/')[0]!);
    const replies = targets.map((p) => replyOfProvider(p));
    if (replies.some((r) => r === undefined)) return 'resume trailer names an unknown provider';
    if (targets[0] !== provider) return 'resume trailer and x-switchyard-provider disagree on the first server';
    return splices(content, replies as string[]) ? undefined : `resumed content ${JSON.stringify(content)} is not a splice of ${targets.join(' > ')}`;
  }
  return content === expected ? undefined : `streamed content ${JSON.stringify(content)} is not ${provider}'s reply`;
}

/** The OpenAI error code that goes with each relay error status. */
const CODE_OF_STATUS: Record<number, string> = {
  429: 'rate_limit_exceeded',
  502: 'all_targets_failed',
  503: 'no_available_target',
  504: 'deadline_exceeded',
};

/**
 * Checks a failure: one of `allowed` statuses, as JSON (never a 200 stream), with the
 * envelope and code of that status, and `Retry-After` on 429 and 503.
 */
export function checkFailure(out: Outcome, allowed: readonly number[]): string | undefined {
  if (out.hung) return 'hung';
  if (out.transport) return `transport error ${out.transport}`;
  if (!allowed.includes(out.status)) return `status ${out.status} not in ${allowed.join('/')}: ${out.text.slice(0, 200)}`;
  if (!String(out.headers['content-type']).startsWith('application/json')) return `content-type ${out.headers['content-type']}`;
  const json = JSON.parse(out.text) as { error?: { message?: unknown; type?: unknown; code?: unknown } };
  if (typeof json.error?.message !== 'string' || typeof json.error.type !== 'string') return `not an envelope: ${out.text.slice(0, 200)}`;
  if (json.error.code !== CODE_OF_STATUS[out.status]) return `status ${out.status} with code ${String(json.error.code)}`;
  if ((out.status === 429 || out.status === 503) && !/^\d+$/.test(String(out.headers['retry-after']))) return `status ${out.status} without Retry-After`;
  return undefined;
}

/** Counts of `process.getActiveResourcesInfo()` by type (ref'd timers, sockets, servers...). */
export function resources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) counts[r] = (counts[r] ?? 0) + 1;
  return counts;
}

/** Pool statistics of a relay's upstream pools (a private field, read for leak checks). */
export function upstreamPools(relay: Relay): Map<string, { connected: number; free: number; pending: number; queued: number; running: number; size: number }> {
  const pools = (relay as unknown as { registry: { pools: Map<string, Pool> } }).registry.pools;
  // Keyed by provider name (possibly with more after a NUL, e.g. origin and pool options).
  const out = new Map<string, Pool['stats']>();
  for (const [key, pool] of pools) {
    const name = key.split('\0')[0]!;
    out.set(out.has(name) ? `${name}#${out.size}` : name, pool.stats);
  }
  return out;
}

/** Listeners registered on a relay's events (a private field, read for leak checks). */
export function relayListeners(relay: Relay): number {
  return (relay as unknown as { events: { count(): number } }).events.count();
}

/** Waits until `check()` is true, polling every 20 ms, at most `ms`; returns the last result. */
export async function settle(check: () => boolean, ms = 3_000): Promise<boolean> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}
