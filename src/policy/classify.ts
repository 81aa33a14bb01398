/**
 * @module
 * Turns an upstream status or a transport error into a {@link FailureKind}, and a kind
 * into the action the rules prescribe for a target.
 */
import type { FailureKind } from '../errors/index.js';
import { DEFAULT_RULES, type FailoverAction } from '../options.js';
import type { ResolvedTarget } from '../config.js';

// `prompt is too long` and `exceed context limit` are Anthropic's wordings.
const CONTEXT_LENGTH = /context[_ ]length|maximum context|context window|context limit|too many tokens|prompt is too long/i;
const CONTENT_POLICY = /content[_ ]policy|content[_ ]filter|safety system|flagged/i;

/** Kind of a non-2xx upstream answer; `code` and `message` come from its error body. */
export function classifyStatus(status: number, code?: string | null, message?: string): FailureKind {
  if (status === 429) return 'rate_limit';
  if (status === 401 || status === 402 || status === 403) return 'auth';
  if (status === 408) return 'timeout';
  // On a chat or embeddings route a 404 means the configured model (or base URL) does not
  // exist there: the target is misconfigured, another one may serve.
  if (status === 404) return 'target_misconfigured';
  if (status >= 500) return 'server';
  const text = `${code ?? ''} ${message ?? ''}`;
  if (CONTEXT_LENGTH.test(text)) return 'context_length';
  if (CONTENT_POLICY.test(text)) return 'content_policy';
  return 'bad_request';
}

/** undici error codes that mean the connection could not be made. */
const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

/** Kind of a transport error thrown by undici (or Node's net layer beneath it). */
export function classifyError(err: unknown): FailureKind {
  const code = (err as { code?: string } | null)?.code ?? (err as { cause?: { code?: string } } | null)?.cause?.code;
  if (code !== undefined) {
    if (code === 'UND_ERR_CONNECT_TIMEOUT') return 'connect';
    if (CONNECT_CODES.has(code)) return 'connect';
    if (TIMEOUT_CODES.has(code)) return 'timeout';
  }
  return 'reset';
}

/**
 * The action for a failure on `target`: the most specific rule wins (target, then
 * provider, then global; within one scope a status rule beats a kind rule), else
 * the default table.
 */
export function decide(target: ResolvedTarget, kind: FailureKind, status?: number): FailoverAction {
  for (const layer of target.rules) {
    const byStatus = status === undefined ? undefined : layer[status];
    if (byStatus !== undefined) return byStatus;
    const byKind = layer[kind];
    if (byKind !== undefined) return byKind;
  }
  return DEFAULT_RULES[kind];
}

/**
 * Whether a failure of this kind counts against the target's breaker. Failures the
 * request itself caused say nothing about the target's health.
 */
export function countsAgainstTarget(kind: FailureKind): boolean {
  return kind !== 'bad_request' && kind !== 'context_length' && kind !== 'content_policy' && kind !== 'unsupported';
}
