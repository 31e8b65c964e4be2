/**
 * The Redis connection that replicas share state through (rate-limit counters, the response cache),
 * registered with @fastify/redis. Present only when `redis.url` (REDIS_URL) is set.
 *
 * Policy: the start waits for Redis (at most `redis.connectTimeout`) and fails with a clear message
 * when it does not answer, so a wrong REDIS_URL is caught at deploy time. Once running, an outage
 * never blocks or crashes a request: commands fail at once while the connection is down (no offline
 * queue) or after `redis.commandTimeout` when Redis is slow, the callers fall back (cache: miss;
 * rate limits: `rateLimit.onRedisError`), health reports Redis down, and the client reconnects on
 * its own with a capped backoff.
 * @see https://github.com/redis/ioredis#auto-reconnect
 */
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import type { FastifyBaseLogger } from 'fastify';
import type { GatewayOptions } from '../schemas/options.js';
import { loadOnFirstUse } from '../src/load-on-first-use.js';

// Loaded only when a Redis URL is set: a gateway that keeps its state in memory never needs them.
const loadIoredis = loadOnFirstUse('ioredis', () => import('ioredis'));
const loadFastifyRedis = loadOnFirstUse('@fastify/redis', () => import('@fastify/redis'));

export interface RedisHealth {
  status: 'up' | 'down';
  /** Since when it has been in this status (ISO time). */
  since: string;
  lastError: string | null;
}

/** The shared connection and what the gateway knows of its health. */
export class SharedRedis {
  readonly client: Redis;
  #up = false;
  #wentDown = false;
  #since = new Date().toISOString();
  #lastError: string | null = null;

  constructor(client: Redis, log: FastifyBaseLogger) {
    this.client = client;
    client.on('ready', () => {
      if (this.#up) return;
      if (this.#wentDown) log.info({ event: 'redis_recovered' }, 'Redis is reachable again');
      this.#up = true;
      this.#since = new Date().toISOString();
    });
    // ioredis reports every failed reconnection; a line on each change of status is enough.
    client.on('error', (error: Error) => {
      this.#lastError = error.message;
      this.#markDown(log);
    });
    client.on('close', () => {
      // A server that goes away may close the connection without an error; the reconnection
      // attempts that follow report what is wrong.
      if (this.#up) this.#lastError = 'connection closed';
      this.#markDown(log);
    });
  }

  #markDown(log: FastifyBaseLogger): void {
    if (!this.#up) return;
    this.#up = false;
    this.#wentDown = true;
    this.#since = new Date().toISOString();
    log.warn(
      { event: 'redis_down', error: this.#lastError },
      'Redis is unreachable: the cache is bypassed and rate limits follow rateLimit.onRedisError',
    );
  }

  /** True when commands can be sent now; callers skip Redis at once when it is not. */
  get available(): boolean {
    return this.client.status === 'ready';
  }

  health(): RedisHealth {
    return { status: this.available ? 'up' : 'down', since: this.#since, lastError: this.#lastError };
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The shared Redis, or null when state is kept in memory. */
    gatewayRedis: SharedRedis | null;
  }
}

/** The URL with its password hidden, for messages. */
export function describeRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}

function waitUntilReady(client: Redis, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let lastError = 'no answer';
    const onError = (error: Error) => {
      lastError = error.message;
    };
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      client.off('error', onError);
      reject(new Error(lastError));
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      client.off('error', onError);
      resolve();
    };
    client.once('ready', onReady);
    client.on('error', onError);
  });
}

/**
 * A connection with the policy above, ready (or the start fails naming `variable`). The response
 * cache opens its own with it when CACHE_REDIS_URL is set.
 */
export async function connectRedis(
  url: string,
  options: GatewayOptions['redis'],
  log: FastifyBaseLogger,
  variable = 'REDIS_URL',
): Promise<SharedRedis> {
  const { Redis } = await loadIoredis();
  const client = new Redis(url, {
    keyPrefix: options.keyPrefix,
    commandTimeout: options.commandTimeout,
    connectTimeout: options.connectTimeout,
    // Fail fast while disconnected instead of queueing requests behind an outage.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: (attempt) => Math.min(100 * attempt, 2000),
  });
  const shared = new SharedRedis(client, log);
  try {
    await waitUntilReady(client, options.connectTimeout);
  } catch (error) {
    client.disconnect();
    throw new Error(
      `Redis at ${variable} ${describeRedisUrl(url)} did not answer within ${options.connectTimeout} ms ` +
        `(${(error as Error).message}): start it, or unset ${variable} to keep ` +
        (variable === 'REDIS_URL' ? 'rate limits and the cache in memory' : 'the cache in the shared Redis'),
    );
  }
  return shared;
}

/** Closes a connection opened by connectRedis. */
export async function closeRedis(shared: SharedRedis): Promise<void> {
  const client = shared.client;
  if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
  else client.disconnect();
}

export const redisPlugin = fp<GatewayOptions['redis']>(
  async (fastify, options) => {
    if (!options.url) {
      fastify.decorate('gatewayRedis', null);
      return;
    }
    const shared = await connectRedis(options.url, options, fastify.log);
    const client = shared.client;
    const { default: fastifyRedis } = await loadFastifyRedis();
    await fastify.register(fastifyRedis, { client, namespace: 'gateway', closeClient: false });
    fastify.decorate('gatewayRedis', shared);
    fastify.addHook('onClose', () => closeRedis(shared));
  },
  { name: 'llm-gateway-redis', fastify: '5.x' },
);
