/**
 * Rate limits per identity (every key its own; by client IP only on routes without auth), per route
 * class (route config `rateLimitClass`: chat, embeddings, audio): requests per minute with
 * @fastify/rate-limit, and tokens per minute from the usage providers report. Routes without a
 * class (or of class `default`) are not limited.
 *
 * Every answer of a limited route carries `X-RateLimit-Limit`, `X-RateLimit-Remaining` and
 * `X-RateLimit-Reset` (seconds); an answer over the limit is a 429 `rate_limit_exceeded` with
 * `Retry-After`. With a token limit, `X-RateLimit-Limit-Tokens` and `X-RateLimit-Remaining-Tokens`
 * too. With REDIS_URL the counters are in Redis and every replica enforces the same limit; when
 * Redis fails, `rateLimit.onRedisError` decides (docs/security.md).
 * @see https://github.com/fastify/fastify-rate-limit
 */
import fp from 'fastify-plugin';
import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { GatewayOptions } from '../schemas/options.js';
import { GatewayError } from '../src/errors.js';
import type { RateLimitClass } from '../src/route-config.js';
import { createRequestCounterStore } from '../src/rate-limit/request-counter-store.js';
import {
  MemoryTokenCounter,
  RedisTokenCounter,
  currentTokenWindow,
  secondsUntilWindowEnds,
  type TokenCounter,
} from '../src/rate-limit/token-counter.js';

export interface RateLimitPluginOptions {
  rateLimit: GatewayOptions['rateLimit'];
  /** Whether any client has its own token limit (the token hooks are added only then). */
  clientTokenLimits: boolean;
}

const WINDOW_MS = 60_000;

function appendHook<T>(existing: T | T[] | undefined, hook: T): T[] {
  if (existing === undefined) return [hook];
  return Array.isArray(existing) ? [...existing, hook] : [existing, hook];
}

export const rateLimitPlugin = fp<RateLimitPluginOptions>(
  async (fastify, { rateLimit: options, clientTokenLimits }) => {
    if (!options.enabled) return;
    const redis = fastify.gatewayRedis;
    const defaults = options.requestsPerMinute;
    const tokens =
      options.tokensPerMinute > 0 || clientTokenLimits ? createTokenLimits(options, fastify) : null;

    // Runs before @fastify/rate-limit's own onRoute hook (registered below), which reads config.rateLimit.
    fastify.addHook('onRoute', (route) => {
      const rateClass: RateLimitClass | undefined = route.config?.rateLimitClass;
      if (!rateClass || rateClass === 'default') return;
      route.config!.rateLimit = {
        max: (request: FastifyRequest) =>
          request.gateway.identity?.requestsPerMinute[rateClass] ?? defaults[rateClass],
        keyGenerator: (request: FastifyRequest) =>
          request.gateway.identity?.rateLimitKeys[rateClass] ?? `ip:${request.ip}:${rateClass}`,
      };
      if (tokens) route.onRequest = appendHook(route.onRequest, tokens.check);
    });
    // Tokens are counted at the end of every request, an aborted stream's included.
    if (tokens) {
      fastify.gatewayOnRequestEnd((request) => {
        const rateClass = request.routeOptions.config?.rateLimitClass;
        if (rateClass && rateClass !== 'default') tokens.record(request);
      });
    }

    await fastify.register(fastifyRateLimit, {
      global: false,
      hook: 'onRequest',
      timeWindow: WINDOW_MS,
      store: createRequestCounterStore(redis, options.onRedisError),
      skipOnError: false,
      errorResponseBuilder: (request, context) => {
        const rateClass = request.routeOptions.config?.rateLimitClass ?? 'default';
        return new GatewayError('GW_ERR_RATE_LIMITED', {
          message:
            `Rate limit reached: this key may make ${context.max} ${rateClass} requests per minute. ` +
            `Retry in ${context.after}.`,
        });
      },
    });
  },
  {
    name: 'llm-gateway-rate-limit',
    fastify: '5.x',
    dependencies: ['llm-gateway-request-state', 'llm-gateway-auth', 'llm-gateway-redis'],
  },
);

/** The token-per-minute hooks: a check before the request and the count after it. */
function createTokenLimits(
  options: GatewayOptions['rateLimit'],
  fastify: { gatewayRedis: ConstructorParameters<typeof RedisTokenCounter>[0] | null },
): { check: onRequestHookHandler; record: (request: FastifyRequest) => void } {
  const local = new MemoryTokenCounter();
  const redis = fastify.gatewayRedis;
  const shared: TokenCounter = redis ? new RedisTokenCounter(redis) : local;
  const limitOf = (request: FastifyRequest): number => {
    const identity = request.gateway.identity;
    return identity ? (identity.tokensPerMinute ?? options.tokensPerMinute) : 0;
  };

  async function read(scope: string, window: number): Promise<number> {
    try {
      return await shared.read(scope, window);
    } catch {
      if (options.onRedisError === 'local') return local.read(scope, window);
      if (options.onRedisError === 'closed') {
        throw new GatewayError('GW_ERR_RATE_LIMIT_UNAVAILABLE', { headers: { 'retry-after': '1' } });
      }
      return 0;
    }
  }

  async function enforce(request: FastifyRequest, reply: FastifyReply, limit: number): Promise<void> {
    const window = currentTokenWindow();
    const used = await read(request.gateway.identity!.limitScope, window);
    reply.header('x-ratelimit-limit-tokens', limit);
    reply.header('x-ratelimit-remaining-tokens', Math.max(0, limit - used));
    if (used >= limit) {
      const retryAfter = secondsUntilWindowEnds(window);
      throw new GatewayError('GW_ERR_RATE_LIMITED', {
        message: `Token rate limit reached: this key may use ${limit} tokens per minute. Retry in ${retryAfter} seconds.`,
        headers: { 'retry-after': String(retryAfter) },
      });
    }
  }

  // A callback hook: a key without a token limit (most keys, when only some store keys carry one)
  // passes at once, with no promise or microtask; only a limited key waits for its counter.
  const check: onRequestHookHandler = (request, reply, done) => {
    const limit = limitOf(request);
    if (limit <= 0) {
      done();
      return;
    }
    enforce(request, reply, limit).then(() => done(), done);
  };

  const record = (request: FastifyRequest): void => {
    const tokensUsed = request.gateway.usage?.totalTokens ?? 0;
    if (tokensUsed <= 0 || limitOf(request) <= 0) return;
    const scope = request.gateway.identity!.limitScope;
    const window = currentTokenWindow();
    shared.add(scope, window, tokensUsed).catch(() => {
      if (options.onRedisError === 'local') return local.add(scope, window, tokensUsed);
    });
  };

  return { check, record };
}
