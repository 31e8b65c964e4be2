/**
 * OpenAI-compatible servers: one type whose instances name the server they are (`preset`: vLLM,
 * Ollama, LM Studio, llama.cpp, Groq, Mistral, DeepSeek, xAI, OpenRouter, Together, Fireworks,
 * Cerebras), which gives the base URL, the key's variable and what the server does not take of
 * OpenAI's API; or `custom`, where the instance says all. Their models are discovered from the
 * server's own model list.
 */
import { defineProvider } from '../../../src/provider.js';
import {
  OpenAICompatibleSettingsSchema,
  presetOf,
  type OpenAICompatibleSettings,
} from './openai-compatible-options.js';

export default defineProvider<OpenAICompatibleSettings>({
  type: 'openai-compatible',
  displayName: 'OpenAI-compatible server',
  // No default: a preset gives it, or the instance does.
  requiresApiKey: true,
  variables: [
    {
      name: 'OPENAI_COMPATIBLE_API_KEY',
      setting: 'apiKey',
      doc: "Key of the server (Authorization: Bearer); unset, the preset's own variable is read",
      sensitive: true,
    },
    {
      name: 'OPENAI_COMPATIBLE_BASE_URL',
      setting: 'baseUrl',
      doc: "Base URL of the server, including /v1; unset, the preset's",
    },
    {
      name: 'OPENAI_COMPATIBLE_PRESET',
      setting: 'preset',
      doc: 'The server: custom, vllm, ollama, lmstudio, llamacpp, groq, mistral, deepseek, xai, openrouter, together, fireworks or cerebras',
    },
  ],
  settings: OpenAICompatibleSettingsSchema,
  instanceDefaults(settings) {
    const preset = presetOf(settings);
    if (!preset) return {};
    return {
      baseUrl: preset.baseUrl,
      apiKeyVariable: preset.apiKeyVariable,
      // A server of one's own needs no key.
      ...(preset.local ? { requiresApiKey: false } : {}),
    };
  },
  async create(instance, services) {
    const { OpenAICompatibleAdapter } = await import('./openai-compatible-adapter.js');
    return new OpenAICompatibleAdapter(instance, services);
  },
});
