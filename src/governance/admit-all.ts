/**
 * @module
 * A request's caller limits and budgets as one store call (`Store.admit`): one round
 * trip to Redis instead of one per check, with the same checks in the same order. The
 * ledger still meets each answer where it would have made that check's own call, so
 * refusals, headers, events and the `onStoreError` policy stay as they were.
 */
import type { AdmitOp, Store } from '../store/store.js';

/**
 * Sends `ops` to the store as one call; returns, per check, what its answer is (or
 * throws what the call threw), so each check meets the store's answer and the
 * `onStoreError` policy where it would have made its own call.
 */
export function admitAll(store: Store, ops: AdmitOp[]): <T>(i: number) => () => Promise<T> {
  const results = Promise.resolve().then(() => store.admit!(ops));
  // Checks after a refusal are never asked for.
  results.catch(() => {});
  return <T>(i: number) => async () => {
    const all = await results;
    if (i >= all.length) throw new Error('the store did not run this check');
    return all[i] as T;
  };
}

