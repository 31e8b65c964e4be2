/**
 * A chat completion → an Anthropic message, for a model not served through Anthropic's own API.
 *
 * Blocks, in Anthropic's order: the reasoning text as a `thinking` block (when the client asked for
 * thinking), the text as a `text` block (a refusal's explanation when the model refused), each tool
 * call as a `tool_use` block (its JSON arguments parsed into `input`), and last, when the serving
 * provider attached something for the next turn, the gateway's carrier block
 * (gateway-thinking-blocks.ts). `stop_reason` from `finish_reason` (map-finish-reason.ts), `usage`
 * in Anthropic's terms (convert-usage.ts). The id is `msg_` and the completion's own.
 * @see https://docs.anthropic.com/en/api/messages#response-content
 */
import { randomUUID } from 'node:crypto';
import type { ChatUsageWire } from '../../../src/provider-toolkit.js';
import { UpstreamFailure } from '../../../src/upstream.js';
import { convertChatUsage, type MessagesUsage } from './convert-usage.js';
import {
  createCarrierBlock,
  createThinkingBlock,
  type GatewayRedactedThinkingBlock,
  type GatewayThinkingBlock,
} from './gateway-thinking-blocks.js';
import { mapFinishReason, type StopReason } from './map-finish-reason.js';

/** A tool call of a chat answer, as read (lenient: any field may be missing). */
export interface ChatToolCallWire {
  index?: number | null;
  id?: string | null;
  type?: string | null;
  function?: { name?: string | null; arguments?: string | null } | null;
  extra_content?: unknown;
}

/** A chat completion, as read: only what the conversion uses is typed. */
export interface ChatCompletionWire {
  id?: string | null;
  model?: string | null;
  choices?:
    | {
        message?: {
          content?: string | null;
          reasoning_content?: string | null;
          refusal?: string | null;
          tool_calls?: ChatToolCallWire[] | null;
          extra_content?: unknown;
        } | null;
        finish_reason?: string | null;
      }[]
    | null;
  usage?: ChatUsageWire | null;
}

export interface TextBlock {
  type: 'text';
  text: string;
  citations: null;
}

export interface ToolUseBlock {
  type: 'tool_use';
  id: string;
  name: string;
  input: Record<string, unknown>;
}

export type MessageBlock = TextBlock | ToolUseBlock | GatewayThinkingBlock | GatewayRedactedThinkingBlock;

/** An answer of the Messages API. */
export interface MessagesAnswer {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: MessageBlock[];
  stop_reason: StopReason;
  stop_sequence: null;
  usage: MessagesUsage;
}

export interface AnswerOptions {
  /** Return the reasoning text as thinking blocks (the client asked for thinking). */
  readonly thinking: boolean;
  /** `display: omitted`: the thinking blocks without their text. */
  readonly omitThinking: boolean;
  /** Notes for the client about what could not be carried over (`x-gateway-warnings`). */
  readonly warnings: string[];
}

/** `msg_` and the completion's own id (without its `chatcmpl-`), or a fresh one. */
export function createMessageId(completionId: string | null | undefined): string {
  const own = completionId?.replace(/^chatcmpl-/, '');
  return `msg_${own || randomUUID().replaceAll('-', '')}`;
}

/**
 * A tool call's JSON arguments as the object Anthropic's `input` must be; arguments that are not a
 * JSON object (a call cut short by the output limit) become `{}`, with a warning.
 */
export function parseToolInput(
  text: string | null | undefined,
  callId: string,
  warnings: string[],
): Record<string, unknown> {
  if (!text || text.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
      return parsed as Record<string, unknown>;
    }
  } catch {
    // Reported below.
  }
  warnings.push(`the arguments of tool call ${callId} are not a JSON object; its input is sent as {}`);
  return {};
}

export function convertChatCompletion(
  completion: ChatCompletionWire,
  options: AnswerOptions,
): MessagesAnswer {
  const choice = completion.choices?.[0];
  if (!choice) {
    throw new UpstreamFailure('GW_ERR_UPSTREAM_BAD_RESPONSE', 'bad_response', {
      message: 'The provider answered without a choice.',
    });
  }
  const message = choice.message ?? {};
  const content: MessageBlock[] = [];
  if (options.thinking && message.reasoning_content) {
    content.push(createThinkingBlock(options.omitThinking ? '' : message.reasoning_content));
  }
  const text = message.content || (choice.finish_reason === 'content_filter' ? message.refusal : undefined);
  if (text) content.push({ type: 'text', text, citations: null });
  const extensions: Record<string, unknown> = {};
  for (const call of message.tool_calls ?? []) {
    const id = call.id || `toolu_${randomUUID().replaceAll('-', '')}`;
    content.push({
      type: 'tool_use',
      id,
      name: call.function?.name ?? '',
      input: parseToolInput(call.function?.arguments, id, options.warnings),
    });
    if (call.extra_content !== undefined && call.extra_content !== null) extensions[id] = call.extra_content;
  }
  const carrier = createCarrierBlock({ toolCalls: extensions, message: message.extra_content ?? undefined });
  if (carrier) content.push(carrier);
  const usage = convertChatUsage(completion.usage);
  if (!usage) options.warnings.push('the provider reported no usage; the usage is given as 0');
  return {
    id: createMessageId(completion.id),
    type: 'message',
    role: 'assistant',
    model: completion.model ?? '',
    content,
    stop_reason:
      (message.tool_calls?.length ?? 0) > 0 && choice.finish_reason === 'stop'
        ? 'tool_use'
        : mapFinishReason(choice.finish_reason),
    stop_sequence: null,
    usage: usage ?? {
      input_tokens: 0,
      output_tokens: 0,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    },
  };
}
