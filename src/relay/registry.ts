/**
 * @module
 * What outlives a request: connection pools (by provider settings), breakers and
 * statistics (by `provider/model`), drained providers, and the breaker sync with other
 * instances. Each request gets a runtime view of it; a configuration update prunes what
 * no target uses any more.
 */
import { Pool } from 'undici';
import type { ResolvedConfig, ResolvedTarget } from '../config.js';
import type { EngineRuntime } from '../engine/runtime.js';
import type { RelayEvents } from '../events.js';
import { CircuitBreaker } from '../policy/breaker.js';
import { adapterFor } from '../providers/index.js';
import { TargetStats } from '../routing/stats.js';
import { BreakerSync } from '../store/breaker-sync.js';
import type { Store } from '../store/store.js';

/** Every distinct target (by `provider/model`) of every model and chain, first binding first. */
export function distinctTargets(config: ResolvedConfig): ResolvedTarget[] {
  const byId = new Map<string, ResolvedTarget>();
  for (const m of config.models.values()) for (const t of m.targets) if (!byId.has(t.id)) byId.set(t.id, t);
  return [...byId.values()];
}

export class Registry {
  /** Connection pools by provider settings (name, origin, size, connect timeout). */
  private readonly pools = new Map<string, Pool>();
  private readonly breakers = new Map<string, CircuitBreaker>();
  readonly stats = new TargetStats();
  /** Providers being drained: no new requests, in-flight ones finish. */
  readonly draining = new Set<string>();
  /** Shares breaker verdicts with other instances, when the store can. */
  private sync: BreakerSync | undefined;
  private config!: ResolvedConfig;
  private targets: ResolvedTarget[] = [];

  constructor(private readonly events: RelayEvents) {}

  /** The runtime requests of `config` use. */
  runtime(config: ResolvedConfig): EngineRuntime {
    const sync = this.sync;
    return {
      config,
      events: this.events,
      stats: this.stats,
      pool: (target) => this.pool(target),
      adapter: (target) => adapterFor(target.provider.type),
      breaker: (target) => this.breaker(target),
      draining: (target) => this.draining.has(target.provider.name),
      claimProbe: sync && ((target, ttlMs) => sync.claim(target, ttlMs)),
    };
  }

  /** Takes `config`: breakers get its options, and what it no longer uses goes. */
  apply(config: ResolvedConfig): void {
    this.config = config;
    this.targets = distinctTargets(config);
    const store: Store = config.governance.store;
    if (this.sync?.store !== store) {
      this.sync?.close();
      this.sync = BreakerSync.start(store, { events: this.events, now: config.now, breaker: (id) => this.breakerById(id) });
    }
    const live = new Set(this.targets.map((t) => t.id));
    for (const target of this.targets) this.breakers.get(target.id)?.configure(target.breaker);
    for (const id of [...this.breakers.keys()]) if (!live.has(id)) this.breakers.delete(id);
    const keep = new Set([...config.providers.values()].map((p) => p.poolKey));
    for (const [key, pool] of this.pools) {
      if (keep.has(key)) continue;
      this.pools.delete(key);
      // Waits for the requests it carries, then closes its sockets.
      void pool.close().catch(() => {});
    }
  }

  /** Every distinct target of the configuration in force. */
  all(): readonly ResolvedTarget[] {
    return this.targets;
  }

  /** Runs `fn` without publishing the breaker transitions it causes (an operator's local hold). */
  quietly(fn: () => void): void {
    if (this.sync) this.sync.quietly(fn);
    else fn();
  }

  pool(target: ResolvedTarget): Pool {
    const provider = target.provider;
    let pool = this.pools.get(provider.poolKey);
    if (!pool) {
      pool = new Pool(provider.origin, { connections: provider.maxConnections, connect: { timeout: provider.connectMs } });
      this.pools.set(provider.poolKey, pool);
    }
    return pool;
  }

  breaker(target: ResolvedTarget): CircuitBreaker {
    let breaker = this.breakers.get(target.id);
    if (!breaker) {
      const id = { provider: target.provider.name, model: target.model };
      breaker = new CircuitBreaker(target.breaker, this.config.now, (state) => {
        this.sync?.changed(target.id, state, breaker!);
        if (state === 'open') this.events.emit('breakerOpen', { ...id, failures: breaker!.failures, cooldownMs: breaker!.cooldownMs });
        else if (state === 'half-open') this.events.emit('breakerHalfOpen', id);
        else this.events.emit('breakerClose', id);
      });
      this.breakers.set(target.id, breaker);
    }
    return breaker;
  }

  /** The breaker of a target by its id (a shared store names targets so). */
  private breakerById(id: string): CircuitBreaker | undefined {
    const target = this.targets.find((t) => t.id === id);
    return target && this.breaker(target);
  }

  /** Closes every pool and stops syncing. */
  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    this.sync?.close();
    await Promise.all(pools.map((p) => p.destroy().catch(() => {})));
  }
}
