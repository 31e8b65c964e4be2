/**
 * An Anthropic Messages request → the gateway's internal chat request, for a model that is not
 * served through Anthropic's own API; and, for each attempt, that request fitted to the deployment
 * that will serve it (the parameter policy, the model's limits).
 *
 * | Anthropic                                  | chat request                                                 |
 * | ------------------------------------------ | ------------------------------------------------------------ |
 * | `model`                                    | `model`                                                      |
 * | `system`, `messages`                       | `messages` (convert-to-chat-messages.ts)                     |
 * | `max_tokens`                               | `max_completion_tokens`                                      |
 * | `stream`                                   | `stream`, with `stream_options.include_usage`                |
 * | `stop_sequences`                           | `stop`                                                       |
 * | `temperature`, `top_p`                     | `temperature`, `top_p`                                       |
 * | `metadata.user_id`                         | `user`                                                       |
 * | `tools`, `tool_choice`                     | function `tools`, `tool_choice`, `parallel_tool_calls`       |
 * | `thinking: enabled` with `budget_tokens`   | `reasoning_effort` by the budget table (map-thinking-budget) |
 * | `output_config.effort`                     | `reasoning_effort` (wins over a budget)                      |
 * | `output_config.format` (JSON schema)       | `response_format: json_schema`                               |
 * | `cache_control` (anywhere)                 | not sent, with a warning                                     |
 * | `top_k`, any other field                   | unsupported: UNSUPPORTED_PARAMETERS                          |
 * @see https://docs.anthropic.com/en/api/messages
 */
import type { ChatCompletionRequest } from '../../../schemas/chat.js';
import type { GatewayOptions } from '../../../schemas/options.js';
import {
  applyParameterPolicy,
  refuseOrDropParameters,
  type UnsupportedParameter,
} from '../../../src/parameters.js';
import type { Target } from '../../../src/provider.js';
import { convertToChatMessages, type ConversionNotes } from './convert-to-chat-messages.js';
import { convertToChatTools } from './convert-to-chat-tools.js';
import { mapThinkingBudget } from './map-thinking-budget.js';
import type { MessagesRequest } from './messages-schema.js';

/** The fields converted above; any other top-level field is unsupported. */
const CONVERTED_FIELDS = new Set([
  'model',
  'messages',
  'system',
  'max_tokens',
  'stream',
  'stop_sequences',
  'temperature',
  'top_p',
  'metadata',
  'tools',
  'tool_choice',
  'thinking',
  'output_config',
  'cache_control',
]);

/** `output_config` fields converted above. */
const OUTPUT_CONFIG_FIELDS = new Set(['effort', 'format']);

/** The chat fields the conversion writes, by the name the client gave them (for warnings and errors). */
export const ANTHROPIC_NAMES: Readonly<Record<string, string>> = {
  max_completion_tokens: 'max_tokens',
  stream_options: 'stream',
  stop: 'stop_sequences',
  user: 'metadata.user_id',
  reasoning_effort: 'thinking',
  response_format: 'output_config.format',
  parallel_tool_calls: 'tool_choice.disable_parallel_tool_use',
};

export interface ChatConversion {
  readonly request: ChatCompletionRequest;
  /** Fields without a counterpart in the chat shape, for each attempt's parameter policy. */
  readonly unsupported: readonly UnsupportedParameter[];
  readonly notes: Readonly<ConversionNotes>;
  /** Whether the client asked for thinking (its text is returned as thinking blocks only then). */
  readonly thinking: boolean;
  /** `thinking.display: omitted`: thinking blocks are returned without their text. */
  readonly omitThinking: boolean;
}

export function convertToChatRequest(body: MessagesRequest): ChatConversion {
  const notes: ConversionNotes = { cacheBreakpoints: 0, droppedThinkingBlocks: 0 };
  const unsupported: UnsupportedParameter[] = [];
  const request: Record<string, unknown> = {
    model: body.model,
    messages: convertToChatMessages(body.system, body.messages, notes),
    max_completion_tokens: body.max_tokens,
  };
  if (body.stream === true) {
    request['stream'] = true;
    // The usage comes in a last chunk only when asked for; the answer's message_delta needs it.
    request['stream_options'] = { include_usage: true };
  }
  if (body.stop_sequences && body.stop_sequences.length > 0) request['stop'] = body.stop_sequences;
  if (body.temperature != null) request['temperature'] = body.temperature;
  if (body.top_p != null) request['top_p'] = body.top_p;
  if (body.metadata?.user_id != null) request['user'] = body.metadata.user_id;
  if (body.cache_control != null) notes.cacheBreakpoints++;

  const tools = convertToChatTools(body.tools, body.tool_choice);
  notes.cacheBreakpoints += tools.cacheBreakpoints;
  unsupported.push(...tools.unsupported);
  if (tools.tools) request['tools'] = tools.tools;
  if (tools.tool_choice !== undefined) request['tool_choice'] = tools.tool_choice;
  if (tools.parallel_tool_calls !== undefined) request['parallel_tool_calls'] = tools.parallel_tool_calls;

  const thinking = body.thinking;
  const effort = body.output_config?.effort;
  if (effort != null) request['reasoning_effort'] = effort;
  else if (thinking?.type === 'enabled')
    request['reasoning_effort'] = mapThinkingBudget(thinking.budget_tokens);

  const format = body.output_config?.format;
  if (format != null) {
    request['response_format'] = {
      type: 'json_schema',
      json_schema: { name: 'output', schema: format.schema },
    };
  }
  for (const [field, value] of Object.entries(body.output_config ?? {})) {
    if (!OUTPUT_CONFIG_FIELDS.has(field) && value !== undefined && value !== null) {
      unsupported.push({ param: `output_config.${field}` });
    }
  }
  for (const [field, value] of Object.entries(body)) {
    if (!CONVERTED_FIELDS.has(field) && value !== undefined && value !== null)
      unsupported.push({ param: field });
  }

  const asked = thinking !== undefined && thinking.type !== 'disabled';
  return {
    request: request as ChatCompletionRequest,
    unsupported,
    notes,
    thinking: asked || effort != null,
    omitThinking: asked && 'display' in thinking && thinking.display === 'omitted',
  };
}

/**
 * The converted request fitted to one deployment: what it cannot honour dropped with a warning or
 * refused (UNSUPPORTED_PARAMETERS), named as the client named it; thinking left out for a catalog
 * model that does not reason; `max_tokens` lowered to the most the catalog model writes (Anthropic
 * makes every client choose a `max_tokens` without knowing which model will serve it, so a value
 * above the serving model's limit is a ceiling, not a request for more).
 */
export function fitChatRequest(
  conversion: ChatConversion,
  target: Target,
  supported: ReadonlySet<string> | 'all',
  policy: GatewayOptions['unsupportedParameters'],
  warnings: string[],
): ChatCompletionRequest {
  refuseOrDropParameters(conversion.unsupported, target, policy, warnings);
  const where = target.model ? `'${target.model.id}'` : `'${target.deploymentId}'`;
  const { cacheBreakpoints, droppedThinkingBlocks } = conversion.notes;
  if (cacheBreakpoints > 0) {
    warnings.push(
      `${cacheBreakpoints} cache_control breakpoint${cacheBreakpoints > 1 ? 's' : ''} not sent: ${where} is not served by the Messages API`,
    );
  }
  if (droppedThinkingBlocks > 0) {
    warnings.push(
      `${droppedThinkingBlocks} thinking block${droppedThinkingBlocks > 1 ? 's' : ''} of earlier turns not sent to ${where} (only Claude reads them)`,
    );
  }
  let request = conversion.request;
  const model = target.model;
  if (request.reasoning_effort != null && model && !model.capabilities.includes('reasoning')) {
    refuseOrDropParameters([{ param: 'thinking' }], target, policy, warnings);
    request = { ...request, reasoning_effort: undefined };
  }
  const limit = model?.max_output_tokens;
  const asked = request.max_completion_tokens;
  if (limit !== undefined && asked != null && asked > limit) {
    warnings.push(`max_tokens ${asked} lowered to ${limit}, the most ${where} writes`);
    request = { ...request, max_completion_tokens: limit };
  }
  return applyParameterPolicy(request, target, supported, policy, warnings, ANTHROPIC_NAMES);
}
