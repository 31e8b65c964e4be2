/**
 * The models a key may use, as `GET /v1/models` lists them (the OpenAI list format plus the catalog's
 * metadata): aliases and groups, the catalog's models of configured providers (or all with `all`),
 * and the models configured servers said they serve. Every way in lists models from here, in its
 * own shape.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ModelObject } from '../schemas/models.js';
import type { Catalog, CatalogModel, DiscoveredEntry } from './catalog.js';
import { GatewayError } from './errors.js';
import { availableModels } from './routing/deployment.js';
import type { Router } from './routing/router.js';

function toModelObject(model: CatalogModel, available: boolean): ModelObject {
  const object: ModelObject = {
    id: model.id,
    object: 'model',
    created: model.created,
    owned_by: model.owned_by ?? model.provider,
    provider: model.provider,
    type: model.type,
    modalities: model.modalities,
    capabilities: model.capabilities,
    pricing: model.pricing as Record<string, number>,
    available,
  };
  if (model.context_window !== undefined) object.context_window = model.context_window;
  if (model.max_output_tokens !== undefined) object.max_output_tokens = model.max_output_tokens;
  return object;
}

/** A model an instance's server said it serves: what the server said of it, nothing more. */
function toDiscoveredObject(model: DiscoveredEntry): ModelObject {
  const object: ModelObject = {
    id: model.name,
    object: 'model',
    created: model.created ?? 0,
    owned_by: model.ownedBy ?? model.provider,
    provider: model.provider,
    available: true,
  };
  if (model.contextWindow !== undefined) object.context_window = model.contextWindow;
  return object;
}

/** Discovered models of configured instances, but for those a catalog entry already lists. */
function listedDiscovered(catalog: Catalog, configured: ReadonlySet<string>): DiscoveredEntry[] {
  return catalog
    .discovered()
    .filter((model) => configured.has(model.provider) && !catalog.findByUpstream(model.provider, model.id));
}

/** An alias or group, listed like a model, with what it maps to. */
function toRouteObject(route: ReturnType<Router['routes']>[number]): ModelObject {
  return {
    id: route.name,
    object: 'model',
    created: 0,
    owned_by: 'llm-gateway',
    type: route.kind,
    strategy: route.strategy,
    targets: route.targets,
    fallbacks: route.fallbacks,
    ...(route.description ? { description: route.description } : {}),
    available: true,
  };
}

/** The providers configured, by id. */
function configuredProviders(fastify: FastifyInstance): Set<string> {
  return new Set(fastify.gatewayProviders.configured().map((provider) => provider.id));
}

/** Every model the request's key may use (`all`: also those of providers not configured). */
export function listModels(fastify: FastifyInstance, request: FastifyRequest, all: boolean): ModelObject[] {
  const configured = configuredProviders(fastify);
  // A key with an allow-list sees the names it may call.
  const allows = request.gateway.identity?.allowsModel ?? (() => true);
  const models = fastify.gatewayCatalog
    .list()
    .filter((model) => (all || configured.has(model.provider)) && allows(model.id))
    .map((model) => toModelObject(model, configured.has(model.provider)));
  const routes = fastify.gatewayRouter
    .routes()
    .filter((route) => allows(route.name))
    .map(toRouteObject);
  const discovered = listedDiscovered(fastify.gatewayCatalog, configured)
    .filter((model) => allows(model.name))
    .map(toDiscoveredObject);
  return [...routes, ...models, ...discovered];
}

/** One model by its name; GW_ERR_MODEL_NOT_FOUND when there is none the request's key may use. */
export function findModel(fastify: FastifyInstance, request: FastifyRequest, id: string): ModelObject {
  // A key with an allow-list is told of the others what it is told of unknown names.
  const allowed = request.gateway.identity?.allowsModel?.(id) ?? true;
  const route = allowed ? fastify.gatewayRouter.routes().find((entry) => entry.name === id) : undefined;
  if (route) return toRouteObject(route);
  const model = allowed ? fastify.gatewayCatalog.get(id) : undefined;
  const discovered = allowed && !model ? fastify.gatewayCatalog.findDiscovered(id) : undefined;
  if (discovered && fastify.gatewayProviders.get(discovered.provider)?.configured === true) {
    return toDiscoveredObject(discovered);
  }
  if (!model) {
    throw new GatewayError('GW_ERR_MODEL_NOT_FOUND', {
      message: `The model '${id}' does not exist on this gateway.`,
      param: 'model',
      details: { available_models: availableModels(fastify.gatewayCatalog, fastify.gatewayProviders) },
    });
  }
  return toModelObject(model, fastify.gatewayProviders.get(model.provider)?.configured === true);
}
