/**
 * @module
 * Resolves `hooks`, `hooksTimeoutMs`, `compat` and `guardrails`, naming the bad field.
 */
import { InvalidConfigError } from '../errors/index.js';
import { PII_KINDS, type PiiKind } from '../hooks/pii.js';
import type { RelayHooks } from '../hooks/types.js';
import { DEFAULTS } from '../options.js';
import { boolean, describe, number, section } from './checks.js';
import type { ResolvedConfig } from './resolved.js';

const HOOKS = ['beforeRequest', 'beforeAttempt', 'afterResponse', 'onChunk', 'onError'] as const;

export function resolveHooks(root: Record<string, unknown>): Pick<ResolvedConfig, 'hooks' | 'hooksTimeoutMs' | 'compat' | 'pii'> {
  const out: Pick<ResolvedConfig, 'hooks' | 'hooksTimeoutMs' | 'compat' | 'pii'> = {
    hooksTimeoutMs: number(root.hooksTimeoutMs, 'hooksTimeoutMs', DEFAULTS.hooksTimeoutMs, 1),
    compat: boolean(section(root.compat, 'compat', ['dropUnsupported']).dropUnsupported, 'compat.dropUnsupported', true),
  };
  if (root.hooks !== undefined) {
    const hooks = section(root.hooks, 'hooks', [...HOOKS]);
    for (const name of HOOKS) {
      if (hooks[name] !== undefined && typeof hooks[name] !== 'function') throw new InvalidConfigError(`hooks.${name}`, `expected a function, got ${describe(hooks[name])}`);
    }
    out.hooks = hooks as RelayHooks;
  }
  const guardrails = section(root.guardrails, 'guardrails', ['pii']);
  if (guardrails.pii !== undefined) {
    const pii = section(guardrails.pii, 'guardrails.pii', ['mode', 'on', 'kinds']);
    if (pii.mode !== 'mask' && pii.mode !== 'block') throw new InvalidConfigError('guardrails.pii.mode', `expected "mask" or "block", got ${describe(pii.mode)}`);
    const on = pii.on ?? ['input', 'output'];
    if (!Array.isArray(on) || on.length === 0 || !on.every((w) => w === 'input' || w === 'output')) {
      throw new InvalidConfigError('guardrails.pii.on', `expected a non-empty array of "input" and "output", got ${describe(pii.on)}`);
    }
    const kinds = pii.kinds ?? PII_KINDS;
    if (!Array.isArray(kinds) || kinds.length === 0 || !kinds.every((k) => PII_KINDS.includes(k as PiiKind))) {
      throw new InvalidConfigError('guardrails.pii.kinds', `expected a non-empty array of ${PII_KINDS.map((k) => `"${k}"`).join(', ')}, got ${describe(pii.kinds)}`);
    }
    out.pii = { mode: pii.mode, input: on.includes('input'), output: on.includes('output'), kinds: new Set(kinds as PiiKind[]) };
  }
  return out;
}
