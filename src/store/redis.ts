/**
 * @module
 * A {@link Store} in Redis, shared by every relay instance that points at the same
 * server: rate-limit buckets and budgets (atomic Lua scripts, keys under a prefix that
 * expire with their state), stored values (plain `SET ... PX`, for Responses state) and
 * breaker verdicts (pub/sub, plus a claim so that one
 * instance probes a recovering target). The host passes its own ioredis client
 * (`Redis` or `Cluster`), with its own connection settings, TLS or Sentinel.
 *
 * Every call is bounded: when Redis is down or slow, a call fails within `timeoutMs`
 * instead of waiting in ioredis' offline queue, and the relay applies its `onStoreError`
 * policy to limits and budgets and keeps its breakers local.
 */
import type { Cluster, Redis } from 'ioredis';
import type { AdmitOp, BreakerSubscriber, BreakerTransition, BucketState, BudgetState, ProbeClaim, Store } from './store.js';
import { ACQUIRE_PROBE, ADMIT, admitResults, RELEASE_PROBE, GIVE, OPEN_BREAKERS, PUBLISH_BREAKER, RESERVE, SETTLE, TAKE, type Script } from './redis-scripts.js';

/** Options of {@link createRedisStore}. */
export interface RedisStoreOptions {
  /** The host's ioredis client. The store never closes it. */
  client: Redis | Cluster;
  /**
   * Prefix of every key and of the pub/sub channel (`<prefix>breakers`). Put a hash tag in
   * it (`'app:{switchyard}:'`) to keep every key on one Cluster node.
   * @default 'switchyard:'
   */
  prefix?: string;
  /**
   * Longest wait for one Redis call, in ms. Past it the call fails and the relay goes on
   * under its `onStoreError` policy.
   * @default 250
   */
  timeoutMs?: number;
  /**
   * The connection that subscribes to breaker verdicts (a subscribed connection can send
   * nothing else). By default `client.duplicate()`, which the store closes in `close()`.
   */
  subscriber?: Redis | Cluster;
}

/** Why a Redis call failed without an answer from Redis. */
export class RedisStoreError extends Error {
  constructor(
    readonly code: 'ERR_SWITCHYARD_REDIS_TIMEOUT' | 'ERR_SWITCHYARD_REDIS_UNAVAILABLE',
    message: string,
  ) {
    super(message);
    this.name = 'RedisStoreError';
  }
}

const DEFAULT_PREFIX = 'switchyard:';
const DEFAULT_TIMEOUT_MS = 250; // .25s: a local Redis answers in well under a millisecond
/** How long the record of open breakers outlives its last write (targets removed from config). */
const OPEN_BREAKERS_TTL_MS = 86_400_000; // 1 day
/** Wait before replaying open breakers again after a failed replay. */
const RESYNC_RETRY_MS = 1_000; // 1s
/** Client states in which Redis is known to be unreachable: fail at once. */
const DOWN = new Set(['reconnecting', 'close', 'end', 'disconnecting']);

type Client = Redis | Cluster;

/**
 * The Redis store. Create it with {@link createRedisStore}.
 *
 * @example
 * ```ts
 * const store = new RedisStore({ client: new Redis(process.env.REDIS_URL!) });
 * ```
 */
export class RedisStore implements Store {
  private readonly client: Client;
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private readonly subscriberOption: Client | undefined;
  /** Start of the breaker keys: one hash tag, so a script may touch two of them on Cluster. */
  private readonly breakerKeys: string;
  private readonly openKey: string;
  private readonly channel: string;
  private readonly subscriptions = new Set<() => void>();
  private readonly cluster: boolean;

  constructor(options: RedisStoreOptions) {
    if (!options?.client || typeof (options.client as Redis).evalsha !== 'function') {
      throw new TypeError('createRedisStore: `client` must be an ioredis Redis or Cluster instance');
    }
    this.client = options.client;
    this.prefix = options.prefix ?? DEFAULT_PREFIX;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.subscriberOption = options.subscriber;
    this.breakerKeys = `${this.prefix}{breakers}:`;
    this.cluster = (options.client as { isCluster?: boolean }).isCluster === true;
    this.openKey = `${this.breakerKeys}open`;
    this.channel = `${this.prefix}breakers`;
  }

  async take(key: string, cost: number, capacity: number, windowMs: number): Promise<BucketState> {
    const [allowed, remaining, resetMs, retryAfterMs] = (await this.run(TAKE, [this.prefix + key], [cost, capacity, windowMs])) as number[];
    return { allowed: allowed === 1, remaining: remaining!, resetMs: resetMs!, retryAfterMs: retryAfterMs! };
  }

  /**
   * Every check in one script call (one round trip). On Redis Cluster the keys of one
   * call must share a slot: only with a hash tag in the prefix, else one call per check.
   */
  async admit(ops: readonly AdmitOp[]): Promise<(BucketState | BudgetState)[]> {
    if (this.cluster && !/\{[^}]+\}/.test(this.prefix)) {
      const out: (BucketState | BudgetState)[] = [];
      for (const o of ops) {
        const state = o.op === 'take' ? await this.take(o.key, o.cost, o.capacity, o.windowMs) : await this.reserve(o.key, o.amountUsd, o.capUsd, o.ttlMs);
        out.push(state);
        if ('allowed' in state ? !state.allowed : !state.ok) break;
      }
      return out;
    }
    const args = ops.flatMap((o) => (o.op === 'take' ? ['take', o.cost, o.capacity, o.windowMs] : ['reserve', o.amountUsd, o.capUsd, Math.max(1, Math.ceil(o.ttlMs))]));
    return admitResults(ops, (await this.run(ADMIT, ops.map((o) => this.prefix + o.key), args)) as (number | string)[]);
  }

  async give(key: string, amount: number, capacity: number, windowMs: number): Promise<void> {
    await this.run(GIVE, [this.prefix + key], [amount, capacity, windowMs]);
  }

  async reserve(key: string, amountUsd: number, capUsd: number, ttlMs: number): Promise<BudgetState> {
    const [ok, spent] = (await this.run(RESERVE, [this.prefix + key], [amountUsd, capUsd, Math.max(1, Math.ceil(ttlMs))])) as [number, string];
    return { ok: ok === 1, spentUsd: Number(spent) };
  }

  async settle(key: string, deltaUsd: number, ttlMs: number): Promise<BudgetState> {
    const [, spent] = (await this.run(SETTLE, [this.prefix + key], [deltaUsd, 0, Math.max(1, Math.ceil(ttlMs))])) as [number, string];
    return { ok: true, spentUsd: Number(spent) };
  }

  async putValue(key: string, value: string, ttlMs: number): Promise<void> {
    await this.call(() => this.client.set(this.prefix + key, value, 'PX', Math.max(1, Math.ceil(ttlMs))));
  }

  async getValue(key: string): Promise<string | undefined> {
    return (await this.call(() => this.client.get(this.prefix + key))) ?? undefined;
  }

  async deleteValue(key: string): Promise<boolean> {
    return (await this.call(() => this.client.del(this.prefix + key))) > 0;
  }

  async publishBreaker(t: Omit<BreakerTransition, 'ageMs' | 'replay'>): Promise<void> {
    await this.run(PUBLISH_BREAKER, [this.openKey, this.probeKey(t.target)], [this.channel, t.target, t.state, t.origin, OPEN_BREAKERS_TTL_MS]);
  }

  async acquireProbe(target: string, owner: string, ttlMs: number): Promise<ProbeClaim> {
    const left = Number(await this.run(ACQUIRE_PROBE, [this.probeKey(target)], [owner, Math.max(1, Math.ceil(ttlMs))]));
    return left < 0 ? { granted: true } : { granted: false, heldMs: left };
  }

  async releaseProbe(target: string, owner: string): Promise<void> {
    await this.run(RELEASE_PROBE, [this.probeKey(target)], [owner]);
  }

  /**
   * Subscribes on a connection of its own. On every (re)connection, once the command
   * connection is up too, the open breakers are replayed and `ready` is called.
   */
  subscribeBreakers(subscriber: BreakerSubscriber): () => void {
    const own = this.subscriberOption === undefined;
    const conn = this.subscriberOption ?? this.client.duplicate();
    let closed = false;
    let syncing = false;
    let retry: NodeJS.Timeout | undefined;
    const onMessage = (channel: string, message: string) => {
      if (channel !== this.channel) return;
      const t = parseTransition(message);
      if (t) subscriber.transition(t);
    };
    const resync = async () => {
      // Both connections must be up: the subscriber to hear what comes next, the command
      // connection to read what happened while this instance was away.
      if (closed || syncing || conn.status !== 'ready' || this.client.status !== 'ready') return;
      syncing = true;
      try {
        await withTimeout(conn.subscribe(this.channel), this.timeoutMs);
        for (const t of await this.openBreakers()) subscriber.transition(t);
        if (!closed) subscriber.ready?.();
      } catch (err) {
        subscriber.error?.(err as Error);
        // Both connections looked up but a call failed: try again while they stay up.
        retry = setTimeout(onReady, RESYNC_RETRY_MS);
        retry.unref();
      } finally {
        syncing = false;
      }
    };
    const onReady = () => void resync();
    const onError = (err: Error) => subscriber.error?.(err);
    conn.on('message', onMessage);
    conn.on('ready', onReady);
    conn.on('error', onError);
    this.client.on('ready', onReady);
    void resync();
    const stop = () => {
      closed = true;
      clearTimeout(retry);
      this.subscriptions.delete(stop);
      conn.off('message', onMessage);
      conn.off('ready', onReady);
      this.client.off('ready', onReady);
      if (own) {
        conn.disconnect();
        // A late connection error of the closed duplicate has nobody to tell.
        conn.on('error', () => {});
        conn.off('error', onError);
      } else {
        conn.off('error', onError);
        void conn.unsubscribe(this.channel).catch(() => {});
      }
    };
    this.subscriptions.add(stop);
    return stop;
  }

  /** Ends the subscriptions this store made. The host's client stays open. */
  close(): void {
    for (const stop of [...this.subscriptions]) stop();
  }

  private async openBreakers(): Promise<BreakerTransition[]> {
    const [now, ...flat] = (await this.run(OPEN_BREAKERS, [this.openKey], [])) as string[];
    const out: BreakerTransition[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const [at, origin] = splitOnce(flat[i + 1]!, '|');
      out.push({ target: flat[i]!, state: 'open', origin, ageMs: Math.max(0, Number(now) - Number(at)), replay: true });
    }
    return out;
  }

  private probeKey(target: string): string {
    return `${this.breakerKeys}probe:${target}`;
  }

  /** Runs a script by its SHA (loading it on NOSCRIPT, e.g. after a restart), bounded by `timeoutMs`. */
  private run(s: Script, keys: string[], args: (string | number)[]): Promise<unknown> {
    return this.call(() =>
      this.client.evalsha(s.sha, keys.length, ...keys, ...args).catch((err: Error) => {
        if (!String(err?.message).startsWith('NOSCRIPT')) throw err;
        return this.client.eval(s.lua, keys.length, ...keys, ...args);
      }),
    );
  }

  /** Runs one Redis call, at once refused while the client is down, bounded by `timeoutMs`. */
  private call<T>(send: () => Promise<T>): Promise<T> {
    const { status } = this.client;
    if (DOWN.has(status)) return Promise.reject(new RedisStoreError('ERR_SWITCHYARD_REDIS_UNAVAILABLE', `Redis is unreachable (client ${status})`));
    return withTimeout(send(), this.timeoutMs);
  }
}

/** Rejects with a timeout error when `promise` takes longer than `ms`; its late outcome is dropped. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RedisStoreError('ERR_SWITCHYARD_REDIS_TIMEOUT', `Redis did not answer within ${ms} ms`)), ms);
  });
  promise.catch(() => {});
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function splitOnce(s: string, sep: string): [string, string] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}

function parseTransition(message: string): BreakerTransition | undefined {
  try {
    const m = JSON.parse(message) as Partial<BreakerTransition>;
    if (typeof m.target !== 'string' || typeof m.origin !== 'string' || (m.state !== 'open' && m.state !== 'closed')) return undefined;
    return { target: m.target, state: m.state, origin: m.origin, ageMs: 0, replay: false };
  } catch {
    return undefined;
  }
}

/**
 * Creates a Redis store for `createRelay({ store })`, shared by every relay instance that
 * uses the same Redis and prefix.
 *
 * @example
 * ```ts
 * import Redis from 'ioredis';
 * import { createRelay } from 'switchyard';
 * import { createRedisStore } from 'switchyard/redis';
 *
 * const redis = new Redis(process.env.REDIS_URL!);
 * const relay = createRelay({ ...config, store: createRedisStore({ client: redis }) });
 * ```
 */
export function createRedisStore(options: RedisStoreOptions): RedisStore {
  return new RedisStore(options);
}
