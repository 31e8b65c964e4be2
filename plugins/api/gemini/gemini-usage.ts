/**
 * Token usage between the gateway's terms and Gemini's `usageMetadata`, both ways: a translated
 * answer reports its usage as Gemini does, and a passed-through answer's is read for accounting.
 * @see https://ai.google.dev/api/generate-content#UsageMetadata
 *
 * Gemini counts thinking apart from the answer: `candidatesTokenCount` is the answer alone and
 * `thoughtsTokenCount` the thinking, where chat completions count both in `completion_tokens` with
 * the thinking as `reasoning_tokens`. Cached prompt tokens are `cachedContentTokenCount`, part of the
 * prompt in both.
 */
import type { Usage } from '../../../src/provider.js';

export interface UsageMetadata {
  promptTokenCount: number;
  candidatesTokenCount: number;
  totalTokenCount: number;
  thoughtsTokenCount?: number;
  cachedContentTokenCount?: number;
}

export function convertToUsageMetadata(usage: Usage): UsageMetadata {
  const metadata: UsageMetadata = {
    promptTokenCount: usage.promptTokens,
    candidatesTokenCount: Math.max(0, usage.completionTokens - usage.reasoningTokens),
    totalTokenCount: usage.totalTokens,
  };
  if (usage.reasoningTokens > 0) metadata.thoughtsTokenCount = usage.reasoningTokens;
  if (usage.cachedTokens > 0) metadata.cachedContentTokenCount = usage.cachedTokens;
  return metadata;
}

interface UsageMetadataWire {
  promptTokenCount?: number | null;
  candidatesTokenCount?: number | null;
  thoughtsTokenCount?: number | null;
  toolUsePromptTokenCount?: number | null;
  cachedContentTokenCount?: number | null;
  totalTokenCount?: number | null;
}

/** Gemini's `usageMetadata` (a passed-through answer's) in the gateway's terms. */
export function usageFromUsageMetadata(metadata: unknown): Usage | undefined {
  if (!metadata || typeof metadata !== 'object') return undefined;
  const wire = metadata as UsageMetadataWire;
  const promptTokens = (wire.promptTokenCount ?? 0) + (wire.toolUsePromptTokenCount ?? 0);
  const reasoningTokens = wire.thoughtsTokenCount ?? 0;
  const completionTokens = (wire.candidatesTokenCount ?? 0) + reasoningTokens;
  return {
    promptTokens,
    completionTokens,
    totalTokens: wire.totalTokenCount ?? promptTokens + completionTokens,
    reasoningTokens,
    cachedTokens: wire.cachedContentTokenCount ?? 0,
  };
}

/** The end of the JSON object that starts at `start` (its closing brace), or -1. */
function objectEnd(text: string, start: number): number {
  let depth = 0;
  for (let index = start; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === 34) {
      // A string: skip it, escapes included.
      for (index++; index < text.length && text.charCodeAt(index) !== 34; index++) {
        if (text.charCodeAt(index) === 92) index++;
      }
    } else if (code === 123) depth++;
    else if (code === 125 && --depth === 0) return index;
  }
  return -1;
}

/**
 * The usage a Gemini event states, from its JSON text: only the `usageMetadata` object is parsed, so
 * that reading the cumulative usage Gemini repeats on its events costs little more than a search.
 */
export function readUsageMetadata(data: string): Usage | undefined {
  const key = data.lastIndexOf('"usageMetadata"');
  if (key === -1) return undefined;
  const start = data.indexOf('{', key);
  const end = start === -1 ? -1 : objectEnd(data, start);
  if (end === -1) return undefined;
  try {
    return usageFromUsageMetadata(JSON.parse(data.slice(start, end + 1)));
  } catch {
    return undefined;
  }
}
