/**
 * How the environment and the registry settle an Azure OpenAI instance: by Azure's own variable
 * names, served with a key or an Entra ID application, never started by the shared AZURE_* variables
 * alone, and stopped at start by what cannot work.
 */
import { join } from 'node:path';
import { Agent } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import type { ProviderInstanceOptions } from '../../../../schemas/options.js';
import { PROVIDERS } from '../../../../plugins/providers/index.js';
import { loadConfig } from '../../../../src/config.js';
import { PACKAGE_ROOT } from '../../../../src/package-root.js';
import { ProviderConfigError, ProviderRegistry } from '../../../../src/provider-registry.js';
import { RemoteMedia } from '../../../../src/remote-media.js';
import { mediaOptions } from '../../../helpers/media-options.js';

const dispatcher = new Agent();
const media = new RemoteMedia(mediaOptions({ maxBytes: 1024, timeoutMs: 1000, maxRedirects: 0 }));
const services = { dispatcher, media, unsupportedParameters: 'drop' as const };
afterAll(() => dispatcher.close());

function providersFrom(env: Record<string, string>) {
  return loadConfig({ env, configDirectory: join(PACKAGE_ROOT, 'config') }).gateway.providers;
}

const ENTRA = {
  AZURE_TENANT_ID: 'tenant-0001',
  AZURE_CLIENT_ID: 'client-0001',
  AZURE_CLIENT_SECRET: 'secret-value-0001',
};

describe('an Azure OpenAI instance', () => {
  it('reads Azure variable names into the instance the environment configures', () => {
    const instance = providersFrom({
      AZURE_OPENAI_API_KEY: 'key-0001',
      AZURE_OPENAI_ENDPOINT: 'https://res.openai.azure.com',
      AZURE_OPENAI_API_VERSION: '2025-04-01-preview',
      AZURE_OPENAI_PATHS: 'v1',
      ...ENTRA,
    })['azure-openai'];
    expect(instance).toMatchObject({
      apiKey: 'key-0001',
      baseUrl: 'https://res.openai.azure.com',
      apiVersion: '2025-04-01-preview',
      paths: 'v1',
      tenantId: 'tenant-0001',
      clientId: 'client-0001',
      clientSecret: 'secret-value-0001',
    });
  });

  it('is not configured without an endpoint and a credential, and says which variable to set', async () => {
    const registry = await ProviderRegistry.build(PROVIDERS, providersFrom({ ...ENTRA }), services);
    const instance = registry.get('azure-openai')!;
    expect(instance.configured).toBe(false);
    expect(instance.apiKeyVariable).toBe('AZURE_OPENAI_API_KEY');
  });

  it('serves with an Entra ID application in place of a key once it has an endpoint', async () => {
    const registry = await ProviderRegistry.build(
      PROVIDERS,
      providersFrom({ AZURE_OPENAI_ENDPOINT: 'https://res.openai.azure.com', ...ENTRA }),
      services,
    );
    expect(registry.get('azure-openai')?.configured).toBe(true);
  });

  it('stops the start on a key without an endpoint, or on part of an Entra ID application', async () => {
    await expect(
      ProviderRegistry.build(PROVIDERS, providersFrom({ AZURE_OPENAI_API_KEY: 'key-0001' }), services),
    ).rejects.toThrow(
      /providers\.azure-openai\.baseUrl: Azure OpenAI has no default base URL: set AZURE_OPENAI_ENDPOINT/,
    );
    const partial = ProviderRegistry.build(
      PROVIDERS,
      providersFrom({ AZURE_OPENAI_ENDPOINT: 'https://res.openai.azure.com', AZURE_TENANT_ID: 't' }),
      services,
    );
    await expect(partial).rejects.toThrow(ProviderConfigError);
    await expect(partial).rejects.toThrow(
      /providers\.azure-openai: Entra ID needs .*clientId, clientSecret missing/,
    );
  });

  it('refuses an unknown URL scheme naming the variable or the setting', async () => {
    expect(() => providersFrom({ AZURE_OPENAI_PATHS: 'v2' })).toThrow(
      /^Invalid configuration: AZURE_OPENAI_PATHS \(providers\.azure-openai\.paths\): must be one of .*: value was "v2"$/,
    );
    await expect(
      ProviderRegistry.build(
        PROVIDERS,
        {
          eu: {
            type: 'azure-openai',
            baseUrl: 'https://eu.openai.azure.com',
            apiKey: 'k',
            paths: 'v2',
          } as ProviderInstanceOptions,
        },
        services,
      ),
    ).rejects.toThrow(/providers\.eu\.paths/);
  });
});
