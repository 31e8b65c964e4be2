/**
 * The Vertex AI provider: Gemini and Claude as Google Cloud's Vertex AI serves them, behind the
 * gateway's OpenAI-shaped chat completions, translated both ways by the Gemini and Anthropic
 * providers' converters; authenticated with OAuth tokens from a service-account key file or
 * application default credentials (google-auth-library).
 * @see https://cloud.google.com/vertex-ai/generative-ai/docs/overview
 */
import { defineProvider } from '../../../src/provider.js';
import { DEFAULT_VERTEX_BASE_URL } from './vertex-api.js';
import { VertexSettingsSchema, hasVertexCredentials, type VertexSettings } from './vertex-options.js';

export default defineProvider<VertexSettings>({
  type: 'vertex',
  displayName: 'Google Vertex AI',
  defaultBaseUrl: DEFAULT_VERTEX_BASE_URL,
  requiresApiKey: true,
  // Signed requests (or a service account) need no key: such an instance serves without one.
  instanceDefaults: (settings) => ({ requiresApiKey: !hasVertexCredentials(settings) }),
  configuredBy: 'GOOGLE_APPLICATION_CREDENTIALS or GOOGLE_CLOUD_PROJECT',
  variables: [
    {
      name: 'GOOGLE_CLOUD_PROJECT',
      setting: 'project',
      doc: 'Google Cloud project for Vertex AI; unset with no key file, Vertex models are not served',
    },
    {
      name: 'GOOGLE_CLOUD_LOCATION',
      setting: 'location',
      doc: 'Vertex AI location: global, or a region such as us-central1 or europe-west4',
    },
    {
      name: 'GOOGLE_APPLICATION_CREDENTIALS',
      setting: 'credentialsFile',
      doc: 'Service-account key file (JSON) for Vertex AI; unset: application default credentials',
    },
    {
      name: 'VERTEX_BASE_URL',
      setting: 'baseUrl',
      doc: "Vertex AI origin; the default stands for the location's endpoint",
    },
  ],
  settings: VertexSettingsSchema,
  catalog: new URL('./models.yaml', import.meta.url),
  async create(instance, services) {
    const { VertexAdapter } = await import('./vertex-adapter.js');
    const { VertexTokens, readCredentialsFile } = await import('./vertex-auth.js');
    const file = instance.settings.credentialsFile;
    const credentials = file
      ? await readCredentialsFile(file, `providers.${instance.id}.credentialsFile`)
      : undefined;
    const project = instance.settings.project || credentials?.project_id || undefined;
    return new VertexAdapter(instance, services, new VertexTokens(credentials), project);
  },
});
