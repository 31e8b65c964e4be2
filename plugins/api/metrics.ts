/**
 * The metrics endpoints: Prometheus text at GET /metrics and the same figures as JSON at
 * GET /v1/health/metrics (the figures are kept by plugins/metrics.ts). `METRICS_ACCESS` says who may
 * read them: `protected` (the operator's keys: GATEWAY_API_KEYS, admin keys and METRICS_API_KEYS;
 * never a client key, as the figures are every tenant's), `open`, or `off` (not served).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { GatewayOptions } from '../../schemas/options.js';

export const metricsRoutes: FastifyPluginAsync<{ access: GatewayOptions['metrics']['access'] }> = async (
  fastify,
  options,
) => {
  if (options.access === 'off') return;
  const auth = options.access === 'protected';
  const registry = fastify.gatewayMetrics.registry;
  fastify.get(
    '/metrics',
    {
      config: { auth, operatorOnly: auth },
      schema: { tags: ['health'], summary: 'Prometheus metrics (text format)', hide: false },
    },
    async (_request, reply) => {
      const text = await registry.metrics();
      return reply.type(registry.contentType).send(text);
    },
  );
  fastify.get(
    '/v1/health/metrics',
    {
      config: { auth, operatorOnly: auth },
      schema: { tags: ['health'], summary: 'The /metrics figures as JSON' },
    },
    async () => ({ metrics: await registry.getMetricsAsJSON() }),
  );
};
