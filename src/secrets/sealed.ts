/**
 * @module
 * A value no inspection can reach: a function that returns it. `util.inspect` (at any
 * depth, with `showHidden`, `getters` or without custom inspectors), `JSON.stringify` and
 * object spreads show a function, never what it closes over. Provider headers, which
 * hold the keys, are kept this way.
 */

/** `value`, behind a function. */
export function sealed<T>(value: T): () => T {
  return () => value;
}
