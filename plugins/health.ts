/**
 * Health: /health and /v1/health/live answer as long as the process serves HTTP; /v1/health/ready
 * says whether the gateway can serve model calls (config loaded, at least one provider configured);
 * /v1/health/detailed (behind an operator's key: it shows every provider's origin and errors) shows
 * each provider. The readiness answer is public, so it names no address: no Redis URL or host, no
 * upstream origin, no error text that could hold one.
 */
import { performance } from 'node:perf_hooks';
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { PACKAGE_VERSION } from '../src/package-root.js';
import type { SharedRedis } from './redis.js';

const started = performance.now();

export interface HealthRouteOptions {
  /** Whether model calls are refused while Redis is down (rateLimit.onRedisError `closed`). */
  rateLimitFailsClosed?: boolean;
}

/**
 * Redis as a readiness check: down is reported as degraded (the cache is bypassed, rate limits
 * follow their policy), and blocks readiness only when rate limits then refuse every request. The
 * connection's error is left out: it names Redis's host and port (the detailed health shows it).
 */
function redisCheck(
  redis: SharedRedis | null,
  failsClosed: boolean,
): { ok: boolean; message: string } | undefined {
  if (!redis) return undefined;
  if (redis.available) return { ok: true, message: 'connected' };
  return failsClosed
    ? { ok: false, message: 'Redis is unreachable: rate-limited routes are refused' }
    : {
        ok: true,
        message:
          'degraded: Redis is unreachable; the cache is bypassed and rate limits follow rateLimit.onRedisError',
      };
}

export const healthRoutes: FastifyPluginAsync<HealthRouteOptions> = async (instance, options) => {
  const rateLimitFailsClosed = options.rateLimitFailsClosed === true;
  const fastify = instance.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['health'];

  fastify.get(
    '/health',
    {
      config: { auth: false },
      schema: { tags, summary: 'Liveness (no key needed)', response: { 200: Type.Ref('Health') } },
    },
    async () => ({ status: 'ok' }),
  );
  fastify.get(
    '/v1/health/live',
    {
      config: { auth: false },
      schema: { tags, summary: 'Liveness probe', response: { 200: Type.Ref('Health') } },
    },
    async () => ({ status: 'ok' }),
  );
  fastify.get(
    '/v1/health/ready',
    {
      config: { auth: false },
      schema: {
        tags,
        summary: 'Readiness probe',
        response: { 200: Type.Ref('Readiness'), 503: Type.Ref('Readiness') },
      },
    },
    async (_request, reply) => {
      const serving = fastify.gatewayProviders.serving();
      const checks = {
        config: { ok: true },
        providers: {
          ok: serving.length > 0,
          message:
            serving.length > 0
              ? `${serving.length} configured: ${serving.map((provider) => provider.id).join(', ')}`
              : `No provider is configured: set ${fastify.gatewayProviders.keyVariables().join(' or ')}`,
        },
      };
      const redis = redisCheck(fastify.gatewayRedis, rateLimitFailsClosed);
      if (redis) (checks as Record<string, { ok: boolean; message?: string }>)['redis'] = redis;
      const ready = Object.values(checks).every((check) => check.ok);
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks });
    },
  );
  fastify.get(
    '/v1/health/detailed',
    {
      config: { operatorOnly: true },
      schema: {
        tags,
        summary: 'Providers and their last errors (operator keys)',
        response: { 200: Type.Ref('DetailedHealth') },
      },
    },
    async () => ({
      status:
        fastify.gatewayProviders.serving().length > 0 && fastify.gatewayRedis?.available !== false
          ? 'ok'
          : 'degraded',
      version: PACKAGE_VERSION,
      uptimeSeconds: Math.round((performance.now() - started) / 1000),
      inFlight: fastify.gatewayInFlight(),
      providers: fastify.gatewayProviders.list().map((provider) => ({
        id: provider.id,
        type: provider.type,
        configured: provider.configured,
        // An instance that cannot serve may have no base URL (its provider has no default).
        baseUrl: provider.baseUrl ? new URL(provider.baseUrl).origin : '',
        lastError: provider.health.lastError,
        lastSuccessAt: provider.health.lastSuccessAt,
      })),
      deployments: fastify.gatewayRouter.deploymentHealth(),
      redis: fastify.gatewayRedis ? fastify.gatewayRedis.health() : { status: 'not_configured' },
    }),
  );
};
