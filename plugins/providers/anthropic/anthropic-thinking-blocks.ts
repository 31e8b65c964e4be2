/**
 * The round trip of Claude's thinking. Anthropic signs each `thinking` block (and encrypts
 * `redacted_thinking` ones); in a tool-use loop with thinking on, the next request must carry the
 * assistant turn's thinking blocks back unchanged, first in that turn, or Anthropic refuses it.
 *
 * A chat completion has no place for them, so the gateway returns them on the assistant message in
 * an extension field, `extra_content.anthropic.thinking_blocks` (the `extra_content.<provider>`
 * convention of the Gemini thought signatures), and reads them back from the assistant messages a
 * client sends, as OpenAI clients send the message they were given. The thinking text is also the
 * message's `reasoning_content`, for reading; only the extension goes back to Anthropic.
 * @see https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking#preserving-thinking-blocks
 */
import type { AnthropicRedactedThinkingBlock, AnthropicThinkingBlock } from './anthropic-api.js';
import { invalidValue } from '../../../src/provider-toolkit.js';

export const EXTRA_CONTENT_FIELD = 'extra_content';
export const PROVIDER_KEY = 'anthropic';
export const THINKING_BLOCKS_FIELD = 'thinking_blocks';

export type ThinkingBlock = AnthropicThinkingBlock | AnthropicRedactedThinkingBlock;

/** `{"anthropic": {"thinking_blocks": [...]}}`, the value of `extra_content`. */
export function thinkingBlocksExtension(blocks: readonly ThinkingBlock[]): Record<string, unknown> {
  return { [PROVIDER_KEY]: { [THINKING_BLOCKS_FIELD]: blocks.map((block) => ({ ...block })) } };
}

/**
 * The thinking blocks an assistant message carries back (none when it has no extension), checked
 * block by block so that a mangled one is a 400 naming it rather than Anthropic's refusal.
 */
export function readThinkingBlocks(message: unknown, param: string): ThinkingBlock[] {
  const extra = (message as Record<string, unknown>)[EXTRA_CONTENT_FIELD];
  if (extra === undefined || extra === null) return [];
  const own = typeof extra === 'object' ? (extra as Record<string, unknown>)[PROVIDER_KEY] : undefined;
  if (own === undefined || own === null) return [];
  const field = `${param}.${EXTRA_CONTENT_FIELD}.${PROVIDER_KEY}.${THINKING_BLOCKS_FIELD}`;
  const list = typeof own === 'object' ? (own as Record<string, unknown>)[THINKING_BLOCKS_FIELD] : undefined;
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw invalidValue(field, `'${field}' must be the array the gateway returned.`);
  return list.map((item: unknown, index): ThinkingBlock => {
    const block = (item ?? {}) as Record<string, unknown>;
    const where = `${field}[${index}]`;
    if (block['type'] === 'thinking') {
      if (typeof block['thinking'] !== 'string' || typeof block['signature'] !== 'string') {
        throw invalidValue(
          where,
          `'${where}' needs the 'thinking' text and the 'signature' it was returned with.`,
        );
      }
      return { type: 'thinking', thinking: block['thinking'], signature: block['signature'] };
    }
    if (block['type'] === 'redacted_thinking') {
      if (typeof block['data'] !== 'string') {
        throw invalidValue(where, `'${where}' needs the 'data' it was returned with.`);
      }
      return { type: 'redacted_thinking', data: block['data'] };
    }
    throw invalidValue(where, `'${where}.type' must be 'thinking' or 'redacted_thinking'.`);
  });
}
