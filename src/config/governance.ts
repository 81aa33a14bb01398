/**
 * @module
 * Resolves callers, the store, what to do when it fails, and the response cache.
 */
import { InvalidConfigError } from '../errors/index.js';
import { DEFAULTS } from '../options.js';
import type { ResolvedCache, ResolvedGovernance, ResolvedModel } from './resolved.js';
import { MemoryStore } from '../store/memory.js';
import type { Store } from '../store/store.js';
import { boolean, budget, describe, number, rateLimit, section } from './checks.js';

function isStore(value: unknown): value is Store {
  const s = value as Partial<Store> | null;
  return typeof s === 'object' && s !== null && ['take', 'give', 'reserve', 'settle'].every((m) => typeof s[m as keyof Store] === 'function');
}

function policy(value: unknown, path: string): 'allow' | 'deny' {
  if (value === undefined) return 'allow';
  if (value !== 'allow' && value !== 'deny') throw new InvalidConfigError(path, `expected "allow" or "deny", got ${describe(value)}`);
  return value;
}

export function resolveGovernance(root: Record<string, unknown>, models: Map<string, ResolvedModel>, now: () => number): ResolvedGovernance {
  const callers = section(root.callers, 'callers', ['key', 'rateLimit', 'budget']);
  if (root.callers !== undefined && typeof callers.key !== 'function') {
    throw new InvalidConfigError('callers.key', `expected a function (req) => string | undefined, got ${describe(callers.key)}`);
  }
  if (root.store !== undefined && !isStore(root.store)) {
    throw new InvalidConfigError('store', 'expected a Store (take, give, reserve, settle), such as new MemoryStore() or a Redis store');
  }
  const onError = section(root.onStoreError, 'onStoreError', ['limits', 'budgets', 'retry']);
  const retry = section(onError.retry, 'onStoreError.retry', ['attempts', 'baseDelayMs']);
  const out: ResolvedGovernance = {
    store: (root.store as Store | undefined) ?? new MemoryStore(now),
    ownStore: root.store === undefined,
    onStoreError: {
      limits: policy(onError.limits, 'onStoreError.limits'),
      budgets: policy(onError.budgets, 'onStoreError.budgets'),
      retry: {
        attempts: number(retry.attempts, 'onStoreError.retry.attempts', DEFAULTS.settleRetry.attempts, 0),
        baseDelayMs: number(retry.baseDelayMs, 'onStoreError.retry.baseDelayMs', DEFAULTS.settleRetry.baseDelayMs, 1),
      },
    },
    active: false,
  };
  if (callers.key) out.callerKey = callers.key as ResolvedGovernance['callerKey'];
  const limit = rateLimit(callers.rateLimit, 'callers.rateLimit');
  if (limit) out.callerLimit = limit;
  const cap = budget(callers.budget, 'callers.budget');
  if (cap) out.callerBudget = cap;
  out.active =
    out.callerLimit !== undefined ||
    out.callerBudget !== undefined ||
    [...models.values()].some((m) => m.budget !== undefined || m.targets.some((t) => t.rateLimit !== undefined || t.budget !== undefined));
  return out;
}

export function resolveCache(value: unknown): ResolvedCache | undefined {
  if (value === undefined || value === false) return undefined;
  const o = value === true ? {} : section(value, 'cache', ['anyTemperature', 'maxEntries', 'maxBytes', 'ttlMs', 'staleIfError']);
  return {
    anyTemperature: boolean(o.anyTemperature, 'cache.anyTemperature', false),
    maxEntries: number(o.maxEntries, 'cache.maxEntries', DEFAULTS.cache.maxEntries, 1),
    maxBytes: number(o.maxBytes, 'cache.maxBytes', DEFAULTS.cache.maxBytes, 1),
    ttlMs: number(o.ttlMs, 'cache.ttlMs', DEFAULTS.cache.ttlMs, 1),
    staleIfError: boolean(o.staleIfError, 'cache.staleIfError', false),
  };
}
