/**
 * Discovers the models of the provider instances that find them on their own servers
 * (src/model-discovery.ts) before the gateway starts serving, puts them in the catalog, and keeps
 * them fresh until it closes.
 */
import fp from 'fastify-plugin';
import { ModelDiscoveryRunner, type DiscoveryScheduler } from '../src/model-discovery.js';

declare module 'fastify' {
  interface FastifyInstance {
    gatewayModelDiscovery: ModelDiscoveryRunner;
  }
}

export interface ModelDiscoveryPluginOptions {
  scheduler?: DiscoveryScheduler;
}

export const modelDiscoveryPlugin = fp<ModelDiscoveryPluginOptions>(
  async (fastify, options) => {
    const runner = new ModelDiscoveryRunner(fastify.gatewayProviders, fastify.gatewayCatalog, fastify.log, {
      scheduler: options.scheduler,
    });
    fastify.decorate('gatewayModelDiscovery', runner);
    fastify.addHook('onClose', async () => runner.close());
    await runner.start();
  },
  {
    name: 'llm-gateway-model-discovery',
    fastify: '5.x',
    dependencies: ['llm-gateway-providers', 'llm-gateway-routing'],
  },
);
