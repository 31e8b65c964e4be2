/**
 * A deployment: one place a model can be served (a provider instance and its name for the model).
 * Resolving the model a client asks for turns into an ordered list of them.
 */
import type { Catalog, CatalogModel } from '../catalog.js';
import { GatewayError } from '../errors.js';
import type { ProviderInstance, Target } from '../provider.js';

export interface Deployment extends Target {
  readonly instance: ProviderInstance;
}

export interface ProviderLookup {
  get(id: string): ProviderInstance | undefined;
  configured(): ProviderInstance[];
}

export type ModelKind = CatalogModel['type'];

function deploymentOf(
  instance: ProviderInstance,
  upstreamModel: string,
  model: CatalogModel | undefined,
): Deployment {
  return { deploymentId: `${instance.id}/${upstreamModel}`, instance, upstreamModel, model };
}

/** Models a client can call right now (their provider is configured), for error details and listings. */
export function availableModels(catalog: Catalog, providers: ProviderLookup, kind?: ModelKind): string[] {
  const configured = new Set(providers.configured().map((instance) => instance.id));
  return catalog
    .list()
    .filter((model) => configured.has(model.provider) && (!kind || model.type === kind))
    .map((model) => model.id);
}

/**
 * `gpt-4o` (a catalog id) or `openai/gpt-5.1-codex` (`<provider instance>/<upstream model>`, for
 * models the catalog does not list) → the deployments that can serve it.
 */
export function resolveModel(
  name: string,
  kind: ModelKind,
  catalog: Catalog,
  providers: ProviderLookup,
): Deployment[] {
  const entry = catalog.get(name);
  if (entry) {
    const instance = providers.get(entry.provider);
    if (!instance || !instance.configured) {
      const variable = instance?.apiKeyVariable;
      throw new GatewayError('GW_ERR_MODEL_PROVIDER_NOT_CONFIGURED', {
        message:
          `The model '${name}' is served by the provider '${entry.provider}', which is not configured on this gateway` +
          (variable ? ` (set ${variable}).` : '.'),
        param: 'model',
        details: { available_models: availableModels(catalog, providers, kind) },
      });
    }
    if (entry.type !== kind) {
      throw new GatewayError('GW_ERR_MODEL_WRONG_TYPE', {
        message: `The model '${name}' is a ${entry.type} model and cannot serve ${kind} requests.`,
        param: 'model',
      });
    }
    return [deploymentOf(instance, entry.upstream ?? entry.id, entry)];
  }

  const slash = name.indexOf('/');
  if (slash > 0 && slash < name.length - 1) {
    const instance = providers.get(name.slice(0, slash));
    if (instance) {
      if (!instance.configured) {
        throw new GatewayError('GW_ERR_MODEL_PROVIDER_NOT_CONFIGURED', {
          message:
            `The provider '${instance.id}' is not configured on this gateway` +
            (instance.apiKeyVariable ? ` (set ${instance.apiKeyVariable}).` : '.'),
          param: 'model',
          details: { available_models: availableModels(catalog, providers, kind) },
        });
      }
      const upstreamModel = name.slice(slash + 1);
      return [deploymentOf(instance, upstreamModel, catalog.findByUpstream(instance.id, upstreamModel))];
    }
  }

  throw new GatewayError('GW_ERR_MODEL_NOT_FOUND', {
    message:
      `The model '${name}' does not exist on this gateway. Use one of details.available_models, ` +
      `or call a provider's model directly as <provider>/<model>.`,
    param: 'model',
    details: { available_models: availableModels(catalog, providers, kind) },
  });
}
