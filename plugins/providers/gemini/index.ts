/**
 * The Gemini provider: Google's Gemini API (generativelanguage.googleapis.com) behind the gateway's
 * OpenAI-shaped endpoints, translated both ways.
 * @see https://ai.google.dev/api
 */
import { defineProvider } from '../../../src/provider.js';
import { GeminiSettingsSchema, type GeminiSettings } from './gemini-options.js';

export default defineProvider<GeminiSettings>({
  type: 'gemini',
  displayName: 'Google Gemini',
  defaultBaseUrl: 'https://generativelanguage.googleapis.com',
  requiresApiKey: true,
  variables: [
    {
      name: 'GEMINI_API_KEY',
      setting: 'apiKey',
      doc: 'Gemini API key (sent in the x-goog-api-key header)',
      sensitive: true,
    },
    { name: 'GEMINI_BASE_URL', setting: 'baseUrl', doc: 'Gemini API origin, without a path' },
  ],
  settings: GeminiSettingsSchema,
  catalog: new URL('./models.yaml', import.meta.url),
  async create(instance, services) {
    const { GeminiAdapter } = await import('./gemini-adapter.js');
    return new GeminiAdapter(instance, services);
  },
});
