/**
 * Decorates the gateway with its provider registry (src/provider-registry.ts), built from the
 * manifest and the `providers` options, and closes the adapters with the gateway.
 */
import fp from 'fastify-plugin';
import type { ProviderInstanceOptions } from '../schemas/options.js';
import type { ProviderDescriptor, ProviderServices } from '../src/provider.js';
import { ProviderRegistry } from '../src/provider-registry.js';

declare module 'fastify' {
  interface FastifyInstance {
    gatewayProviders: ProviderRegistry;
  }
}

export interface ProviderRegistryPluginOptions {
  descriptors: readonly ProviderDescriptor[];
  providers: Readonly<Record<string, ProviderInstanceOptions>>;
  services: ProviderServices;
}

export const providerRegistryPlugin = fp<ProviderRegistryPluginOptions>(
  async (fastify, options) => {
    const registry = await ProviderRegistry.build(options.descriptors, options.providers, options.services);
    fastify.decorate('gatewayProviders', registry);
    fastify.addHook('onClose', async () => registry.close());
  },
  { name: 'llm-gateway-providers', fastify: '5.x' },
);
