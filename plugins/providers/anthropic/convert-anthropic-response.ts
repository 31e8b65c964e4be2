/**
 * An Anthropic `message` → an OpenAI `chat.completion`, and the pieces the stream translator shares
 * with it (usage, dropped blocks).
 *
 * One choice. Text blocks are concatenated into `content`; `thinking` blocks become
 * `reasoning_content`, and with `redacted_thinking` blocks they come back in
 * `extra_content.anthropic.thinking_blocks` for the next turn (anthropic-thinking-blocks.ts);
 * `tool_use` blocks become `tool_calls` with Anthropic's ids and JSON-string arguments, except the
 * call of the tool that carries a JSON answer, whose input is the content. Server-tool blocks (web
 * search, code execution, …), which a chat client cannot receive, are dropped with a warning; the
 * text Claude wrote around them is kept.
 * @see https://docs.anthropic.com/en/api/messages#response-content
 * @see https://platform.openai.com/docs/api-reference/chat/object
 */
import { randomUUID } from 'node:crypto';
import type { ChatCompletion, CompletionUsage } from '../../../schemas/chat.js';
import type { Usage } from '../../../src/provider.js';
import { UpstreamFailure } from '../../../src/upstream.js';
import type { AnthropicMessageResponse, AnthropicResponseBlock, AnthropicUsage } from './anthropic-api.js';
import {
  EXTRA_CONTENT_FIELD,
  thinkingBlocksExtension,
  type ThinkingBlock,
} from './anthropic-thinking-blocks.js';
import { explainStopReason, mapAnthropicStopReason } from './map-anthropic-stop-reason.js';

export interface ResponseOptions {
  /** The tool whose input is the answer (a JSON `response_format` served by a forced tool). */
  readonly jsonTool: string | undefined;
  /** Notes for the client about what could not be carried over (`x-gateway-warnings`). */
  readonly warnings: string[];
}

export interface ToolCallOut {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export function createCompletionId(messageId: string | null | undefined): string {
  return `chatcmpl-${messageId || randomUUID().replaceAll('-', '')}`;
}

/** OpenAI's usage object, and the gateway's own terms for accounting. */
export interface MappedUsage {
  usage: CompletionUsage;
  gateway: Usage;
}

/**
 * Anthropic's usage → OpenAI's. Anthropic counts input read from and written to the prompt cache
 * apart from `input_tokens`; OpenAI's `prompt_tokens` is all of the prompt, so it is their sum, with
 * the reads as `cached_tokens` and the writes as `cache_write_tokens`. `output_tokens` includes the
 * thinking; `reasoning_tokens` is Anthropic's count of it where the model reports one, 0 for an
 * answer without thinking, and left out when Claude thought but did not say how much.
 * @param thought whether the answer had thinking blocks
 */
export function mapAnthropicUsage(
  usage: AnthropicUsage | null | undefined,
  thought: boolean,
): MappedUsage | undefined {
  if (!usage || typeof usage !== 'object') return undefined;
  const cacheRead = usage.cache_read_input_tokens ?? 0;
  const cacheWrite = usage.cache_creation_input_tokens ?? 0;
  const promptTokens = (usage.input_tokens ?? 0) + cacheRead + cacheWrite;
  const completionTokens = usage.output_tokens ?? 0;
  const counted = usage.output_tokens_details?.thinking_tokens;
  const reasoningTokens = typeof counted === 'number' ? counted : thought ? undefined : 0;
  const mapped: CompletionUsage = {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: cacheRead, cache_write_tokens: cacheWrite },
  };
  if (reasoningTokens !== undefined) mapped.completion_tokens_details = { reasoning_tokens: reasoningTokens };
  return {
    usage: mapped,
    gateway: {
      promptTokens,
      completionTokens,
      totalTokens: promptTokens + completionTokens,
      reasoningTokens: reasoningTokens ?? 0,
      cachedTokens: cacheRead,
      cacheWriteTokens: cacheWrite,
    },
  };
}

export function warnDropped(dropped: ReadonlySet<string>, warnings: string[]): void {
  if (dropped.size === 0) return;
  warnings.push(
    `dropped Claude's ${[...dropped].join(', ')} block(s): chat completions cannot carry them (the text around them is kept)`,
  );
}

/** What the content blocks of an answer say, sorted by kind. */
interface ReadContent {
  text: string;
  hasText: boolean;
  reasoning: string;
  thinkingBlocks: ThinkingBlock[];
  toolCalls: ToolCallOut[];
  /** The JSON-answer tool's input, as JSON text. */
  jsonAnswer: string | undefined;
  dropped: Set<string>;
}

function readContent(blocks: readonly AnthropicResponseBlock[], jsonTool: string | undefined): ReadContent {
  const read: ReadContent = {
    text: '',
    hasText: false,
    reasoning: '',
    thinkingBlocks: [],
    toolCalls: [],
    jsonAnswer: undefined,
    dropped: new Set(),
  };
  for (const block of blocks) {
    if (!block || typeof block !== 'object') continue;
    switch (block.type) {
      case 'text':
        read.text += block.text ?? '';
        read.hasText = true;
        break;
      case 'thinking':
        read.reasoning += block.thinking ?? '';
        read.thinkingBlocks.push({
          type: 'thinking',
          thinking: block.thinking ?? '',
          signature: block.signature ?? '',
        });
        break;
      case 'redacted_thinking':
        read.thinkingBlocks.push({ type: 'redacted_thinking', data: block.data ?? '' });
        break;
      case 'tool_use': {
        const input = JSON.stringify(block.input ?? {});
        if (jsonTool !== undefined && block.name === jsonTool && read.jsonAnswer === undefined) {
          read.jsonAnswer = input;
          break;
        }
        read.toolCalls.push({
          id: block.id || `toolu_${randomUUID().replaceAll('-', '')}`,
          type: 'function',
          function: { name: block.name ?? '', arguments: input },
        });
        break;
      }
      default:
        // Server tools' blocks (server_tool_use, web_search_tool_result, …) and blocks added later.
        read.dropped.add(String(block.type ?? 'untyped'));
    }
  }
  return read;
}

export interface ConvertedResponse {
  completion: ChatCompletion;
  usage: Usage | undefined;
}

export function convertAnthropicResponse(
  wire: AnthropicMessageResponse,
  model: string,
  options: ResponseOptions,
): ConvertedResponse {
  if (!Array.isArray(wire.content)) {
    throw new UpstreamFailure('GW_ERR_UPSTREAM_BAD_RESPONSE', 'bad_response', {
      message: 'Anthropic answered without a content list.',
    });
  }
  const read = readContent(wire.content, options.jsonTool);
  warnDropped(read.dropped, options.warnings);
  const explanation = explainStopReason(wire.stop_reason);
  if (explanation) options.warnings.push(explanation);

  const answeredWithJson = read.jsonAnswer !== undefined;
  if (answeredWithJson && read.hasText && read.text.trim().length > 0) {
    options.warnings.push("dropped Claude's text beside its JSON answer: the content is the JSON alone");
  }
  const finishReason = mapAnthropicStopReason(
    wire.stop_reason,
    answeredWithJson && read.toolCalls.length === 0,
  );
  const calledTools = read.toolCalls.length > 0;
  let content: string | null;
  if (answeredWithJson) content = read.jsonAnswer!;
  else if (read.hasText) content = read.text;
  else content = calledTools || finishReason === 'content_filter' ? null : '';
  const message: Record<string, unknown> = {
    role: 'assistant',
    content,
    refusal: finishReason === 'content_filter' ? (wire.stop_details?.explanation ?? null) : null,
  };
  if (read.reasoning) message['reasoning_content'] = read.reasoning;
  if (calledTools) message['tool_calls'] = read.toolCalls;
  if (read.thinkingBlocks.length > 0)
    message[EXTRA_CONTENT_FIELD] = thinkingBlocksExtension(read.thinkingBlocks);

  const usage = mapAnthropicUsage(wire.usage, read.thinkingBlocks.length > 0);
  const completion = {
    id: createCompletionId(wire.id),
    object: 'chat.completion' as const,
    created: Math.floor(Date.now() / 1000),
    model: wire.model || model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason }],
    ...(usage ? { usage: usage.usage } : {}),
  } as ChatCompletion;
  return { completion, usage: usage?.gateway };
}
