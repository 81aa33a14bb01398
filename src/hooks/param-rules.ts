/**
 * @module
 * A target's own parameter rules (`params` in its config), for models the built-in
 * compatibility table (`compat.ts`) does not know: a leaf module, so options and the
 * resolved config can name them without importing the table.
 */

/** A target's own parameter rules (`params` in its config). */
export interface ParamRules {
  /** Fields removed from the request. */
  drop?: string[];
  /** Fields set (over the client's). */
  set?: Record<string, unknown>;
  /** Fields renamed (`{ max_tokens: 'max_completion_tokens' }`). */
  rename?: Record<string, string>;
}
