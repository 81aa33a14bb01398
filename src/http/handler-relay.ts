/**
 * @module
 * What the HTTP layer needs of a relay (`Relay` is one), declared on its own so that the
 * handler and the relay that builds it do not import each other.
 */
import type { IncomingMessage } from 'node:http';
import type { ResponseStateStore } from '../formats/responses/state.js';
import type { RequestLog } from '../observe/request-log/log.js';
import type { HealthSnapshot, StatsSnapshot } from '../observe/stats.js';
import type { RelayRequest, RelayResult, TargetStatus } from '../relay-types.js';

export interface HandlerRelay {
  handle(request: RelayRequest): Promise<RelayResult>;
  callerOf(req: IncomingMessage): string | undefined;
  modelsBody(): Buffer;
  /** The public models, in OpenAI's list shape. */
  models(): { data: { id: string }[] };
  /** The stored Responses (`GET` and `DELETE /responses/{id}`). */
  responseState(): ResponseStateStore;
  targets(): TargetStatus[];
  stats(): StatsSnapshot;
  health(): HealthSnapshot;
  /** Starts collecting statistics (the stats, health and dashboard routes need them). */
  statsCollector(): unknown;
  /** The request log, started on first use. */
  requestLog(): RequestLog;
  setBreaker(provider: string, model: string | undefined, state: 'open' | 'closed' | 'auto', options?: { actor?: string }): void;
  drain(provider: string, options?: { actor?: string }): void;
  undrain(provider: string, options?: { actor?: string }): void;
  readonly heartbeatMs: number;
  readonly bodyTimeoutMs: number;
  readonly maxBodyBytes: number;
}
