/**
 * @module
 * The load generator, in its own process so its CPU is not the server's. The
 * orchestrator drives it over IPC, one measurement at a time:
 * - `saturate`: autocannon at a fixed number of connections (throughput);
 * - `sequential` / `interleaved`: one keep-alive connection per target, one request
 *   after another (round-robin over the targets), timed with `process.hrtime.bigint()`
 *   (latency; for streams, time to first byte, first token and last byte);
 * - `fixedRate`: an open-loop schedule at a fixed request rate over a pool of
 *   connections, each request timed from the moment it is issued;
 * - `openStreams` / `closeStreams`: many concurrent streams held open (memory runs).
 */
import autocannon from 'autocannon';
import { Client, Pool, type Dispatcher } from 'undici';
import { serve } from './ipc.js';
import { Recorder, type Dist } from './stats.js';

/** Where and what to send. */
export interface Target {
  origin: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  /** What a complete stream shows somewhere in its body (default `data: [DONE]`). */
  end?: string;
}

export interface SequentialResult {
  /** Whole-response latency (non-streaming). */
  latency?: Dist;
  /** Streams: time to the first body byte, to the first token (content delta) and to the end of the body. */
  ttfb?: Dist;
  ttft?: Dist;
  ttlb?: Dist;
  ok: number;
  errors: number;
  firstError?: string;
  /** Streams that ended without `data: [DONE]`. */
  incomplete: number;
  durationMs: number;
  /** The server's CPU per request meanwhile, µs (set by the orchestrator). */
  serverCpuUs?: number;
}

export interface FixedRateResult {
  latency: Dist;
  sent: number;
  ok: number;
  errors: number;
  firstError?: string;
  /** Requests issued per second while measuring (the schedule held). */
  achievedRate: number;
  /** Requests answered per second while measuring: below the rate when the server cannot keep up. */
  completedRate: number;
  /** Most requests outstanding at once. */
  maxInflight: number;
}

export interface SaturateResult {
  rps: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  durationS: number;
  /** CPU time of the server process per answered request (µs); set by the orchestrator. */
  serverCpuUs?: number;
}

export interface OpenStreamsResult {
  requested: number;
  /** Streams whose first body byte arrived. */
  opened: number;
  failed: number;
  firstError?: string;
  /** Time until every stream had its first byte (or the timeout). */
  openMs: number;
}

export interface CheckResult {
  status: number;
  bytes: number;
  events: number;
  head: string;
  tail: string;
}

const now = () => process.hrtime.bigint();
const DONE = 'data: [DONE]';

function describe(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return [e.code, e.message].filter(Boolean).join(' ') || String(err);
}

/** What to time inside one response besides its end. */
interface Watch {
  /** Called at the first body byte. */
  firstByte?: () => void;
  /** Called when the first non-empty `"content"` delta has arrived (streams). */
  firstToken?: () => void;
  /** Keep the last bytes, to see how the body ended. */
  tail?: boolean;
}

const TOKEN = /"content":"[^"]/;

/** One request; resolves when its body has been read to the end. */
async function exchange(d: Dispatcher, t: Target, watch: Watch = {}): Promise<{ status: number; bytes: number; tail: string; ended: boolean }> {
  const res = await d.request({ path: t.path, method: 'POST', headers: t.headers, body: t.body });
  let bytes = 0;
  let tail = '';
  const end = t.end ?? DONE;
  let ended = false;
  let seen = '';
  // Until the first token shows up: the text so far, minus what cannot be part of a match.
  let scan = watch.firstToken ? '' : undefined;
  for await (const chunk of res.body) {
    const buf = chunk as Buffer;
    if (bytes === 0) watch.firstByte?.();
    bytes += buf.length;
    if (scan !== undefined) {
      scan += buf.toString('latin1');
      if (TOKEN.test(scan)) {
        watch.firstToken!();
        scan = undefined;
      } else scan = scan.slice(-16);
    }
    // The end of the body, across chunk boundaries: enough to see `data: [DONE]`.
    if (watch.tail) {
      tail = tail.slice(-32) + buf.subarray(-32).toString('latin1');
      if (!ended) {
        seen = seen.slice(-end.length) + buf.toString('latin1');
        ended = seen.includes(end);
        seen = seen.slice(-end.length);
      }
    }
  }
  return { status: res.statusCode, bytes, tail, ended };
}

async function check(args: { target: Target }): Promise<CheckResult> {
  const client = new Client(args.target.origin);
  try {
    const res = await client.request({ path: args.target.path, method: 'POST', headers: args.target.headers, body: args.target.body });
    const text = await res.body.text();
    return {
      status: res.statusCode,
      bytes: Buffer.byteLength(text),
      events: text.split('\n\n').filter((e) => e.startsWith('data: ')).length,
      head: text.slice(0, 300),
      tail: text.slice(-120),
    };
  } finally {
    await client.close();
  }
}

/** One target's side of an interleaved run. */
class Lane {
  readonly client: Client;
  readonly whole = new Recorder();
  readonly first = new Recorder();
  readonly token = new Recorder();
  ok = 0;
  errors = 0;
  incomplete = 0;
  firstError?: string;

  constructor(readonly target: Target) {
    this.client = new Client(target.origin, { pipelining: 1 });
  }

  async once(stream: boolean, measured: boolean): Promise<void> {
    const t0 = now();
    let t1 = 0n;
    let tt = 0n;
    try {
      const watch: Watch = stream ? { firstByte: () => (t1 = now()), firstToken: () => (tt = now()), tail: true } : {};
      const r = await exchange(this.client, this.target, watch);
      const t2 = now();
      if (r.status < 200 || r.status >= 300) {
        this.errors++;
        this.firstError ??= `HTTP ${r.status}`;
        return;
      }
      if (stream && !r.ended) {
        this.incomplete++;
        return;
      }
      if (!measured) return;
      this.ok++;
      this.whole.record(t2 - t0);
      if (stream) {
        this.first.record((t1 || t2) - t0);
        if (tt) this.token.record(tt - t0);
      }
    } catch (err) {
      this.errors++;
      this.firstError ??= describe(err);
    }
  }

  result(stream: boolean, durationMs: number): SequentialResult {
    const base = { ok: this.ok, errors: this.errors, firstError: this.firstError, incomplete: this.incomplete, durationMs };
    if (this.whole.count === 0) return base;
    if (!stream) return { ...base, latency: this.whole.dist() };
    return { ...base, ttfb: this.first.dist(), ttft: this.token.count ? this.token.dist() : undefined, ttlb: this.whole.dist() };
  }
}

/** `items` in an order drawn from `seed` (mulberry32 and Fisher-Yates): the same for the same seed. */
function shuffled<T>(items: T[], seed: number): T[] {
  let a = seed + 0x6d2b79f5;
  const random = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * Sequential requests to several targets, interleaved: each round sends one request to
 * every target, in a new random order each round (so no target always follows the same
 * one and inherits its after-work), each target on its own keep-alive connection,
 * never two requests at once. Whatever else the machine is doing then falls on every
 * target alike, so their differences stay sharp. Ends after `rounds` measured rounds or
 * `maxMs`, whichever comes first (at least 20 rounds).
 */
async function interleaved(args: { targets: Target[]; rounds: number; warmup: number; maxMs: number; stream: boolean }): Promise<SequentialResult[]> {
  const lanes = args.targets.map((t) => new Lane(t));
  const started = Date.now();
  let measuredRounds = 0;
  try {
    for (let round = 0; round < args.warmup + args.rounds; round++) {
      const measured = round >= args.warmup;
      if (measured && measuredRounds >= 20 && Date.now() - started > args.maxMs) break;
      for (const lane of shuffled(lanes, round)) await lane.once(args.stream, measured);
      if (measured) measuredRounds++;
    }
  } finally {
    await Promise.all(lanes.map((l) => l.client.destroy()));
  }
  const durationMs = Date.now() - started;
  return lanes.map((l) => l.result(args.stream, durationMs));
}

/** Sequential requests to one target; see {@link interleaved}. */
async function sequential(args: { target: Target; requests: number; warmup: number; maxMs: number; stream: boolean }): Promise<SequentialResult> {
  const [result] = await interleaved({ targets: [args.target], rounds: args.requests, warmup: args.warmup, maxMs: args.maxMs, stream: args.stream });
  return result!;
}

async function fixedRate(args: { target: Target; rate: number; connections: number; warmupMs: number; durationMs: number }): Promise<FixedRateResult> {
  const { target, rate } = args;
  const pool = new Pool(target.origin, { connections: args.connections, pipelining: 1 });
  const rec = new Recorder();
  const interval = 1e9 / rate; // ns between intended starts
  const total = Math.round((rate * (args.warmupMs + args.durationMs)) / 1000);
  const warm = Math.round((rate * args.warmupMs) / 1000);
  let sent = 0;
  let ok = 0;
  let errors = 0;
  let inflight = 0;
  let maxInflight = 0;
  let firstError: string | undefined;
  const pending = new Set<Promise<void>>();
  const start = now();
  let measuredFrom = 0n;
  let lastDone = 0n;

  const fire = (index: number) => {
    inflight++;
    maxInflight = Math.max(maxInflight, inflight);
    const t0 = now();
    if (index === warm) measuredFrom = t0;
    const p = exchange(pool, target).then(
      (r) => {
        const t1 = now();
        if (r.status >= 200 && r.status < 300) {
          if (index >= warm) {
            ok++;
            rec.record(t1 - t0);
            lastDone = t1;
          }
        } else {
          errors++;
          firstError ??= `HTTP ${r.status}`;
        }
      },
      (err: unknown) => {
        errors++;
        firstError ??= describe(err);
      },
    );
    const tracked = p.finally(() => {
      inflight--;
      pending.delete(tracked);
    });
    pending.add(tracked);
  };

  // Open loop: requests go out on schedule whether or not earlier ones have answered.
  await new Promise<void>((resolve) => {
    const tick = () => {
      const elapsed = Number(now() - start);
      while (sent < total && sent * interval <= elapsed) fire(sent++);
      if (sent >= total) return resolve();
      setTimeout(tick, Math.max(0, (sent * interval - elapsed) / 1e6));
    };
    tick();
  });
  const issuedFor = Number(now() - measuredFrom) / 1e9;
  // A server that fell behind gets a few seconds to answer; what is still out then counts as failed.
  await Promise.race([Promise.all(pending), new Promise((r) => setTimeout(r, 5_000))]);
  await pool.destroy();
  const answeredFor = Number(lastDone - measuredFrom) / 1e9;
  return {
    latency: rec.dist(),
    sent,
    ok,
    errors,
    firstError,
    achievedRate: Math.round((sent - warm) / issuedFor),
    completedRate: answeredFor > 0 ? Math.round(ok / Math.max(answeredFor, issuedFor)) : 0,
    maxInflight,
  };
}

async function saturate(args: { target: Target; connections: number; durationMs: number }): Promise<SaturateResult> {
  const { target } = args;
  const r = await autocannon({
    url: target.origin + target.path,
    method: 'POST',
    headers: target.headers,
    body: target.body,
    connections: args.connections,
    pipelining: 1,
    duration: args.durationMs / 1000,
    sampleInt: 100,
    timeout: 10,
  });
  return {
    rps: Math.round(r['2xx'] / r.duration),
    ok: r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    durationS: r.duration,
  };
}

let held: { pool: Pool; done: Promise<unknown> } | undefined;

/** Opens `count` concurrent streams and resolves once each has sent its first byte (or failed, or the timeout passed). */
async function openStreams(args: { target: Target; count: number; timeoutMs: number }): Promise<OpenStreamsResult> {
  if (held) throw new Error('streams already open');
  const pool = new Pool(args.target.origin, { connections: args.count, pipelining: 1 });
  let opened = 0;
  let failed = 0;
  let firstError: string | undefined;
  const t0 = Date.now();
  let allOpen!: () => void;
  const everyOne = new Promise<void>((r) => (allOpen = r));
  const settle = () => {
    if (opened + failed >= args.count) allOpen();
  };
  const runs = Array.from({ length: args.count }, () =>
    exchange(pool, args.target, {
      firstByte: () => {
        opened++;
        settle();
      },
    }).then(
      (r) => {
        if (r.status < 200 || r.status >= 300) {
          failed++;
          firstError ??= `HTTP ${r.status}`;
          settle();
        }
      },
      (err: unknown) => {
        // Closing the pool at the end also lands here; only failures before the first byte count.
        if (opened + failed < args.count) {
          failed++;
          firstError ??= describe(err);
          settle();
        }
      },
    ),
  );
  held = { pool, done: Promise.all(runs) };
  await Promise.race([everyOne, new Promise((r) => setTimeout(r, args.timeoutMs))]);
  return { requested: args.count, opened, failed, firstError, openMs: Date.now() - t0 };
}

async function closeStreams(): Promise<{ closed: boolean }> {
  if (!held) return { closed: false };
  const { pool, done } = held;
  held = undefined;
  await pool.destroy();
  await Promise.race([done, new Promise((r) => setTimeout(r, 5_000))]);
  return { closed: true };
}

serve({ check, sequential, interleaved, fixedRate, saturate, openStreams, closeStreams }, { ready: true });
