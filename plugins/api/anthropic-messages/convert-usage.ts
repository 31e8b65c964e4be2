/**
 * Token usage between Anthropic's terms and the gateway's.
 *
 * Anthropic counts the prompt in three parts that add up to the whole: `input_tokens` (neither read
 * from nor written to the prompt cache), `cache_read_input_tokens` and `cache_creation_input_tokens`.
 * The chat shape counts the whole prompt in `prompt_tokens`, of which `cached_tokens` were read
 * from the cache and `cache_write_tokens` written to it. `output_tokens` and `completion_tokens`
 * both include reasoning (Anthropic's `output_tokens_details.thinking_tokens`, the chat shape's
 * `reasoning_tokens`).
 * @see https://docs.anthropic.com/en/api/messages#response-usage
 * @see https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching#tracking-cache-performance
 */
import type { Usage } from '../../../src/provider.js';
import { usageFromChatCompletion, type ChatUsageWire } from '../../../src/provider-toolkit.js';

/** An answer's usage in Anthropic's terms. */
export interface MessagesUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  output_tokens_details?: { thinking_tokens: number };
}

/** Usage as Anthropic sends it (message, message_start, message_delta): any field may be missing. */
export interface MessagesUsageWire {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  output_tokens_details?: { thinking_tokens?: number | null } | null;
}

/** The gateway's usage in Anthropic's terms. */
export function convertToMessagesUsage(usage: Usage): MessagesUsage {
  const cacheRead = usage.cachedTokens;
  const cacheWrite = usage.cacheWriteTokens ?? 0;
  const converted: MessagesUsage = {
    input_tokens: Math.max(0, usage.promptTokens - cacheRead - cacheWrite),
    output_tokens: usage.completionTokens,
    cache_creation_input_tokens: cacheWrite,
    cache_read_input_tokens: cacheRead,
  };
  if (usage.reasoningTokens > 0) converted.output_tokens_details = { thinking_tokens: usage.reasoningTokens };
  return converted;
}

/** A chat completion's usage in Anthropic's terms; undefined when the answer had none. */
export function convertChatUsage(usage: ChatUsageWire | null | undefined): MessagesUsage | undefined {
  const gateway = usageFromChatCompletion(usage);
  return gateway && convertToMessagesUsage(gateway);
}

/** Anthropic's usage in the gateway's terms (what is accounted and priced). */
export function usageFromMessages(usage: MessagesUsageWire | null | undefined): Usage | undefined {
  if (!usage || typeof usage !== 'object') return undefined;
  const cacheRead = usage.cache_read_input_tokens ?? 0;
  const cacheWrite = usage.cache_creation_input_tokens ?? 0;
  const promptTokens = (usage.input_tokens ?? 0) + cacheRead + cacheWrite;
  const completionTokens = usage.output_tokens ?? 0;
  return {
    promptTokens,
    completionTokens,
    totalTokens: promptTokens + completionTokens,
    reasoningTokens: usage.output_tokens_details?.thinking_tokens ?? 0,
    cachedTokens: cacheRead,
    cacheWriteTokens: cacheWrite,
  };
}

/**
 * A stream's usage so far: `message_start`'s counts, overwritten field by field by each
 * `message_delta`'s (whose counts are totals, not increments; input counts may come only there).
 */
export function mergeMessagesUsage(
  current: MessagesUsageWire | undefined,
  update: MessagesUsageWire | null | undefined,
): MessagesUsageWire | undefined {
  if (!update || typeof update !== 'object') return current;
  const merged: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(update))
    if (value !== null && value !== undefined) merged[key] = value;
  return merged as MessagesUsageWire;
}
