/**
 * The counter store behind @fastify/rate-limit: the plugin's own stores (in memory, or Redis with
 * its atomic INCR + PEXPIRE script, so N replicas count against one limit), wrapped so that a Redis
 * failure follows the configured policy instead of failing the request:
 *
 *   open    the request is allowed (not counted)
 *   local   the request is counted in this instance's memory until Redis is back
 *   closed  the request is refused with 503 GW_ERR_RATE_LIMIT_UNAVAILABLE
 *
 * Every class and route shares one store: a counter's key is `<identity scope>:<class>`, so all
 * routes of a class draw on the same limit.
 * @see https://github.com/fastify/fastify-rate-limit#custom-store
 */
import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';
import type { GatewayOptions } from '../../schemas/options.js';
import { GatewayError } from '../errors.js';

type Callback = (error: Error | null, result?: { current: number; ttl: number }) => void;

interface CounterStore {
  incr(key: string, callback: Callback, timeWindow: number, max: number): void;
}

interface ChildableCounterStore extends CounterStore {
  child(): ChildableCounterStore;
}

type LocalStoreConstructor = new (
  continueExceeding: boolean,
  exponentialBackoff: boolean,
  size: number,
) => CounterStore;
type RedisStoreConstructor = new (
  continueExceeding: boolean,
  exponentialBackoff: boolean,
  redis: Redis,
  nameSpace: string,
) => CounterStore;

// The plugin ships its stores as CommonJS files without type declarations.
const require = createRequire(import.meta.url);
const LocalStore = require('@fastify/rate-limit/store/LocalStore.js') as LocalStoreConstructor;
const RedisStore = require('@fastify/rate-limit/store/RedisStore.js') as RedisStoreConstructor;

/** Counters kept in memory: enough for every key of a large deployment, least recently used first out. */
const LOCAL_COUNTERS = 50_000;

export interface SharedCounterConnection {
  readonly client: Redis;
  readonly available: boolean;
}

export type RedisFailurePolicy = GatewayOptions['rateLimit']['onRedisError'];

/** A store class for @fastify/rate-limit's `store` option. */
export function createRequestCounterStore(
  redis: SharedCounterConnection | null,
  policy: RedisFailurePolicy,
): new () => ChildableCounterStore {
  const local = new LocalStore(false, false, LOCAL_COUNTERS);
  const remote = redis ? new RedisStore(false, false, redis.client, 'rate:') : null;

  function onFailure(key: string, callback: Callback, timeWindow: number, max: number): void {
    if (policy === 'local') local.incr(key, callback, timeWindow, max);
    else if (policy === 'closed') {
      callback(new GatewayError('GW_ERR_RATE_LIMIT_UNAVAILABLE', { headers: { 'retry-after': '1' } }));
    } else callback(null, { current: 0, ttl: timeWindow });
  }

  return class GatewayCounterStore {
    incr(key: string, callback: Callback, timeWindow: number, max: number): void {
      if (!remote || !redis) {
        local.incr(key, callback, timeWindow, max);
        return;
      }
      if (!redis.available) {
        onFailure(key, callback, timeWindow, max);
        return;
      }
      remote.incr(
        key,
        (error, result) => (error ? onFailure(key, callback, timeWindow, max) : callback(null, result)),
        timeWindow,
        max,
      );
    }

    child(): ChildableCounterStore {
      return this;
    }
  };
}
