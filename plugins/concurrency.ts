/**
 * MAX_CONCURRENT_REQUESTS: model calls beyond the limit are refused at once with a 503 and
 * Retry-After rather than queued, so a burst can never grow memory without bound.
 */
import fp from 'fastify-plugin';
import { GatewayError } from '../src/errors.js';

export interface ConcurrencyPluginOptions {
  maxConcurrentRequests: number;
}

export const concurrencyPlugin = fp<ConcurrencyPluginOptions>(
  async (fastify, options) => {
    const limit = options.maxConcurrentRequests;
    let inFlight = 0;
    fastify.decorate('gatewayInFlight', () => inFlight);
    fastify.addHook('onRequest', async (request, reply) => {
      if (request.routeOptions.config?.concurrencyLimited !== true) return;
      if (limit > 0 && inFlight >= limit) {
        throw new GatewayError('GW_ERR_SERVER_OVERLOADED', { headers: { 'retry-after': '1' } });
      }
      inFlight++;
      // 'close' fires once however the exchange ends: answered, failed or abandoned by the client.
      reply.raw.once('close', () => {
        inFlight--;
      });
    });
  },
  { name: 'llm-gateway-concurrency', fastify: '5.x' },
);

declare module 'fastify' {
  interface FastifyInstance {
    gatewayInFlight: () => number;
  }
}
