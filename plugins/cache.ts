/**
 * Decorates the gateway with its response cache (src/cache/response-cache.ts): entries in memory
 * (LRU bounded by size) or, with REDIS_URL, in Redis, shared by replicas; and marks the answers of
 * cacheable routes the cache never saw (refused before the lookup) as `X-Cache: BYPASS`.
 */
import fp from 'fastify-plugin';
import type { onSendHookHandler } from 'fastify';
import type { GatewayOptions } from '../schemas/options.js';
import { MemoryCacheStore, RedisCacheStore } from '../src/cache/cache-store.js';
import { closeRedis, connectRedis } from './redis.js';
import { CACHE_HEADER, ResponseCache } from '../src/cache/response-cache.js';

export { CACHE_HEADER, CACHE_HITS_HEADER } from '../src/cache/response-cache.js';

declare module 'fastify' {
  interface FastifyInstance {
    gatewayCache: ResponseCache;
  }
}

export type CachePluginOptions = GatewayOptions['cache'] & {
  /** The settings of Redis connections (timeouts, the gateway's key prefix), for CACHE_REDIS_URL. */
  connection?: GatewayOptions['redis'];
};

export const cachePlugin = fp<CachePluginOptions>(
  async (fastify, { connection, ...options }) => {
    // A Redis of its own keeps the cache from ever competing with budgets and limits for memory.
    const own =
      options.enabled && options.redisUrl && connection
        ? await connectRedis(options.redisUrl, connection, fastify.log, 'CACHE_REDIS_URL')
        : null;
    if (own) fastify.addHook('onClose', () => closeRedis(own));
    const redis = own ?? fastify.gatewayRedis;
    const store = !options.enabled
      ? null
      : redis
        ? new RedisCacheStore(redis, options.keyPrefix)
        : new MemoryCacheStore({ maxBytes: options.maxBytes });
    fastify.decorate('gatewayCache', new ResponseCache(options, store));
    if (!options.enabled) return;
    // Answers the cache never saw (refused before the lookup: a bad key, a rate limit, a bad body)
    // still say so.
    const markBypass: onSendHookHandler = (_request, reply, payload, done) => {
      if (!reply.hasHeader(CACHE_HEADER)) reply.header(CACHE_HEADER, 'BYPASS');
      done(null, payload);
    };
    fastify.addHook('onRoute', (route) => {
      if (route.config?.cacheable !== true) return;
      const existing = route.onSend;
      route.onSend = existing
        ? [...(Array.isArray(existing) ? existing : [existing]), markBypass]
        : [markBypass];
    });
  },
  {
    name: 'llm-gateway-cache',
    fastify: '5.x',
    dependencies: ['llm-gateway-redis', 'llm-gateway-request-state'],
  },
);
