/**
 * Admission: MAX_CONCURRENT_REQUESTS model calls at once, beyond which requests are refused at
 * once with a 503 and Retry-After rather than queued (a burst can never grow memory without bound);
 * and once shutdown has begun, requests that still arrive on open connections get a 503 in the
 * envelope with `Connection: close` while in-flight ones finish.
 */
import fp from 'fastify-plugin';
import { GatewayError } from '../src/errors.js';
import { syncHook } from '../src/hooks.js';

export interface ConcurrencyPluginOptions {
  maxConcurrentRequests: number;
}

export const concurrencyPlugin = fp<ConcurrencyPluginOptions>(
  async (fastify, options) => {
    const limit = options.maxConcurrentRequests;
    let inFlight = 0;
    let closing = false;
    fastify.decorate('gatewayInFlight', () => inFlight);
    fastify.addHook('preClose', async () => {
      closing = true;
    });
    fastify.addHook(
      'onRequest',
      syncHook((request, reply) => {
        if (closing) {
          reply.header('connection', 'close');
          throw new GatewayError('GW_ERR_SERVER_SHUTTING_DOWN', { headers: { 'retry-after': '1' } });
        }
        if (request.routeOptions.config?.concurrencyLimited !== true) return;
        if (limit > 0 && inFlight >= limit) {
          throw new GatewayError('GW_ERR_SERVER_OVERLOADED', { headers: { 'retry-after': '1' } });
        }
        inFlight++;
        // 'close' fires once however the exchange ends: answered, failed or abandoned by the client.
        reply.raw.once('close', () => {
          inFlight--;
        });
      }),
    );
  },
  { name: 'llm-gateway-concurrency', fastify: '5.x' },
);

declare module 'fastify' {
  interface FastifyInstance {
    gatewayInFlight: () => number;
  }
}
