/**
 * @module
 * Small validators for configuration values. Each throws an {@link InvalidConfigError}
 * naming the path of the bad field and what was expected.
 */
import { InvalidConfigError, type FailureKind } from '../errors/index.js';
import { DEFAULT_RULES, type BreakerOptions, type Budget, type FailoverAction, type FailoverRules, type RateLimit, type RetryOptions } from '../options.js';
import type { ResolvedBreakerOptions, ResolvedRetry } from './resolved.js';

const ACTIONS: readonly FailoverAction[] = ['retry', 'fallback', 'return'];
const KINDS = Object.keys(DEFAULT_RULES) as FailureKind[];

/** Formats one step of a config path: `.name` or `["odd.name"]`. */
export function key(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function expectObject(value: unknown, path: string): Record<string, unknown> {
  if (!isObject(value)) throw new InvalidConfigError(path, `expected an object, got ${describe(value)}`);
  return value;
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  return `${typeof value} ${String(value)}`;
}

export function onlyKeys(obj: Record<string, unknown>, path: string, allowed: readonly string[]): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) {
      throw new InvalidConfigError(`${path}${key(k)}`, `unknown option (expected one of: ${allowed.join(', ')})`);
    }
  }
}

export function number(value: unknown, path: string, fallback: number, min: number, integer = true): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    throw new InvalidConfigError(path, `expected ${integer ? 'an integer' : 'a number'} >= ${min}, got ${describe(value)}`);
  }
  return value;
}

export function string(value: unknown, path: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidConfigError(path, `expected a non-empty string, got ${describe(value)}`);
  }
  return value;
}

export function retryOptions(value: unknown, path: string, base: ResolvedRetry): ResolvedRetry {
  if (value === undefined) return base;
  const o = expectObject(value, path) as RetryOptions & Record<string, unknown>;
  onlyKeys(o, path, ['attempts', 'baseDelayMs', 'maxDelayMs']);
  return {
    attempts: number(o.attempts, `${path}.attempts`, base.attempts, 1),
    baseDelayMs: number(o.baseDelayMs, `${path}.baseDelayMs`, base.baseDelayMs, 0),
    maxDelayMs: number(o.maxDelayMs, `${path}.maxDelayMs`, base.maxDelayMs, 0),
  };
}

export function breakerOptions(value: unknown, path: string, base: ResolvedBreakerOptions): ResolvedBreakerOptions {
  if (value === undefined) return base;
  const o = expectObject(value, path) as BreakerOptions & Record<string, unknown>;
  onlyKeys(o, path, ['failureThreshold', 'cooldownMs']);
  return {
    failureThreshold: number(o.failureThreshold, `${path}.failureThreshold`, base.failureThreshold, 1),
    cooldownMs: number(o.cooldownMs, `${path}.cooldownMs`, base.cooldownMs, 0),
  };
}

export function rules(value: unknown, path: string): FailoverRules {
  if (value === undefined) return {};
  const o = expectObject(value, path);
  for (const [k, action] of Object.entries(o)) {
    const isStatus = /^[1-5]\d\d$/.test(k);
    if (!isStatus && !KINDS.includes(k as FailureKind)) {
      throw new InvalidConfigError(`${path}${key(k)}`, `expected an HTTP status (100-599) or one of: ${KINDS.join(', ')}`);
    }
    if (!ACTIONS.includes(action as FailoverAction)) {
      throw new InvalidConfigError(`${path}${key(k)}`, `expected one of: ${ACTIONS.join(', ')}, got ${describe(action)}`);
    }
  }
  return o as FailoverRules;
}


export function boolean(value: unknown, path: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new InvalidConfigError(path, `expected a boolean, got ${describe(value)}`);
  return value;
}

/** An optional object: `{}` when absent, else checked to hold only `allowed` keys. */
export function section(value: unknown, path: string, allowed: readonly string[]): Record<string, unknown> {
  if (value === undefined) return {};
  const o = expectObject(value, path);
  onlyKeys(o, path, allowed);
  return o;
}

/** A `{ requestsPerMinute?, tokensPerMinute? }` limit, or undefined. */
export function rateLimit(value: unknown, path: string): RateLimit | undefined {
  if (value === undefined) return undefined;
  const o = section(value, path, ['requestsPerMinute', 'tokensPerMinute']);
  const out: RateLimit = {};
  if (o.requestsPerMinute !== undefined) out.requestsPerMinute = number(o.requestsPerMinute, `${path}.requestsPerMinute`, 0, 1);
  if (o.tokensPerMinute !== undefined) out.tokensPerMinute = number(o.tokensPerMinute, `${path}.tokensPerMinute`, 0, 1);
  return out;
}

/** A `{ usd, period }` budget, or undefined. */
export function budget(value: unknown, path: string): Budget | undefined {
  if (value === undefined) return undefined;
  const o = section(value, path, ['usd', 'period']);
  const usd = number(o.usd, `${path}.usd`, Number.NaN, 0, false);
  if (Number.isNaN(usd)) throw new InvalidConfigError(`${path}.usd`, 'expected a number of US$ >= 0, got undefined');
  if (o.period !== 'day' && o.period !== 'month') throw new InvalidConfigError(`${path}.period`, `expected "day" or "month", got ${describe(o.period)}`);
  return { usd, period: o.period };
}
