/**
 * @module
 * Time in limits and budgets: a budget's key for its current period (UTC days or
 * months), and reset times written as OpenAI writes them.
 */
import type { Budget } from '../options.js';

/** A budget's key for the current period. */
export interface BudgetKey {
  scope: 'caller' | 'model' | 'target';
  subject: string;
  budget: Budget;
  key: string;
  ttlMs: number;
}

/** OpenAI writes reset times like `1s`, `6m0s`, `20ms`. */
export function resetDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.ceil(ms))}ms`;
  const s = Math.ceil(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${s % 60}s`;
}

/** The budget key and its time to live for the current period (UTC). */
export function period(budget: Budget, now: number): { id: string; ttlMs: number } {
  const d = new Date(now);
  const end =
    budget.period === 'day'
      ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1)
      : Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  const id = budget.period === 'day' ? d.toISOString().slice(0, 10) : d.toISOString().slice(0, 7);
  // An hour past the end, so a late settlement still finds the key.
  return { id, ttlMs: end - now + 3_600_000 };
}

