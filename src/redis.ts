/**
 * @module
 * `switchyard/redis`: a Redis store for rate limits, budgets and breaker verdicts shared
 * by several relay instances (needs the `ioredis` package; the host passes its client).
 */
export { createRedisStore, RedisStore, RedisStoreError } from './store/redis.js';
export type { RedisStoreOptions } from './store/redis.js';
export type { BreakerSubscriber, BreakerTransition, ProbeClaim, Store } from './store/store.js';
