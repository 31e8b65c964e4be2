/**
 * Decorates the gateway with its router (src/routing/router.ts) and catalog, over the provider
 * registry. The routing decisions and their state live in the Router; this plugin only wires it.
 */
import fp from 'fastify-plugin';
import type { RoutingOptions } from '../schemas/options.js';
import type { Catalog } from '../src/catalog.js';
import { Router, type RouterClock } from '../src/routing/router.js';

declare module 'fastify' {
  interface FastifyInstance {
    gatewayRouter: Router;
    gatewayCatalog: Catalog;
  }
}

export interface RoutingPluginOptions {
  catalog: Catalog;
  routing: RoutingOptions;
  clock?: RouterClock;
}

export const routingPlugin = fp<RoutingPluginOptions>(
  async (fastify, options) => {
    fastify.decorate('gatewayCatalog', options.catalog);
    fastify.decorate(
      'gatewayRouter',
      new Router(options.catalog, fastify.gatewayProviders, options.routing, options.clock),
    );
  },
  { name: 'llm-gateway-routing', fastify: '5.x', dependencies: ['llm-gateway-providers'] },
);
