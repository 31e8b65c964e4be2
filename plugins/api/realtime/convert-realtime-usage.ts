/**
 * The usage of one realtime response (`response.done`'s `response.usage`) in the gateway's terms:
 * input and output tokens, with the audio tokens and the cached ones told apart so that the catalog's
 * audio prices apply (src/catalog.ts, `costOf`). Image tokens stay in the input, at the text price.
 * @see https://platform.openai.com/docs/api-reference/realtime-server-events/response/done
 */
import type { Usage } from '../../../src/provider.js';

/** `response.usage` as the realtime API reports it; every field may be missing or null. */
export interface RealtimeUsageWire {
  total_tokens?: number | null;
  input_tokens?: number | null;
  output_tokens?: number | null;
  input_token_details?: {
    text_tokens?: number | null;
    audio_tokens?: number | null;
    image_tokens?: number | null;
    cached_tokens?: number | null;
    cached_tokens_details?: {
      text_tokens?: number | null;
      audio_tokens?: number | null;
      image_tokens?: number | null;
    } | null;
  } | null;
  output_token_details?: { text_tokens?: number | null; audio_tokens?: number | null } | null;
}

const count = (value: unknown): number =>
  typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;

/** The usage of a `response.done` event's response, or undefined when it reports none. */
export function convertRealtimeUsage(usage: RealtimeUsageWire | null | undefined): Usage | undefined {
  if (!usage || typeof usage !== 'object') return undefined;
  const input = usage.input_token_details ?? {};
  const output = usage.output_token_details ?? {};
  const promptTokens = count(usage.input_tokens);
  const completionTokens = count(usage.output_tokens);
  const cachedTokens = Math.min(count(input.cached_tokens), promptTokens);
  const audioPromptTokens = Math.min(count(input.audio_tokens), promptTokens);
  const cachedAudioTokens = Math.min(
    count(input.cached_tokens_details?.audio_tokens),
    cachedTokens,
    audioPromptTokens,
  );
  return {
    promptTokens,
    completionTokens,
    totalTokens: count(usage.total_tokens) || promptTokens + completionTokens,
    reasoningTokens: 0,
    cachedTokens,
    audioPromptTokens,
    cachedAudioTokens,
    audioCompletionTokens: Math.min(count(output.audio_tokens), completionTokens),
  };
}

/** Adds one response's usage to a session's total. */
export function addUsage(total: Usage, usage: Usage): void {
  total.promptTokens += usage.promptTokens;
  total.completionTokens += usage.completionTokens;
  total.totalTokens += usage.totalTokens;
  total.cachedTokens += usage.cachedTokens;
  total.audioPromptTokens = (total.audioPromptTokens ?? 0) + (usage.audioPromptTokens ?? 0);
  total.cachedAudioTokens = (total.cachedAudioTokens ?? 0) + (usage.cachedAudioTokens ?? 0);
  total.audioCompletionTokens = (total.audioCompletionTokens ?? 0) + (usage.audioCompletionTokens ?? 0);
}
