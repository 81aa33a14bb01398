/**
 * @module
 * Which fault a request gets. Three sources, most specific first: the
 * `onRequest` decision, the queue, the server fault.
 */
import type { MockFault, MockRequest } from './types.js';

/** A per-request decision: a fault wins; `null` or `undefined` defers to the queue and server fault. */
export type FaultDecider = (req: MockRequest) => MockFault | null | undefined;

/** The fault settings of one mock upstream. */
export class FaultPlan {
  #serverFault: MockFault | null;
  #queue: (MockFault | null)[] = [];
  #decide: FaultDecider | null = null;

  /** @param initial the server fault from the options, restored by `reset()` */
  constructor(private readonly initial: MockFault | null) {
    this.#serverFault = initial;
  }

  /** Replace the server fault. */
  setFault(fault: MockFault | null): void {
    this.#serverFault = fault;
  }

  /** Append faults for the next completion requests. */
  queue(faults: (MockFault | null)[]): void {
    this.#queue.push(...faults);
  }

  /** Install or remove the per-request decision. */
  onRequest(decide: FaultDecider | null): void {
    this.#decide = decide;
  }

  /**
   * The fault for `req`, if any. Only completion requests use up the queue or
   * get the server fault: a client that lists models between two attempts
   * must not eat the fault meant for the second attempt.
   */
  pick(req: MockRequest, isCompletion: boolean): MockFault | undefined {
    const decided = this.#decide?.(req);
    if (decided) return decided;
    if (!isCompletion) return undefined;
    if (this.#queue.length > 0) return this.#queue.shift() ?? undefined;
    return this.#serverFault ?? undefined;
  }

  /** Back to the state at creation. */
  reset(): void {
    this.#serverFault = this.initial;
    this.#queue = [];
    this.#decide = null;
  }
}
