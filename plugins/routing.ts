/**
 * The router: resolves the model a request names into an ordered plan of deployments and runs the
 * request over it with failover. The decisions are pure code in src/routing/; this plugin wires
 * them to the catalog and the provider registry and keeps each provider's health.
 */
import fp from 'fastify-plugin';
import type { Catalog } from '../src/catalog.js';
import { resolveModel, type Deployment, type ModelKind } from '../src/routing/deployment.js';
import { executePlan, type ExecutionResult } from '../src/routing/execute.js';
import type { ProviderRegistry } from './providers/registry.js';

export class Router {
  constructor(
    readonly catalog: Catalog,
    readonly providers: ProviderRegistry,
  ) {}

  plan(model: string, kind: ModelKind): Deployment[] {
    return resolveModel(model, kind, this.catalog, this.providers);
  }

  execute<T>(
    plan: readonly Deployment[],
    attempt: (deployment: Deployment) => Promise<T>,
    signal: AbortSignal,
  ): Promise<ExecutionResult<T>> {
    return executePlan(plan, attempt, signal, {
      onSuccess: (deployment) => {
        deployment.instance.health.lastSuccessAt = new Date().toISOString();
      },
      onFailure: (deployment, record) => {
        deployment.instance.health.lastError = {
          message: record.error ?? 'unknown error',
          status: record.status,
          at: new Date().toISOString(),
        };
      },
    });
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    gatewayRouter: Router;
    gatewayCatalog: Catalog;
  }
}

export const routingPlugin = fp<{ catalog: Catalog }>(
  async (fastify, options) => {
    fastify.decorate('gatewayCatalog', options.catalog);
    fastify.decorate('gatewayRouter', new Router(options.catalog, fastify.gatewayProviders));
  },
  { name: 'llm-gateway-routing', fastify: '5.x', dependencies: ['llm-gateway-providers'] },
);
