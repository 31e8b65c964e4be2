/**
 * The servers an `openai-compatible` instance can name as its `preset`: each gives the base URL, the
 * variable its key is usually kept in, and what the server does not take of OpenAI's chat API (its
 * quirks), as its documentation says. An instance sets any quirk itself to override its preset's.
 *
 * Local servers (vLLM, LM Studio, llama.cpp) are taken to refuse `stream_options` unless told
 * otherwise: a server that refuses it makes every stream fail, while one that is not sent it only has
 * its stream's usage estimated. Set `streamOptions: true` on an instance of a version that takes it.
 * @see https://docs.vllm.ai/en/latest/serving/openai_compatible_server.html
 * @see https://docs.ollama.com/api/openai-compatibility
 * @see https://lmstudio.ai/docs/app/api/endpoints/openai
 * @see https://github.com/ggml-org/llama.cpp/tree/master/tools/server
 * @see https://console.groq.com/docs/openai
 * @see https://docs.mistral.ai/api/
 * @see https://api-docs.deepseek.com/api/create-chat-completion
 * @see https://docs.x.ai/docs/api-reference
 * @see https://openrouter.ai/docs/api-reference/parameters
 * @see https://docs.together.ai/reference/chat-completions-1
 * @see https://docs.fireworks.ai/api-reference/post-chatcompletions
 * @see https://inference-docs.cerebras.ai/resources/openai
 */

/** What a server takes of OpenAI's chat completions. */
export interface CompatibleQuirks {
  /** Takes `stream_options` (else not sent: a stream's usage is the server's own, or estimated). */
  readonly streamOptions: boolean;
  /** Takes the `developer` role (else developer messages are sent as `system`). */
  readonly developerRole: boolean;
  /** The field it reads the completion limit from; absent: the one the client sent. */
  readonly maxTokensField?: 'max_tokens' | 'max_completion_tokens';
  /** Takes `n` above 1. */
  readonly n: boolean;
  /** Takes `tool_choice: "required"`. */
  readonly toolChoiceRequired: boolean;
  /** Takes `response_format` of type `json_schema`. */
  readonly jsonSchema: boolean;
}

/** A server that takes all of OpenAI's chat API: a `custom` instance unless it says otherwise. */
export const OPENAI_QUIRKS: CompatibleQuirks = {
  streamOptions: true,
  developerRole: true,
  n: true,
  toolChoiceRequired: true,
  jsonSchema: true,
};

export interface CompatiblePreset {
  readonly displayName: string;
  readonly baseUrl: string;
  /** The variable the server's key is usually kept in: read for an instance that sets no key. */
  readonly apiKeyVariable: string;
  /** A server of one's own, which needs no key (one is sent when set). */
  readonly local: boolean;
  readonly quirks: CompatibleQuirks;
}

const quirks = (overrides: Partial<CompatibleQuirks>): CompatibleQuirks => ({
  ...OPENAI_QUIRKS,
  ...overrides,
});

export const PRESETS = {
  vllm: {
    displayName: 'vLLM',
    baseUrl: 'http://localhost:8000/v1',
    apiKeyVariable: 'VLLM_API_KEY',
    local: true,
    quirks: quirks({ streamOptions: false, developerRole: false }),
  },
  ollama: {
    displayName: 'Ollama',
    baseUrl: 'http://localhost:11434/v1',
    apiKeyVariable: 'OLLAMA_API_KEY',
    local: true,
    quirks: quirks({ developerRole: false, maxTokensField: 'max_tokens', n: false }),
  },
  lmstudio: {
    displayName: 'LM Studio',
    baseUrl: 'http://localhost:1234/v1',
    apiKeyVariable: 'LMSTUDIO_API_KEY',
    local: true,
    quirks: quirks({ streamOptions: false, developerRole: false, maxTokensField: 'max_tokens', n: false }),
  },
  llamacpp: {
    displayName: 'llama.cpp server',
    baseUrl: 'http://localhost:8080/v1',
    apiKeyVariable: 'LLAMA_API_KEY',
    local: true,
    quirks: quirks({ streamOptions: false, developerRole: false, maxTokensField: 'max_tokens', n: false }),
  },
  groq: {
    displayName: 'Groq',
    baseUrl: 'https://api.groq.com/openai/v1',
    apiKeyVariable: 'GROQ_API_KEY',
    local: false,
    quirks: quirks({ developerRole: false, n: false }),
  },
  mistral: {
    displayName: 'Mistral',
    baseUrl: 'https://api.mistral.ai/v1',
    apiKeyVariable: 'MISTRAL_API_KEY',
    local: false,
    // Refuses fields it does not know (422 extra_forbidden); streams end with their usage anyway.
    quirks: quirks({ streamOptions: false, developerRole: false, maxTokensField: 'max_tokens' }),
  },
  deepseek: {
    displayName: 'DeepSeek',
    baseUrl: 'https://api.deepseek.com/v1',
    apiKeyVariable: 'DEEPSEEK_API_KEY',
    local: false,
    quirks: quirks({ developerRole: false, maxTokensField: 'max_tokens', n: false, jsonSchema: false }),
  },
  xai: {
    displayName: 'xAI',
    baseUrl: 'https://api.x.ai/v1',
    apiKeyVariable: 'XAI_API_KEY',
    local: false,
    quirks: quirks({ developerRole: false }),
  },
  openrouter: {
    displayName: 'OpenRouter',
    baseUrl: 'https://openrouter.ai/api/v1',
    apiKeyVariable: 'OPENROUTER_API_KEY',
    local: false,
    quirks: quirks({ developerRole: false, maxTokensField: 'max_tokens', n: false }),
  },
  together: {
    displayName: 'Together AI',
    baseUrl: 'https://api.together.xyz/v1',
    apiKeyVariable: 'TOGETHER_API_KEY',
    local: false,
    quirks: quirks({ developerRole: false, maxTokensField: 'max_tokens' }),
  },
  fireworks: {
    displayName: 'Fireworks AI',
    baseUrl: 'https://api.fireworks.ai/inference/v1',
    apiKeyVariable: 'FIREWORKS_API_KEY',
    local: false,
    quirks: quirks({ developerRole: false, maxTokensField: 'max_tokens' }),
  },
  cerebras: {
    displayName: 'Cerebras',
    baseUrl: 'https://api.cerebras.ai/v1',
    apiKeyVariable: 'CEREBRAS_API_KEY',
    local: false,
    quirks: quirks({ developerRole: false, n: false }),
  },
} as const satisfies Record<string, CompatiblePreset>;

export type PresetName = keyof typeof PRESETS;
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];
