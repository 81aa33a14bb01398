/**
 * @module
 * Circuit breaker of one target (a provider and model). Opens after
 * `failureThreshold` consecutive failures, skips its target for `cooldownMs`, then lets
 * exactly one probe through (half-open): the probe's verdict closes it or opens it again.
 *
 * Every admission carries the breaker's generation, which changes with every
 * transition. A verdict counts only for the generation that admitted it, so a slow
 * request admitted before the breaker opened cannot close it when it finishes, and a
 * late result cannot clear the "probe out" flag while the real probe is in flight.
 */
import type { ResolvedBreakerOptions } from '../config.js';

/** Breaker states, as events and `/health` report them. */
export type BreakerState = 'closed' | 'open' | 'half-open';

/** Serialisable breaker state, so a shared store can hold it. */
export interface BreakerSnapshot {
  state: BreakerState;
  failures: number;
  /** When the breaker last opened (ms since epoch), or 0. */
  openedAt: number;
}

/** Called on every state change. */
export type BreakerListener = (state: BreakerState, previous: BreakerState) => void;

/**
 * Permission to send one request. Report its verdict exactly once: `success`,
 * `failure` (it counts against the target) or `release` (it says nothing about it).
 */
export interface Admission {
  /** `pass`: the breaker is closed; `probe`: this caller carries the single half-open probe. */
  readonly kind: 'pass' | 'probe';
  /** The generation that admitted it. */
  readonly generation: number;
}

export class CircuitBreaker {
  private snapshot: BreakerSnapshot = { state: 'closed', failures: 0, openedAt: 0 };
  /** The probe out in this generation, if any. */
  private probe: Admission | undefined;
  private generation = 0;
  /** An operator's override: held open (maintenance) or closed, until released. */
  private forced: 'open' | 'closed' | undefined;

  constructor(
    private options: ResolvedBreakerOptions,
    private readonly now: () => number,
    private readonly onChange?: BreakerListener,
  ) {}

  get state(): BreakerState {
    return this.forced ?? this.snapshot.state;
  }

  /** The operator's override, if any. */
  get override(): 'open' | 'closed' | undefined {
    return this.forced;
  }

  /** Takes new options (a configuration update) and keeps the state. */
  configure(options: ResolvedBreakerOptions): void {
    this.options = options;
  }

  /**
   * Holds the breaker open (`'open'`: the target gets no traffic, for maintenance) or
   * closed (`'closed'`: traffic whatever its failures), or releases the hold (`undefined`).
   */
  force(state: 'open' | 'closed' | undefined): void {
    const before = this.state;
    this.forced = state;
    if (state === undefined) {
      this.snapshot = { state: 'closed', failures: 0, openedAt: 0 };
      this.generation++;
      this.probe = undefined;
    }
    if (this.state !== before) this.onChange?.(this.state, before);
  }

  /** How long it stays open before a probe, in ms. */
  get cooldownMs(): number {
    return this.options.cooldownMs;
  }

  /** Consecutive failures counted so far. */
  get failures(): number {
    return this.snapshot.failures;
  }

  /** Milliseconds until an open breaker lets a probe through (0 when not open). */
  remainingCooldown(): number {
    if (this.forced === 'open') return Infinity;
    if (this.snapshot.state !== 'open') return 0;
    return Math.max(0, this.snapshot.openedAt + this.options.cooldownMs - this.now());
  }

  /** Asks whether a request may go to this target now; undefined when it may not. */
  admit(): Admission | undefined {
    if (this.forced) return this.forced === 'open' ? undefined : { kind: 'pass', generation: this.generation };
    const s = this.snapshot;
    if (s.state === 'closed') return { kind: 'pass', generation: this.generation };
    if (s.state === 'open') {
      if (this.now() < s.openedAt + this.options.cooldownMs) return undefined;
      this.transition('half-open');
    }
    if (this.probe) return undefined;
    this.probe = { kind: 'probe', generation: this.generation };
    return this.probe;
  }

  /** Whether `a`'s verdict still counts: it was admitted by the current generation. */
  private current(a: Admission): boolean {
    return a.generation === this.generation && (a.kind === 'probe' || this.snapshot.state === 'closed');
  }

  /** Reports a successful attempt. */
  success(a: Admission): void {
    if (!this.current(a)) return;
    this.snapshot.failures = 0;
    if (a.kind === 'probe') this.transition('closed');
  }

  /** Reports a failed attempt that counts against the target. */
  failure(a: Admission): void {
    if (!this.current(a)) return;
    this.count(a.kind === 'probe');
  }

  /**
   * An outcome seen now, outside any admission: an active health check, or a stream that
   * broke after it was committed. Success closes the breaker whatever its state; failure
   * counts like a failed request (and reopens a half-open breaker).
   */
  observe(ok: boolean): void {
    if (ok) {
      this.snapshot.failures = 0;
      if (this.snapshot.state !== 'closed') this.transition('closed');
    } else {
      this.count(this.snapshot.state === 'half-open');
    }
  }

  private count(reopen: boolean): void {
    this.snapshot.failures += 1;
    if (reopen || (this.snapshot.state === 'closed' && this.snapshot.failures >= this.options.failureThreshold)) {
      this.snapshot.openedAt = this.now();
      this.transition('open');
    }
  }

  /** Gives back an admission whose outcome says nothing about the target (the client left). */
  release(a: Admission): void {
    if (a === this.probe) this.probe = undefined;
  }

  /**
   * Takes a verdict another relay instance reached (a shared store delivered it):
   * `'open'` skips the target from `openedAt` (this breaker's clock) for a cooldown,
   * `'closed'` lets traffic through again. An open breaker is not re-opened (its own
   * cooldown stands), and an operator's hold stays in force.
   */
  applyRemote(state: 'open' | 'closed', openedAt: number): void {
    if (state === 'closed') {
      this.snapshot.failures = 0;
      if (this.snapshot.state !== 'closed') this.transition('closed');
    } else if (this.snapshot.state !== 'open') {
      this.snapshot.openedAt = openedAt;
      this.transition('open');
    }
  }

  /** A copy of the current state. */
  toJSON(): BreakerSnapshot {
    return { ...this.snapshot, state: this.state };
  }

  private transition(next: BreakerState): void {
    const previous = this.snapshot.state;
    this.snapshot.state = next;
    this.generation++;
    this.probe = undefined;
    // While an operator holds the breaker, its visible state does not change.
    if (!this.forced) this.onChange?.(next, previous);
  }
}
