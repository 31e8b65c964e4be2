/**
 * A Converse answer → an OpenAI `chat.completion`.
 *
 * The answer is read into the shape of an Anthropic message (text, `thinking` with its signature or
 * `redacted_thinking` for reasoning, `tool_use`, the stop reason in Anthropic's words, usage with
 * the cache reads and writes apart) and finished by Anthropic's converter, so that both providers
 * answer alike: the same tool-call ids and arguments, the same JSON answers, and reasoning returned
 * as `reasoning_content` with the blocks to carry back in `extra_content.anthropic.thinking_blocks`
 * (Anthropic's signatures hold on Bedrock too).
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html#API_runtime_Converse_ResponseSyntax
 */
import type {
  AnthropicMessageResponse,
  AnthropicResponseBlock,
  AnthropicUsage,
} from '../anthropic/anthropic-api.js';
import {
  convertAnthropicResponse,
  type ConvertedResponse,
  type ResponseOptions,
} from '../anthropic/convert-anthropic-response.js';
import { UpstreamFailure } from '../../../src/upstream.js';
import type { BedrockConverseResponse, BedrockResponseBlock, BedrockUsage } from './bedrock-api.js';
import { explainBedrockStopReason, mapBedrockStopReason } from './map-bedrock-stop-reason.js';

/** Bedrock's usage in Anthropic's words: input apart from the cache reads and writes. */
export function toAnthropicUsage(usage: BedrockUsage | null | undefined): AnthropicUsage | undefined {
  if (!usage || typeof usage !== 'object') return undefined;
  return {
    input_tokens: usage.inputTokens ?? 0,
    output_tokens: usage.outputTokens ?? 0,
    cache_read_input_tokens: usage.cacheReadInputTokens ?? 0,
    cache_creation_input_tokens: usage.cacheWriteInputTokens ?? 0,
  };
}

function toAnthropicBlock(block: BedrockResponseBlock): AnthropicResponseBlock | undefined {
  if (typeof block.text === 'string') return { type: 'text', text: block.text };
  if (block.toolUse) {
    return {
      type: 'tool_use',
      id: block.toolUse.toolUseId,
      name: block.toolUse.name,
      input: block.toolUse.input,
    };
  }
  const reasoning = block.reasoningContent;
  if (reasoning?.reasoningText) {
    return {
      type: 'thinking',
      thinking: reasoning.reasoningText.text ?? '',
      signature: reasoning.reasoningText.signature ?? '',
    };
  }
  if (typeof reasoning?.redactedContent === 'string')
    return { type: 'redacted_thinking', data: reasoning.redactedContent };
  // Blocks a chat completion cannot carry (citations, guard content, images, …).
  return undefined;
}

export interface BedrockResponseOptions extends ResponseOptions {
  /** The request id Bedrock answered with, which becomes the completion's id. */
  readonly requestId: string | undefined;
}

export function convertBedrockResponse(
  wire: BedrockConverseResponse,
  model: string,
  options: BedrockResponseOptions,
): ConvertedResponse {
  const content = wire.output?.message?.content;
  if (!Array.isArray(content)) {
    throw new UpstreamFailure('GW_ERR_UPSTREAM_BAD_RESPONSE', 'bad_response', {
      message: 'Bedrock answered without output.message.content.',
    });
  }
  const explanation = explainBedrockStopReason(wire.stopReason);
  if (explanation) options.warnings.push(explanation);
  const blocks: AnthropicResponseBlock[] = [];
  const dropped = new Set<string>();
  for (const block of content) {
    if (!block || typeof block !== 'object') continue;
    const converted = toAnthropicBlock(block);
    if (converted) blocks.push(converted);
    else dropped.add(Object.keys(block)[0] ?? 'untyped');
  }
  if (dropped.size > 0) {
    options.warnings.push(
      `dropped Bedrock's ${[...dropped].join(', ')} block(s): chat completions cannot carry them (the text around them is kept)`,
    );
  }
  const message: AnthropicMessageResponse = {
    id: options.requestId ?? null,
    model,
    content: blocks,
    stop_reason: mapBedrockStopReason(wire.stopReason),
    usage: toAnthropicUsage(wire.usage) ?? null,
  };
  return convertAnthropicResponse(message, model, options);
}
