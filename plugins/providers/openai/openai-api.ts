/**
 * The OpenAI wire: endpoints, headers, and the few response fields the gateway reads.
 * @see https://platform.openai.com/docs/api-reference
 */
import type { Usage } from '../../../src/provider.js';

export const OPENAI_CHAT_PATH = '/chat/completions';
export const OPENAI_EMBEDDINGS_PATH = '/embeddings';
export const OPENAI_TRANSCRIPTIONS_PATH = '/audio/transcriptions';
export const OPENAI_TRANSLATIONS_PATH = '/audio/translations';
export const OPENAI_SPEECH_PATH = '/audio/speech';
export const OPENAI_RESPONSES_PATH = '/responses';

/**
 * The content type of each speech format, for an upstream that sends none (OpenAI sends its own,
 * which is passed through).
 * @see https://platform.openai.com/docs/guides/text-to-speech#supported-output-formats
 */
export const SPEECH_CONTENT_TYPES: Record<string, string> = {
  mp3: 'audio/mpeg',
  opus: 'audio/opus',
  aac: 'audio/aac',
  flac: 'audio/flac',
  wav: 'audio/wav',
  pcm: 'audio/pcm',
};

/** Token usage as the Responses API and token-billed transcription models report it. */
export interface ResponsesUsageWire {
  input_tokens?: number | null;
  output_tokens?: number | null;
  total_tokens?: number | null;
  input_tokens_details?: { cached_tokens?: number | null } | null;
  output_tokens_details?: { reasoning_tokens?: number | null } | null;
}

export function usageFromResponses(usage: ResponsesUsageWire | null | undefined): Usage | undefined {
  if (!usage || typeof usage !== 'object' || typeof usage.input_tokens !== 'number') return undefined;
  const promptTokens = usage.input_tokens ?? 0;
  const completionTokens = usage.output_tokens ?? 0;
  return {
    promptTokens,
    completionTokens,
    totalTokens: usage.total_tokens ?? promptTokens + completionTokens,
    reasoningTokens: usage.output_tokens_details?.reasoning_tokens ?? 0,
    cachedTokens: usage.input_tokens_details?.cached_tokens ?? 0,
  };
}

export interface OpenAIUsageWire {
  prompt_tokens?: number | null;
  completion_tokens?: number | null;
  total_tokens?: number | null;
  prompt_tokens_details?: { cached_tokens?: number | null } | null;
  completion_tokens_details?: { reasoning_tokens?: number | null } | null;
}

export interface OpenAIErrorWire {
  error?: {
    message?: string | null;
    type?: string | null;
    param?: string | null;
    code?: string | number | null;
  } | null;
}

export interface OpenAIInstanceHeaders {
  organization?: string;
  project?: string;
}

export function buildOpenAIHeaders(
  apiKey: string | undefined,
  extra: OpenAIInstanceHeaders,
): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (apiKey) headers['authorization'] = `Bearer ${apiKey}`;
  if (extra.organization) headers['openai-organization'] = extra.organization;
  if (extra.project) headers['openai-project'] = extra.project;
  return headers;
}

export function usageFromOpenAI(usage: OpenAIUsageWire | null | undefined): Usage | undefined {
  if (!usage || typeof usage !== 'object') return undefined;
  const promptTokens = usage.prompt_tokens ?? 0;
  const completionTokens = usage.completion_tokens ?? 0;
  return {
    promptTokens,
    completionTokens,
    totalTokens: usage.total_tokens ?? promptTokens + completionTokens,
    reasoningTokens: usage.completion_tokens_details?.reasoning_tokens ?? 0,
    cachedTokens: usage.prompt_tokens_details?.cached_tokens ?? 0,
  };
}
