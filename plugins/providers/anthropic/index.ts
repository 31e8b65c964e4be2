/**
 * The Anthropic provider: Claude models through Anthropic's Messages API, behind the gateway's
 * OpenAI-shaped chat completions (translated both ways).
 * @see https://docs.anthropic.com/en/api/messages
 */
import { defineProvider } from '../../../src/provider.js';
import { AnthropicSettingsSchema, type AnthropicSettings } from './anthropic-options.js';

export default defineProvider<AnthropicSettings>({
  type: 'anthropic',
  displayName: 'Anthropic',
  defaultBaseUrl: 'https://api.anthropic.com',
  requiresApiKey: true,
  variables: [
    {
      name: 'ANTHROPIC_API_KEY',
      setting: 'apiKey',
      doc: 'Anthropic API key (sent in the x-api-key header)',
      sensitive: true,
    },
    { name: 'ANTHROPIC_BASE_URL', setting: 'baseUrl', doc: 'Anthropic API origin, without /v1' },
  ],
  settings: AnthropicSettingsSchema,
  catalog: new URL('./models.yaml', import.meta.url),
  async create(instance, services) {
    const { AnthropicAdapter } = await import('./anthropic-adapter.js');
    return new AnthropicAdapter(instance, services);
  },
});
