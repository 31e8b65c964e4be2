/**
 * Deployments and route plans. A deployment is one place a model can be served (a provider instance
 * and its name for the model). The name a client sends resolves, through the routing entries, the
 * catalog, or the `<provider>/<model>` form, to tiers of deployments: the entry's own, then each of
 * its fallbacks in turn.
 */
import type { RoutingOptions, Strategy } from '../../schemas/options.js';
import type { Catalog, CatalogModel } from '../catalog.js';
import { GatewayError } from '../errors.js';
import type { ProviderInstance, Target } from '../provider.js';

export interface Deployment extends Target {
  readonly instance: ProviderInstance;
  readonly weight: number;
  readonly priority: number;
}

export interface ProviderLookup {
  get(id: string): ProviderInstance | undefined;
  configured(): ProviderInstance[];
}

export type ModelKind = CatalogModel['type'];

export interface RoutePlan {
  /** The name the client asked for. */
  readonly name: string;
  readonly strategy: Strategy;
  readonly allowStrategyHeader: boolean;
  /** The entry's deployments, then each fallback's: tried in this order of tiers. */
  readonly tiers: readonly (readonly Deployment[])[];
}

interface ResolveContext {
  catalog: Catalog;
  providers: ProviderLookup;
  routing: RoutingOptions;
  kind: ModelKind;
}

/** Why a name produced no usable deployment, for the error the client sees. */
interface Dead {
  unconfigured: Set<string>;
  wrongType: Set<string>;
}

/** Whether a catalog model serves requests of this kind: its own type, or one it is marked to serve. */
export function servesKind(model: CatalogModel, kind: ModelKind): boolean {
  return model.type === kind || model.serves.includes(kind);
}

/**
 * Models a client can call right now (their provider is configured), for error details and listings:
 * the catalog's, then those discovered on the servers (whose kind is not known).
 */
export function availableModels(catalog: Catalog, providers: ProviderLookup, kind?: ModelKind): string[] {
  const configured = new Set(providers.configured().map((instance) => instance.id));
  return [
    ...catalog
      .list()
      .filter((model) => configured.has(model.provider) && (!kind || servesKind(model, kind)))
      .map((model) => model.id),
    ...catalog
      .discovered()
      .filter((model) => configured.has(model.provider))
      .map((model) => model.name),
  ];
}

function makeDeployment(
  instance: ProviderInstance,
  upstreamModel: string,
  model: CatalogModel | undefined,
  weight = 1,
  priority = 0,
): Deployment {
  return {
    deploymentId: `${instance.id}/${upstreamModel}`,
    instance,
    upstreamModel,
    model,
    weight,
    priority,
  };
}

/**
 * The catalog entry of an instance's model: its own, else one its provider type ships (a second
 * instance of a type knows the first one's models, prices included).
 */
function catalogEntryOf(
  catalog: Catalog,
  instance: ProviderInstance,
  upstream: string,
): CatalogModel | undefined {
  return (
    catalog.findByUpstream(instance.id, upstream) ??
    (instance.type === instance.id ? undefined : catalog.findByUpstream(instance.type, upstream))
  );
}

/** Keeps a deployment only when its provider is configured and its model serves this kind. */
function usable(
  deployment: Deployment | undefined,
  context: ResolveContext,
  dead: Dead,
): deployment is Deployment {
  if (!deployment) return false;
  if (!deployment.instance.configured) {
    dead.unconfigured.add(deployment.instance.id);
    return false;
  }
  if (deployment.model && !servesKind(deployment.model, context.kind)) {
    dead.wrongType.add(deployment.model.id);
    return false;
  }
  return true;
}

/** The primary deployments of one name (not its fallbacks). */
function primaryDeployments(
  name: string,
  context: ResolveContext,
  dead: Dead,
  visiting: Set<string>,
): Deployment[] | undefined {
  if (visiting.has(name)) return [];
  const entry = context.routing.models[name];
  const catalogModel = context.catalog.get(name);

  if (entry?.deployments) {
    const deployments: Deployment[] = [];
    for (const spec of entry.deployments) {
      const instance = context.providers.get(spec.provider);
      if (!instance) continue;
      const upstream = spec.model ?? catalogModel?.upstream ?? name;
      const model =
        context.catalog.get(spec.model ?? name) ??
        catalogEntryOf(context.catalog, instance, upstream) ??
        catalogModel;
      const deployment = makeDeployment(instance, upstream, model, spec.weight, spec.priority);
      if (usable(deployment, context, dead)) deployments.push(deployment);
    }
    return deployments;
  }
  if (entry?.models) {
    visiting.add(name);
    const deployments: Deployment[] = [];
    const seen = new Set<string>();
    for (const member of entry.models) {
      for (const deployment of primaryDeployments(member, context, dead, visiting) ?? []) {
        if (!seen.has(deployment.deploymentId)) {
          seen.add(deployment.deploymentId);
          deployments.push(deployment);
        }
      }
    }
    visiting.delete(name);
    return deployments;
  }
  if (catalogModel) {
    const instance = context.providers.get(catalogModel.provider);
    if (!instance) {
      dead.unconfigured.add(catalogModel.provider);
      return [];
    }
    const deployment = makeDeployment(instance, catalogModel.upstream ?? catalogModel.id, catalogModel);
    return usable(deployment, context, dead) ? [deployment] : [];
  }
  const slash = name.indexOf('/');
  if (slash > 0 && slash < name.length - 1) {
    const instance = context.providers.get(name.slice(0, slash));
    if (instance) {
      const upstream = name.slice(slash + 1);
      const deployment = makeDeployment(
        instance,
        upstream,
        catalogEntryOf(context.catalog, instance, upstream),
      );
      return usable(deployment, context, dead) ? [deployment] : [];
    }
  }
  // A model an instance's server said it serves, by its own name when that instance alone serves
  // one by that name (its `<instance>/<model>` name was settled just above). A name such as
  // `org/model` whose `org` is no instance is read so.
  const discovered = context.catalog.findDiscovered(name);
  const instance = discovered ? context.providers.get(discovered.provider) : undefined;
  if (discovered && instance) {
    const deployment = makeDeployment(
      instance,
      discovered.id,
      catalogEntryOf(context.catalog, instance, discovered.id),
    );
    return usable(deployment, context, dead) ? [deployment] : [];
  }
  return undefined;
}

export function resolvePlan(
  name: string,
  kind: ModelKind,
  catalog: Catalog,
  providers: ProviderLookup,
  routing: RoutingOptions,
): RoutePlan {
  const context: ResolveContext = { catalog, providers, routing, kind };
  const dead: Dead = { unconfigured: new Set(), wrongType: new Set() };
  const primary = primaryDeployments(name, context, dead, new Set());
  if (primary === undefined) {
    throw new GatewayError('GW_ERR_MODEL_NOT_FOUND', {
      message:
        `The model '${name}' does not exist on this gateway. Use one of details.available_models, ` +
        `or call a provider's model directly as <provider>/<model>.`,
      param: 'model',
      details: {
        available_models: [
          ...routeNames(routing, kind, catalog, providers),
          ...availableModels(catalog, providers, kind),
        ],
      },
    });
  }
  const entry = routing.models[name];
  const tiers: Deployment[][] = [];
  if (primary.length > 0) tiers.push(primary);
  for (const fallback of entry?.fallbacks ?? []) {
    const deployments = primaryDeployments(fallback, context, dead, new Set([name]));
    if (deployments && deployments.length > 0) tiers.push(deployments);
  }
  if (tiers.length === 0) {
    if (dead.wrongType.size > 0 && dead.unconfigured.size === 0) {
      throw new GatewayError('GW_ERR_MODEL_WRONG_TYPE', {
        message: `The model '${name}' is a ${catalog.get([...dead.wrongType][0]!)?.type ?? 'different'} model and cannot serve ${kind} requests.`,
        param: 'model',
      });
    }
    const variables = [...dead.unconfigured]
      .map((id) => {
        const instance = providers.get(id);
        // The instance its environment configures: what configures it, when more than a key does.
        return instance?.id === instance?.type
          ? (instance?.descriptor.configuredBy ?? instance?.apiKeyVariable)
          : instance?.apiKeyVariable;
      })
      .filter((variable): variable is string => Boolean(variable));
    throw new GatewayError('GW_ERR_MODEL_PROVIDER_NOT_CONFIGURED', {
      message:
        `The model '${name}' is served by ${[...dead.unconfigured].map((id) => `'${id}'`).join(', ') || 'a provider'}, ` +
        `which is not configured on this gateway${variables.length > 0 ? ` (set ${variables.join(' or ')})` : ''}.`,
      param: 'model',
      details: { available_models: availableModels(catalog, providers, kind) },
    });
  }
  return {
    name,
    strategy: entry?.strategy ?? routing.strategy,
    allowStrategyHeader: entry?.allowStrategyHeader ?? routing.allowStrategyHeader,
    tiers,
  };
}

/** Routing entries (aliases, groups) that have at least one usable deployment for this kind. */
export function routeNames(
  routing: RoutingOptions,
  kind: ModelKind,
  catalog: Catalog,
  providers: ProviderLookup,
): string[] {
  const names: string[] = [];
  for (const name of Object.keys(routing.models)) {
    if (catalog.get(name)) continue;
    const dead: Dead = { unconfigured: new Set(), wrongType: new Set() };
    const deployments = primaryDeployments(name, { catalog, providers, routing, kind }, dead, new Set());
    if (deployments && deployments.length > 0) names.push(name);
  }
  return names;
}
