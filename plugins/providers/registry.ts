/**
 * The provider registry: provider plugins register a factory for their type; the registry builds one
 * adapter per configured instance. Routes and the router reach providers only through it.
 */
import fp from 'fastify-plugin';
import type { Dispatcher } from 'undici';
import type { ProviderFactory, ProviderHealth, ProviderInstance } from '../../src/provider.js';
import type { ProviderInstanceOptions } from '../../schemas/options.js';

export class ProviderConfigError extends Error {
  override name = 'ProviderConfigError';
}

export class ProviderRegistry {
  readonly #factories = new Map<string, ProviderFactory>();
  readonly #instances = new Map<string, ProviderInstance>();
  readonly #options: Record<string, ProviderInstanceOptions>;
  readonly #dispatcher: Dispatcher;

  constructor(options: Record<string, ProviderInstanceOptions>, dispatcher: Dispatcher) {
    this.#options = options;
    this.#dispatcher = dispatcher;
  }

  registerFactory(factory: ProviderFactory): void {
    if (this.#factories.has(factory.type)) {
      throw new ProviderConfigError(`Provider type ${factory.type} is registered twice`);
    }
    this.#factories.set(factory.type, factory);
  }

  /** Builds the instances the options describe. Called once, after every provider plugin loaded. */
  instantiate(): void {
    for (const [id, options] of Object.entries(this.#options)) {
      const type = options.type ?? id;
      const factory = this.#factories.get(type);
      const apiKey = options.apiKey ? options.apiKey : undefined;
      const configured = apiKey !== undefined || options.requiresApiKey === false;
      if (!factory) {
        if (!configured) continue;
        throw new ProviderConfigError(
          `Invalid configuration: providers.${id}.type: unknown provider type ${JSON.stringify(type)} ` +
            `(known: ${[...this.#factories.keys()].join(', ')})`,
        );
      }
      let baseUrl: string;
      try {
        baseUrl = new URL(options.baseUrl).toString().replace(/\/+$/, '');
      } catch {
        throw new ProviderConfigError(
          `Invalid configuration: providers.${id}.baseUrl: must be an absolute http(s) URL: value was ${JSON.stringify(options.baseUrl)}`,
        );
      }
      const health: ProviderHealth = { lastError: null, lastSuccessAt: null };
      const adapter = factory.create({ id, type, baseUrl, apiKey, options, dispatcher: this.#dispatcher });
      this.#instances.set(id, {
        id,
        type,
        baseUrl,
        configured,
        adapter,
        apiKeyVariable: factory.apiKeyVariable,
        health,
      });
    }
  }

  get(id: string): ProviderInstance | undefined {
    return this.#instances.get(id);
  }

  list(): ProviderInstance[] {
    return [...this.#instances.values()];
  }

  configured(): ProviderInstance[] {
    return this.list().filter((instance) => instance.configured);
  }

  async close(): Promise<void> {
    await Promise.all(this.list().map((instance) => instance.adapter.close?.()));
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    gatewayProviders: ProviderRegistry;
  }
}

export interface ProviderRegistryPluginOptions {
  providers: Record<string, ProviderInstanceOptions>;
  dispatcher: Dispatcher;
}

export const providerRegistryPlugin = fp<ProviderRegistryPluginOptions>(
  async (fastify, options) => {
    const registry = new ProviderRegistry(options.providers, options.dispatcher);
    fastify.decorate('gatewayProviders', registry);
    fastify.addHook('onClose', async () => registry.close());
  },
  { name: 'llm-gateway-providers', fastify: '5.x' },
);
