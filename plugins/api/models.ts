/**
 * GET /v1/models and GET /v1/models/{model}: the OpenAI list format plus the catalog's metadata.
 * Only models whose provider is configured are listed unless `?all=true`. A request that carries
 * `anthropic-version` (Anthropic's SDKs, coding agents) gets Anthropic's shape instead, paged.
 * @see https://platform.openai.com/docs/api-reference/models/list
 * @see https://docs.anthropic.com/en/api/models-list
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { commonErrorResponses } from '../../schemas/common.js';
import { ModelListQuerySchema, type ModelObject } from '../../schemas/models.js';
import type { Catalog, CatalogModel, DiscoveredEntry } from '../../src/catalog.js';
import { GatewayError } from '../../src/errors.js';
import { convertToModelInfo, convertToModelPage } from './anthropic-messages/convert-model-list.js';
import { availableModels } from '../../src/routing/deployment.js';
import type { Router } from '../../src/routing/router.js';

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

export const modelsRoutes: FastifyPluginAsync = async (instance) => {
  const fastify = instance.withTypeProvider<TypeBoxTypeProvider>();

  fastify.get(
    '/v1/models',
    {
      schema: {
        tags: ['models'],
        summary: 'List models',
        querystring: ModelListQuerySchema,
        response: { 200: Type.Ref('ModelList'), ...commonErrorResponses },
      },
    },
    async (request) => {
      const configured = new Set(fastify.gatewayProviders.configured().map((provider) => provider.id));
      // A key with an allow-list sees the names it may call.
      const allows = request.gateway.identity?.allowsModel ?? (() => true);
      const models = fastify.gatewayCatalog
        .list()
        .filter((model) => (request.query.all === true || configured.has(model.provider)) && allows(model.id))
        .map((model) => toModelObject(model, configured.has(model.provider)));
      const routes = fastify.gatewayRouter
        .routes()
        .filter((route) => allows(route.name))
        .map(toRouteObject);
      const discovered = listedDiscovered(fastify.gatewayCatalog, configured)
        .filter((model) => allows(model.name))
        .map(toDiscoveredObject);
      const data = [...routes, ...models, ...discovered];
      if (request.headers['anthropic-version'] !== undefined) return convertToModelPage(data, request.query);
      return { object: 'list' as const, data };
    },
  );

  fastify.get(
    '/v1/models/*',
    {
      config: { wildcardParam: 'model' },
      schema: {
        tags: ['models'],
        summary: 'Retrieve a model',
        params: Type.Object({ '*': Type.String({ description: 'Model id' }) }),
        response: { 200: Type.Ref('Model'), ...commonErrorResponses },
      },
    },
    async (request) => {
      const id = request.params['*'];
      // A key with an allow-list is told of the others what it is told of unknown names.
      const allowed = request.gateway.identity?.allowsModel?.(id) ?? true;
      const route = allowed ? fastify.gatewayRouter.routes().find((entry) => entry.name === id) : undefined;
      const messagesShape = request.headers['anthropic-version'] !== undefined;
      if (route) return messagesShape ? convertToModelInfo(toRouteObject(route)) : toRouteObject(route);
      const model = allowed ? fastify.gatewayCatalog.get(id) : undefined;
      const configured = model ? fastify.gatewayProviders.get(model.provider)?.configured === true : false;
      const discovered = allowed && !model ? fastify.gatewayCatalog.findDiscovered(id) : undefined;
      if (discovered && fastify.gatewayProviders.get(discovered.provider)?.configured === true) {
        return messagesShape
          ? convertToModelInfo(toDiscoveredObject(discovered))
          : toDiscoveredObject(discovered);
      }
      if (!model) {
        throw new GatewayError('GW_ERR_MODEL_NOT_FOUND', {
          message: `The model '${id}' does not exist on this gateway.`,
          param: 'model',
          details: { available_models: availableModels(fastify.gatewayCatalog, fastify.gatewayProviders) },
        });
      }
      return messagesShape ? convertToModelInfo(model) : toModelObject(model, configured);
    },
  );
};
