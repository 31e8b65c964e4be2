/**
 * The settings an Azure OpenAI instance takes besides its key and endpoint (`providers.<id>.<setting>`
 * in the configuration), checked when the gateway starts so a typo stops it naming the key.
 * @see https://learn.microsoft.com/azure/ai-foundry/openai/reference
 * @see https://learn.microsoft.com/azure/ai-foundry/openai/api-version-lifecycle
 * @see https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow
 */
import { Type, type Static } from '@sinclair/typebox';

/** Entra ID's token endpoint host in Azure's public cloud (sovereign clouds have their own). */
export const ENTRA_AUTHORITY_HOST = 'https://login.microsoftonline.com';
/** The scope of a token for Azure OpenAI (Cognitive Services). */
export const AZURE_OPENAI_SCOPE = 'https://cognitiveservices.azure.com/.default';
/** The latest generally available data-plane version, for the deployment paths. */
export const AZURE_OPENAI_API_VERSION = '2024-10-21';

export const AzureOpenAISettingsSchema = Type.Object(
  {
    /**
     * `deployments`: `/openai/deployments/{deployment}/...?api-version=`; `v1`: `/openai/v1/...`
     * with the deployment as `model` and no api-version.
     */
    paths: Type.Union([Type.Literal('deployments'), Type.Literal('v1')], {
      default: 'deployments',
      description: 'Which URL scheme the resource is called by: deployments or v1',
    }),
    /** `api-version` of the deployment paths. */
    apiVersion: Type.String({
      minLength: 1,
      pattern: '^[A-Za-z0-9.-]+$',
      default: AZURE_OPENAI_API_VERSION,
      description: 'api-version of the deployment paths',
    }),
    /** Catalog model (id or model name) → the name of its deployment on the resource; else the model name. */
    deployments: Type.Record(Type.String({ minLength: 1 }), Type.String({ minLength: 1 }), { default: {} }),
    /** Serve catalog models marked `api: responses` through the Responses API (chat completions translated). */
    useResponsesApi: Type.Boolean({ default: true }),
    /** Entra ID (client credentials): the directory, the application and its secret, all three or none. */
    tenantId: Type.Optional(Type.String({ minLength: 1, description: 'Entra ID tenant (directory) id' })),
    clientId: Type.Optional(Type.String({ minLength: 1, description: 'Entra ID application (client) id' })),
    clientSecret: Type.Optional(Type.String({ minLength: 1, description: 'Entra ID client secret' })),
    /** The host of Entra ID's token endpoint, `{authorityHost}/{tenantId}/oauth2/v2.0/token`. */
    authorityHost: Type.String({
      minLength: 1,
      configFormat: 'http-url',
      default: ENTRA_AUTHORITY_HOST,
      description: 'Entra ID token endpoint host',
    }),
    tokenScope: Type.String({ minLength: 1, default: AZURE_OPENAI_SCOPE }),
  },
  { additionalProperties: false },
);

export type AzureOpenAISettings = Static<typeof AzureOpenAISettingsSchema>;

const ENTRA_SETTINGS = ['tenantId', 'clientId', 'clientSecret'] as const;

/**
 * Whether the settings name an Entra ID application: all three of tenant, client and secret. Some
 * but not all is refused, naming what is missing.
 */
export function usesEntraId(settings: AzureOpenAISettings): boolean {
  const missing = ENTRA_SETTINGS.filter((name) => !settings[name]);
  if (missing.length === ENTRA_SETTINGS.length) return false;
  if (missing.length > 0) {
    throw new Error(
      `Entra ID needs tenantId, clientId and clientSecret together (AZURE_TENANT_ID, AZURE_CLIENT_ID, ` +
        `AZURE_CLIENT_SECRET for the instance the environment configures): ${missing.join(', ')} missing`,
    );
  }
  return true;
}
