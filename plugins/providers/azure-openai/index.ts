/**
 * The Azure OpenAI provider: OpenAI's models as deployments of an Azure resource, through the OpenAI
 * adapter over Azure's URL schemes (deployment paths with an api-version, or the v1 API) and
 * credentials (an `api-key`, or an Entra ID application's token). Variables follow Azure's own names.
 * @see https://learn.microsoft.com/azure/ai-foundry/openai/reference
 */
import { defineProvider } from '../../../src/provider.js';
import { AzureOpenAISettingsSchema, usesEntraId, type AzureOpenAISettings } from './azure-openai-options.js';

export default defineProvider<AzureOpenAISettings>({
  type: 'azure-openai',
  displayName: 'Azure OpenAI',
  // No default: the endpoint is the resource's own.
  requiresApiKey: true,
  variables: [
    {
      name: 'AZURE_OPENAI_API_KEY',
      setting: 'apiKey',
      doc: 'Azure OpenAI resource key (sent in the api-key header); or use Entra ID below',
      sensitive: true,
    },
    {
      name: 'AZURE_OPENAI_ENDPOINT',
      setting: 'baseUrl',
      doc: 'Azure OpenAI resource endpoint, https://<resource>.openai.azure.com',
    },
    {
      name: 'AZURE_OPENAI_API_VERSION',
      setting: 'apiVersion',
      doc: 'api-version of the deployment paths',
    },
    {
      name: 'AZURE_OPENAI_PATHS',
      setting: 'paths',
      doc: 'deployments (/openai/deployments/<deployment>/...?api-version=) or v1 (/openai/v1/...)',
    },
    { name: 'AZURE_TENANT_ID', setting: 'tenantId', doc: 'Entra ID tenant (directory) id' },
    { name: 'AZURE_CLIENT_ID', setting: 'clientId', doc: 'Entra ID application (client) id' },
    {
      name: 'AZURE_CLIENT_SECRET',
      setting: 'clientSecret',
      doc: 'Entra ID client secret',
      sensitive: true,
    },
    {
      name: 'AZURE_AUTHORITY_HOST',
      setting: 'authorityHost',
      doc: 'Entra ID token endpoint host (another for sovereign clouds)',
    },
  ],
  settings: AzureOpenAISettingsSchema,
  catalog: new URL('./models.yaml', import.meta.url),
  instanceDefaults(settings, instance) {
    // An Entra ID application serves in place of a key only for an instance with an endpoint and no
    // key: the AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET variables are shared with
    // every other Azure tool, and may be set for one of them.
    if (instance.apiKey || !instance.baseUrl) return {};
    return usesEntraId(settings) ? { requiresApiKey: false } : {};
  },
  async create(instance, services) {
    const { createAzureOpenAIAdapter } = await import('./azure-openai-adapter.js');
    return createAzureOpenAIAdapter(instance, services);
  },
});
