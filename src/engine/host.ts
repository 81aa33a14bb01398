/**
 * @module
 * What a request borrows from its relay: the configuration in force, events, the
 * engine's runtime, and the relay-wide state a request reads or adds to.
 */
import type { ResolvedConfig } from '../config/resolved.js';
import type { RelayEvents } from '../events.js';
import type { ResponseStateStore } from '../formats/responses/state.js';
import type { ResponseCache } from '../governance/cache.js';
import type { LedgerHost } from '../governance/ledger.js';
import type { InFlight } from '../inflight.js';
import type { EngineRuntime } from './runtime.js';

/** What a request borrows from its relay. */
export interface RequestHost {
  readonly config: ResolvedConfig;
  readonly events: RelayEvents;
  readonly runtime: EngineRuntime;
  /** Where limits and budgets live, when any are configured. */
  readonly ledger?: LedgerHost;
  readonly cache?: ResponseCache;
  /** Stored Responses (`previous_response_id`, `GET /responses/{id}`). */
  readonly responses?: ResponseStateStore;
  readonly inflight: InFlight;
  readonly closed: boolean;
}
