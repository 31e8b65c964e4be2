/**
 * The OpenAI provider: any upstream that speaks OpenAI's wire (OpenAI itself, OpenAI-compatible
 * servers such as vLLM or Ollama, other gateways). Requests and answers pass through; only `model`
 * changes.
 */
import { defineProvider } from '../../../src/provider.js';
import { OpenAISettingsSchema, type OpenAISettings } from './openai-options.js';

export default defineProvider<OpenAISettings>({
  type: 'openai',
  displayName: 'OpenAI',
  defaultBaseUrl: 'https://api.openai.com/v1',
  requiresApiKey: true,
  variables: [
    { name: 'OPENAI_API_KEY', setting: 'apiKey', doc: 'OpenAI API key', sensitive: true },
    { name: 'OPENAI_BASE_URL', setting: 'baseUrl', doc: 'OpenAI base URL, including /v1' },
    {
      name: 'OPENAI_USE_RESPONSES_API',
      setting: 'useResponsesApi',
      doc: 'Serve Responses-only models (o3-pro, deep research) through /v1/responses',
    },
  ],
  settings: OpenAISettingsSchema,
  catalog: new URL('./models.yaml', import.meta.url),
  async create(instance, services) {
    const { createOpenAIAdapter } = await import('./openai-adapter.js');
    return createOpenAIAdapter(instance, services);
  },
});
