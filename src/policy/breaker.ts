/**
 * @module
 * Circuit breaker of one target. Opens after `failureThreshold` consecutive failures,
 * skips its target for `cooldownMs`, then lets exactly one probe through (half-open):
 * the probe's success closes it, its failure opens it again.
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

/** Result of asking a breaker for permission. */
export type Admission =
  /** Closed: go ahead. */
  | 'pass'
  /** Half-open: this caller carries the single probe and must report its outcome. */
  | 'probe'
  /** Open, or half-open with a probe already out: skip the target. */
  | 'reject';

export class CircuitBreaker {
  private snapshot: BreakerSnapshot = { state: 'closed', failures: 0, openedAt: 0 };
  private probing = false;
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
      this.probing = false;
    }
    if (this.state !== before) this.onChange?.(this.state, before);
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

  /** Asks whether a request may go to this target now. */
  admit(): Admission {
    if (this.forced) return this.forced === 'open' ? 'reject' : 'pass';
    const s = this.snapshot;
    if (s.state === 'closed') return 'pass';
    if (s.state === 'open') {
      if (this.now() < s.openedAt + this.options.cooldownMs) return 'reject';
      this.transition('half-open');
    }
    if (this.probing) return 'reject';
    this.probing = true;
    return 'probe';
  }

  /** Reports a successful attempt. */
  success(): void {
    this.probing = false;
    this.snapshot.failures = 0;
    if (this.snapshot.state !== 'closed') this.transition('closed');
  }

  /** Reports a failed attempt that counts against the target. */
  failure(): void {
    this.probing = false;
    this.snapshot.failures += 1;
    if (this.snapshot.state === 'half-open' || (this.snapshot.state === 'closed' && this.snapshot.failures >= this.options.failureThreshold)) {
      this.snapshot.openedAt = this.now();
      this.transition('open');
    }
  }

  /** Gives back a probe whose outcome says nothing about the target (the client left). */
  release(): void {
    this.probing = false;
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
    // While an operator holds the breaker, its visible state does not change.
    if (!this.forced) this.onChange?.(next, previous);
  }
}
