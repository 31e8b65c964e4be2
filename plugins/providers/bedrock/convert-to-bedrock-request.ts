/**
 * An OpenAI chat completion request → a Bedrock Converse request.
 *
 * Converse's messages are Anthropic's Messages in other words (system blocks, alternating user and
 * assistant turns, tool use and tool results as blocks, signed reasoning), so the request goes
 * through Anthropic's converters first (messages, tools and JSON answers, thinking: one reading of
 * the OpenAI request for both providers) and their blocks are then written in Converse's words:
 * `text`, `image`, `document`, `toolUse`, `toolResult`, `reasoningContent`, and a `cachePoint` after
 * each block a client marked with `cache_control`. What only Claude does (extended thinking) goes
 * in `additionalModelRequestFields`, and only to Claude.
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
 * @see https://docs.aws.amazon.com/bedrock/latest/userguide/conversation-inference.html
 * @see https://docs.aws.amazon.com/bedrock/latest/userguide/prompt-caching.html
 * @see https://docs.aws.amazon.com/bedrock/latest/userguide/claude-messages-extended-thinking.html
 */
import type { ChatCompletionRequest } from '../../../schemas/chat.js';
import type { GatewayOptions } from '../../../schemas/options.js';
import { refuseOrDropParameters } from '../../../src/parameters.js';
import type { Target } from '../../../src/provider.js';
import type {
  AnthropicCacheControl,
  AnthropicDocumentBlock,
  AnthropicRequestBlock,
  AnthropicTextBlock,
  AnthropicTool,
  AnthropicToolChoice,
} from '../anthropic/anthropic-api.js';
import type { AnthropicSettings } from '../anthropic/anthropic-options.js';
import { convertMessages, type MessagesContext } from '../anthropic/convert-to-anthropic-messages.js';
import { maxTokensFor } from '../anthropic/convert-to-anthropic-request.js';
import { convertThinking } from '../anthropic/convert-to-anthropic-thinking.js';
import { convertTools } from '../anthropic/convert-to-anthropic-tools.js';
import type {
  BedrockContentBlock,
  BedrockConverseRequest,
  BedrockDocumentBlock,
  BedrockImageBlock,
  BedrockMessage,
  BedrockSystemBlock,
  BedrockToolChoice,
  BedrockToolSpec,
} from './bedrock-api.js';
import { claudeName, isClaude } from './bedrock-models.js';
import type { BedrockSettings } from './bedrock-options.js';

/**
 * The OpenAI request parameters this converter honours (design rule 9: anything else is dropped
 * with a warning or refused). `n` is honoured only as 1, checked here.
 */
export const BEDROCK_CHAT_PARAMETERS: ReadonlySet<string> = new Set([
  'model',
  'messages',
  'stream',
  'stream_options',
  'temperature',
  'top_p',
  'n',
  'max_tokens',
  'max_completion_tokens',
  'stop',
  'tools',
  'tool_choice',
  'functions',
  'function_call',
  'response_format',
  'reasoning_effort',
]);

export interface BedrockRequestContext {
  readonly settings: BedrockSettings;
  /** The instance's settings in the terms of Anthropic's converters (thinking budgets, max tokens). */
  readonly claudeSettings: AnthropicSettings;
  readonly unsupportedParameters: GatewayOptions['unsupportedParameters'];
  readonly warnings: string[];
  /** Downloads an http(s) image: Converse takes images as bytes only. */
  fetchImage: MessagesContext['fetchImage'];
}

export interface ConvertedBedrockRequest {
  body: BedrockConverseRequest;
  /** The tool whose input is the answer, when `response_format` is served by a forced tool. */
  jsonTool: string | undefined;
}

const CACHE_POINT: BedrockContentBlock = { cachePoint: { type: 'default' } };

/** A document name Converse takes: letters, digits, single spaces, hyphens, parentheses, brackets. */
function documentName(title: string | undefined, taken: Set<string>): string {
  const cleaned = (title ?? '')
    .replace(/[^A-Za-z0-9\s\-()[\]]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const base = cleaned || 'document';
  let name = base;
  for (let count = 2; taken.has(name); count++) name = `${base} (${count})`;
  taken.add(name);
  return name;
}

function documentBlock(block: AnthropicDocumentBlock, names: Set<string>): BedrockDocumentBlock {
  const name = documentName(block.title, names);
  if (block.source.type === 'base64') return { format: 'pdf', name, source: { bytes: block.source.data } };
  return {
    format: 'txt',
    name,
    source: { bytes: Buffer.from(block.source.data, 'utf8').toString('base64') },
  };
}

function cacheControlOf(
  block: AnthropicRequestBlock | AnthropicTextBlock,
): AnthropicCacheControl | undefined {
  return 'cache_control' in block ? block.cache_control : undefined;
}

/** One of Anthropic's blocks in Converse's words (and a cache point after it when it was marked). */
function convertBlock(block: AnthropicRequestBlock, names: Set<string>): BedrockContentBlock[] {
  let converted: BedrockContentBlock;
  switch (block.type) {
    case 'text':
      converted = { text: block.text };
      break;
    case 'image': {
      // Image URLs were downloaded by the messages converter (`imageUrls: download`).
      const source = block.source as { media_type: string; data: string };
      converted = {
        image: {
          format: source.media_type.slice('image/'.length) as BedrockImageBlock['format'],
          source: { bytes: source.data },
        },
      };
      break;
    }
    case 'document':
      converted = { document: documentBlock(block, names) };
      break;
    case 'tool_use':
      converted = { toolUse: { toolUseId: block.id, name: block.name, input: block.input } };
      break;
    case 'tool_result': {
      const content =
        typeof block.content === 'string'
          ? [{ text: block.content }]
          : block.content.map((part) => ({ text: part.text }));
      converted = { toolResult: { toolUseId: block.tool_use_id, content } };
      break;
    }
    case 'thinking':
      converted = {
        reasoningContent: {
          reasoningText: {
            text: block.thinking,
            ...(block.signature ? { signature: block.signature } : {}),
          },
        },
      };
      break;
    case 'redacted_thinking':
      converted = { reasoningContent: { redactedContent: block.data } };
      break;
  }
  return cacheControlOf(block) ? [converted, CACHE_POINT] : [converted];
}

function convertSystem(blocks: readonly AnthropicTextBlock[]): BedrockSystemBlock[] {
  return blocks.flatMap((block): BedrockSystemBlock[] =>
    block.cache_control ? [{ text: block.text }, CACHE_POINT as BedrockSystemBlock] : [{ text: block.text }],
  );
}

function convertToolSpecs(
  tools: readonly AnthropicTool[],
): NonNullable<BedrockConverseRequest['toolConfig']>['tools'] {
  return tools.flatMap((tool) => {
    const spec: BedrockToolSpec = {
      toolSpec: { name: tool.name, inputSchema: { json: tool.input_schema } },
    };
    if (tool.description) spec.toolSpec.description = tool.description;
    return tool.cache_control ? [spec, { cachePoint: { type: 'default' as const } }] : [spec];
  });
}

function hasToolBlocks(messages: readonly BedrockMessage[]): boolean {
  return messages.some((message) => message.content.some((block) => block.toolUse || block.toolResult));
}

/**
 * Anthropic's tool choice → Converse's. Converse has no `none`: the tools are left out, unless the
 * conversation already has tool blocks (then Converse needs the tools and the choice is `auto`).
 */
function convertToolChoice(
  choice: AnthropicToolChoice | undefined,
  messages: readonly BedrockMessage[],
  warnings: string[],
): { toolChoice: BedrockToolChoice | undefined; withTools: boolean } {
  if (!choice) return { toolChoice: undefined, withTools: true };
  switch (choice.type) {
    case 'auto':
      return { toolChoice: { auto: {} }, withTools: true };
    case 'any':
      return { toolChoice: { any: {} }, withTools: true };
    case 'tool':
      return { toolChoice: { tool: { name: choice.name } }, withTools: true };
    case 'none':
      if (!hasToolBlocks(messages)) return { toolChoice: undefined, withTools: false };
      warnings.push(
        "'tool_choice' none sent as auto: Bedrock has no 'none', and a conversation with tool calls needs its tools",
      );
      return { toolChoice: { auto: {} }, withTools: true };
  }
}

export async function convertToBedrockRequest(
  request: ChatCompletionRequest,
  target: Target,
  context: BedrockRequestContext,
): Promise<ConvertedBedrockRequest> {
  const { warnings } = context;
  if (request.n !== undefined && request.n !== null && request.n > 1) {
    // Converse gives one answer per request.
    refuseOrDropParameters(
      [{ param: 'n', label: `n=${request.n}` }],
      target,
      context.unsupportedParameters,
      warnings,
    );
  }
  const claude = isClaude(target.upstreamModel);
  // Structured outputs are not Converse's: a JSON answer is always a forced tool call.
  const tools = convertTools(request, false, warnings);
  const {
    system,
    messages: anthropicMessages,
    openToolTurn,
  } = await convertMessages(request.messages, {
    warnings,
    imageUrls: 'download',
    fetchImage: context.fetchImage,
  });
  const names = new Set<string>();
  const messages: BedrockMessage[] = anthropicMessages.map((message) => ({
    role: message.role,
    content: message.content.flatMap((block) => convertBlock(block, names)),
  }));

  const body: BedrockConverseRequest = { messages };
  if (system.length > 0) body.system = convertSystem(system);

  const asked = request.max_completion_tokens ?? request.max_tokens ?? undefined;
  let maxTokens: number | undefined;
  let temperature = request.temperature ?? undefined;
  let topP = request.top_p ?? undefined;
  let toolChoice = tools.toolChoice;
  if (claude) {
    // Claude needs a budget for its answer (and its thinking), as on Anthropic's API.
    const claudeTarget: Target = { ...target, upstreamModel: claudeName(target.upstreamModel) };
    maxTokens = maxTokensFor(request, claudeTarget, context.claudeSettings);
    const thinking = convertThinking({
      request,
      target: claudeTarget,
      settings: context.claudeSettings,
      maxTokens,
      forcedBy: tools.forcedBy,
      openToolTurn,
      warnings,
    });
    temperature = thinking.temperature;
    topP = thinking.topP;
    if (toolChoice && thinking.releaseToolChoice) toolChoice = { type: 'auto' };
    const additional: Record<string, unknown> = {};
    if (thinking.thinking) additional['thinking'] = thinking.thinking;
    if (thinking.effort) additional['output_config'] = { effort: thinking.effort };
    if (Object.keys(additional).length > 0) body.additionalModelRequestFields = additional;
  } else {
    maxTokens =
      asked ??
      (context.settings.defaultMaxTokens === 'model'
        ? target.model?.max_output_tokens
        : context.settings.defaultMaxTokens);
    if (request.reasoning_effort !== undefined && request.reasoning_effort !== null) {
      warnings.push(
        `dropped 'reasoning_effort': the gateway asks only Claude models on Bedrock to reason (${target.upstreamModel})`,
      );
    }
  }

  const inferenceConfig: NonNullable<BedrockConverseRequest['inferenceConfig']> = {};
  if (maxTokens !== undefined) inferenceConfig.maxTokens = maxTokens;
  if (temperature !== undefined) inferenceConfig.temperature = temperature;
  if (topP !== undefined) inferenceConfig.topP = topP;
  if (request.stop !== undefined && request.stop !== null) {
    inferenceConfig.stopSequences = typeof request.stop === 'string' ? [request.stop] : [...request.stop];
  }
  if (Object.keys(inferenceConfig).length > 0) body.inferenceConfig = inferenceConfig;

  if (tools.tools.length > 0) {
    const choice = convertToolChoice(toolChoice, messages, warnings);
    if (choice.withTools) {
      body.toolConfig = { tools: convertToolSpecs(tools.tools) };
      if (choice.toolChoice) body.toolConfig.toolChoice = choice.toolChoice;
    }
  }
  return { body, jsonTool: tools.jsonTool };
}
