/**
 * The adapter of an Azure OpenAI instance: the OpenAI adapter (requests and answers passed through,
 * content-filter results included) over Azure's URLs and credentials, each catalog model sent to the
 * deployment that serves it, and Azure's content-filter refusals read as such.
 */
import type { ProviderInstanceConfig, ProviderServices, Target } from '../../../src/provider.js';
import { OpenAIAdapter } from '../openai/openai-adapter.js';
import { AzureOpenAIEndpoint } from './azure-openai-endpoint.js';
import { convertAzureOpenAIError } from './azure-openai-error.js';
import { usesEntraId, type AzureOpenAISettings } from './azure-openai-options.js';
import { EntraTokenSource } from './entra-token.js';

/**
 * The deployment that serves a target: the one the instance maps its catalog id or model name to,
 * else a deployment named after the model (Azure's portal names them so by default).
 */
export function deploymentFor(target: Target, deployments: Readonly<Record<string, string>>): string {
  return (
    (target.model ? deployments[target.model.id] : undefined) ??
    deployments[target.upstreamModel] ??
    target.upstreamModel
  );
}

export interface AzureOpenAIAdapterOptions {
  /** Epoch milliseconds for token lifetimes; injected by tests. */
  readonly now?: () => number;
}

export function createAzureOpenAIAdapter(
  config: ProviderInstanceConfig<AzureOpenAISettings>,
  services: Pick<ProviderServices, 'dispatcher'>,
  options: AzureOpenAIAdapterOptions = {},
): OpenAIAdapter {
  const settings = config.settings;
  // A key, when the instance has one, is its credential; else its Entra ID application.
  const tokens =
    !config.apiKey && usesEntraId(settings)
      ? new EntraTokenSource({
          provider: config.id,
          authorityHost: settings.authorityHost,
          tenantId: settings.tenantId!,
          clientId: settings.clientId!,
          clientSecret: settings.clientSecret!,
          scope: settings.tokenScope,
          dispatcher: services.dispatcher,
          now: options.now,
        })
      : undefined;
  const endpoint = new AzureOpenAIEndpoint({
    provider: config.id,
    baseUrl: config.baseUrl,
    paths: settings.paths,
    apiVersion: settings.apiVersion,
    apiKey: config.apiKey,
    tokens,
  });
  return new OpenAIAdapter(
    {
      id: config.id,
      type: config.type,
      endpoint,
      useResponsesApi: settings.useResponsesApi,
      upstreamModel: (target) => deploymentFor(target, settings.deployments),
      convertError: convertAzureOpenAIError,
    },
    services,
  );
}
