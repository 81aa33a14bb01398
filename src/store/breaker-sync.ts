/**
 * @module
 * Keeps this relay's breakers in step with other instances' through a shared store.
 * Breakers stay local objects, so `admit()` never waits on the network: their verdicts
 * (open, closed) are published, and other instances' verdicts are applied as they arrive.
 * Only a half-open probe asks the store, so that one instance probes rather than all.
 * When the store is unreachable every breaker keeps working on local state (fail open);
 * verdicts that could not be published are published when it comes back.
 */
import { randomUUID } from 'node:crypto';
import type { ResolvedTarget } from '../config.js';
import type { RelayEvents } from '../events.js';
import type { BreakerState, CircuitBreaker } from '../policy/breaker.js';
import type { ProbeClaim } from '../engine/runtime.js';
import type { BreakerTransition, Store } from './store.js';

/** A store that can share breakers. */
type SharingStore = Store & Required<Pick<Store, 'publishBreaker' | 'subscribeBreakers'>>;

/** What the sync borrows from the relay. */
export interface BreakerSyncHost {
  events: RelayEvents;
  now: () => number;
  /** The breaker of the target with this id, created if needed; undefined for an unknown id. */
  breaker(id: string): CircuitBreaker | undefined;
}

export class BreakerSync {
  /** This instance, as its published transitions name it. */
  readonly origin = randomUUID();
  /** While set, transitions are not published: remote ones, and an operator's (local) holds. */
  private muted = false;
  /** Targets whose probe another instance holds, until when (this clock). */
  private readonly heldElsewhere = new Map<string, number>();
  /** The last verdict per target that the store has not taken yet. */
  private readonly pending = new Map<string, 'open' | 'closed'>();
  /** Whether the subscription's failure was reported since it was last up. */
  private reportedDown = false;
  private readonly unsubscribe: () => void;

  /** Starts syncing when `store` can share breakers; undefined otherwise. */
  static start(store: Store, host: BreakerSyncHost): BreakerSync | undefined {
    return store.publishBreaker && store.subscribeBreakers ? new BreakerSync(store as SharingStore, host) : undefined;
  }

  private constructor(
    readonly store: SharingStore,
    private readonly host: BreakerSyncHost,
  ) {
    this.unsubscribe = store.subscribeBreakers({
      transition: (t) => this.apply(t),
      ready: () => {
        this.reportedDown = false;
        for (const [target, state] of this.pending) void this.publish(target, state);
      },
      error: (err) => {
        if (this.reportedDown) return;
        this.reportedDown = true;
        this.report('subscribeBreakers', err);
      },
    });
  }

  /** The relay's breaker listener: publishes this instance's own verdicts. */
  changed(id: string, state: BreakerState, breaker: CircuitBreaker): void {
    if (this.muted || state === 'half-open' || breaker.override !== undefined) return;
    this.heldElsewhere.delete(id);
    void this.publish(id, state);
  }

  /** Runs `fn` without publishing the transitions it causes (an operator's local override). */
  quietly(fn: () => void): void {
    this.muted = true;
    try {
      fn();
    } finally {
      this.muted = false;
    }
  }

  /**
   * Claims the half-open probe of `target` for `ttlMs` (at most the probe's own time
   * limit; its verdict ends the claim sooner). Resolves with the claim, or with how long
   * another instance still holds it; that is remembered until it expires, so waiting
   * costs no further round trips. A store that cannot answer grants it (fail open).
   */
  async claim(target: ResolvedTarget, ttlMs: number): Promise<ProbeClaim | { heldMs: number }> {
    const acquire = this.store.acquireProbe;
    const released: ProbeClaim = { release: () => this.releaseClaim(target.id) };
    if (!acquire) return released;
    const until = this.heldElsewhere.get(target.id);
    if (until !== undefined && this.host.now() < until) return { heldMs: until - this.host.now() };
    try {
      const claim = await acquire.call(this.store, target.id, this.origin, ttlMs);
      if (claim.granted) return released;
      this.heldElsewhere.set(target.id, this.host.now() + claim.heldMs);
      return { heldMs: claim.heldMs };
    } catch (err) {
      this.report('acquireProbe', err);
      return released;
    }
  }

  /** Gives a claim back at once: its probe was abandoned or said nothing about the target. */
  private releaseClaim(target: string): void {
    const release = this.store.releaseProbe;
    if (!release) return;
    Promise.resolve()
      .then(() => release.call(this.store, target, this.origin))
      .catch((err: unknown) => this.report('releaseProbe', err));
  }

  close(): void {
    this.unsubscribe();
  }

  private apply(t: BreakerTransition): void {
    if (t.origin === this.origin) return;
    // A verdict reached here during an outage is newer than the store's replayed state.
    if (t.replay && this.pending.has(t.target)) return;
    const breaker = this.host.breaker(t.target);
    if (!breaker) return;
    this.heldElsewhere.delete(t.target);
    if (!t.replay) this.pending.delete(t.target);
    // Clocks of instances disagree; the store measured the age, this clock places it.
    this.quietly(() => breaker.applyRemote(t.state, this.host.now() - t.ageMs));
  }

  private async publish(target: string, state: 'open' | 'closed'): Promise<void> {
    this.pending.set(target, state);
    try {
      await this.store.publishBreaker({ target, state, origin: this.origin });
      if (this.pending.get(target) === state) this.pending.delete(target);
    } catch (err) {
      this.report('publishBreaker', err);
    }
  }

  private report(operation: string, err: unknown): void {
    this.host.events.storeError({ operation, message: (err as Error)?.message ?? String(err), allowed: true });
  }
}
