/**
 * Decorates the gateway with its semantic cache (src/cache/semantic/semantic-cache.ts), in memory
 * or, with REDIS_URL, in Redis shared by replicas; null when no embedding model is configured or
 * the response cache is off. Registers its metrics in the gateway's registry: lookups by result,
 * the embedding call's latency, tokens and cost.
 */
import fp from 'fastify-plugin';
import { Counter, Histogram } from 'prom-client';
import type { GatewayOptions } from '../schemas/options.js';
import { RedisSemanticStore } from '../src/cache/semantic/redis-semantic-store.js';
import { SemanticCache } from '../src/cache/semantic/semantic-cache.js';
import { MemorySemanticStore } from '../src/cache/semantic/semantic-store.js';
import { deploymentLabel } from './metrics.js';

export {
  CACHE_MATCH_HEADER,
  CACHE_MODE_HEADER,
  CACHE_SIMILARITY_HEADER,
} from '../src/cache/semantic/semantic-cache.js';

declare module 'fastify' {
  interface FastifyInstance {
    gatewaySemanticCache: SemanticCache | null;
  }
}

const EMBEDDING_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export const semanticCachePlugin = fp<GatewayOptions['cache']>(
  async (fastify, options) => {
    const semantic = options.semantic;
    if (!options.enabled || !fastify.gatewayCache.enabled || semantic.embeddingModel === '') {
      fastify.decorate('gatewaySemanticCache', null);
      return;
    }
    const registers = [fastify.gatewayMetrics.registry];
    const lookups = new Counter({
      name: 'llm_gateway_semantic_cache_lookups_total',
      help: 'Semantic cache lookups by result: hit, miss, skipped (not comparable), embedding_failed, store_unavailable',
      labelNames: ['result'],
      registers,
    });
    const embeddingDuration = new Histogram({
      name: 'llm_gateway_semantic_cache_embedding_seconds',
      help: "Time of the semantic cache's embedding calls, by outcome",
      labelNames: ['outcome'],
      buckets: EMBEDDING_BUCKETS,
      registers,
    });
    const embeddingTokens = new Counter({
      name: 'llm_gateway_semantic_cache_embedding_tokens_total',
      help: "Tokens of the semantic cache's embedding calls, by deployment",
      labelNames: ['deployment'],
      registers,
    });
    const embeddingCost = new Counter({
      name: 'llm_gateway_semantic_cache_embedding_cost_usd_total',
      help: "Cost of the semantic cache's embedding calls at the catalog prices, in US dollars",
      labelNames: ['deployment'],
      registers,
    });

    // A model that cannot embed now makes every lookup a miss: said once at start, not refused, as a
    // model a server is still loading may be found at the next discovery.
    try {
      fastify.gatewayRouter.plan(semantic.embeddingModel, 'embeddings');
    } catch (error) {
      fastify.log.warn(
        { embeddingModel: semantic.embeddingModel, reason: (error as Error).message },
        'CACHE_SEMANTIC_EMBEDDING_MODEL (cache.semantic.embeddingModel) cannot embed now: semantic lookups will miss until it can',
      );
    }
    const redis = fastify.gatewayRedis;
    const store = redis
      ? new RedisSemanticStore(redis, semantic)
      : new MemorySemanticStore({ maxEntries: semantic.maxEntries, maxBytes: semantic.maxBytes });
    fastify.decorate(
      'gatewaySemanticCache',
      new SemanticCache(
        { semantic, cache: options },
        store,
        fastify.gatewayRouter,
        fastify.gatewayCache,
        fastify.gatewayUsage,
        {
          lookup: (result) => lookups.labels(result).inc(),
          embedding: (seconds, outcome) => embeddingDuration.labels(outcome).observe(seconds),
          embeddingUsage: (deployment, usage, costUsd) => {
            const label = deploymentLabel(deployment);
            embeddingTokens.labels(label).inc(usage.totalTokens);
            if (costUsd > 0) embeddingCost.labels(label).inc(costUsd);
          },
        },
      ),
    );
  },
  {
    name: 'llm-gateway-semantic-cache',
    fastify: '5.x',
    dependencies: ['llm-gateway-cache', 'llm-gateway-usage', 'llm-gateway-routing', 'llm-gateway-metrics'],
  },
);
