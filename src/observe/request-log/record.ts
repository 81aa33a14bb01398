/**
 * @module
 * The request log's record: one per finished request, what an operator needs to audit
 * it later (who asked, what served it, how each attempt went, what it cost), and
 * never the prompt unless the host opted in (`requestLog.prompts`).
 */
import type { FormatName } from '../../formats/names.js';
import type { AttemptRecord } from '../../errors/index.js';

/** One upstream attempt of a {@link RequestRecord}. */
export interface RecordAttempt {
  /** `provider/model` of the target. */
  target: string;
  outcome: AttemptRecord['outcome'];
  status?: number;
  latencyMs: number;
  /** `hedge` or `resume` for attempts that were not plain tries or retries. */
  role?: 'hedge' | 'resume';
}

/** How a request ended. */
export type RecordStatus = 'ok' | 'error' | 'abandoned';

/**
 * A finished request, as `requestEnd` events, `GET {prefix}/requests` and the log
 * sinks carry it.
 *
 * @example
 * ```ts
 * relay.on('requestEnd', (r) => audit.write(`${r.requestId} ${r.caller ?? '-'} ${r.model} ${r.status} ${r.servedBy ?? '-'}`));
 * ```
 */
export interface RequestRecord {
  /** When the request started, ms since the epoch (the relay's clock). */
  time: number;
  requestId: string;
  /** The caller key (`callers.key`), when there is one. */
  caller?: string;
  /** The public model or chain that routed the request. */
  model: string;
  /** The `model` field the client sent. */
  requested: string;
  /** The chain's targets (`provider/model`) in configured order. */
  chain: string[];
  /** The API the client spoke: `chat`, `responses`, `messages` or `embeddings`. */
  format: FormatName;
  stream: boolean;
  /** The target that answered (`provider/model`). */
  servedBy?: string;
  /** Its position in `chain` (0: the primary), when it is in it. */
  position?: number;
  attempts: RecordAttempt[];
  /** Times the request moved on from one target to the next. */
  failovers: number;
  status: RecordStatus;
  /** HTTP status the client got (499: it went away). */
  httpStatus: number;
  /** The error code, for `status: 'error'` (and `ERR_SWITCHYARD_CLIENT_CLOSED` for a client that left before an answer). */
  errorCode?: string;
  latencyMs: number;
  /** Streams: ms until the first content was ready. */
  firstTokenMs?: number;
  /** Tokens in all, when an answer was (partly) served: a stream that broke or that the client left counts what was sent. */
  tokens?: { input: number; output: number; estimated?: boolean };
  costUsd?: number;
  /** Each serving target's share (several after a stream resume): what the budgets and limits were settled with. */
  served?: { target: string; tokens: { input: number; output: number; estimated?: boolean }; costUsd?: number }[];
  /** `hit` or `stale` when answered from the response cache. */
  cache?: 'hit' | 'stale';
  finishReasons?: string[];
  /** The request's messages: only with `requestLog.prompts: true`. */
  messages?: unknown[];
}
