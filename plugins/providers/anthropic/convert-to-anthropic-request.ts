/**
 * An OpenAI chat completion request → an Anthropic Messages request, and the `anthropic-beta`
 * values to send with it. The work is split by concern: messages and content
 * (convert-to-anthropic-messages.ts), tools and JSON answers (convert-to-anthropic-tools.ts),
 * reasoning (convert-to-anthropic-thinking.ts), cache breakpoints (anthropic-cache-control.ts);
 * this file puts the request together and maps the plain parameters.
 * @see https://docs.anthropic.com/en/api/messages
 * @see https://docs.anthropic.com/en/api/openai-sdk
 */
import type { ChatCompletionRequest } from '../../../schemas/chat.js';
import type { GatewayOptions } from '../../../schemas/options.js';
import { GatewayError } from '../../../src/errors.js';
import { refuseOrDropParameters } from '../../../src/parameters.js';
import type { Target } from '../../../src/provider.js';
import { mergeBetas, type AnthropicMessagesRequest, type AnthropicOutputConfig } from './anthropic-api.js';
import { applyAutomaticCaching } from './anthropic-cache-control.js';
import { takesStructuredOutput } from './anthropic-models.js';
import { BetaNameSchema, forModel, type AnthropicSettings } from './anthropic-options.js';
import { convertMessages, type MessagesContext } from './convert-to-anthropic-messages.js';
import { convertThinking } from './convert-to-anthropic-thinking.js';
import { convertTools } from './convert-to-anthropic-tools.js';

/** The extension field of the request body that carries Anthropic-only settings. */
export const ANTHROPIC_EXTENSION_FIELD = 'anthropic';

/**
 * `max_tokens` when the client set none and the catalog does not know the model's output limit:
 * enough for an ordinary answer, small enough not to tie up Anthropic's output-token rate limit.
 */
export const FALLBACK_MAX_TOKENS = 4096;

/**
 * The OpenAI request parameters this converter honours (design rule 9: anything else is dropped
 * with a warning or refused). `n` is honoured only as 1, checked here.
 */
export const ANTHROPIC_CHAT_PARAMETERS: ReadonlySet<string> = new Set([
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
  'parallel_tool_calls',
  'functions',
  'function_call',
  'response_format',
  'reasoning_effort',
  'user',
  'safety_identifier',
  ANTHROPIC_EXTENSION_FIELD,
]);

export interface AnthropicRequestContext extends MessagesContext {
  readonly settings: AnthropicSettings;
  /** What to do with a parameter value the converter itself finds it cannot honour (`n` > 1). */
  readonly unsupportedParameters: GatewayOptions['unsupportedParameters'];
}

export interface ConvertedRequest {
  body: AnthropicMessagesRequest;
  /** The instance's, the model's and the request's betas, each once. */
  betas: string[];
  /** The tool whose input is the answer, when `response_format` is served by a forced tool. */
  jsonTool: string | undefined;
}

function extensionError(param: string, message: string, code = 'invalid_value'): GatewayError {
  return new GatewayError('GW_ERR_REQUEST_VALIDATION', { message, param, code });
}

const BETA_NAME = new RegExp(BetaNameSchema.pattern!);

/** The request's own betas (`anthropic.betas`), checked field by field. */
function requestBetas(request: ChatCompletionRequest, settings: AnthropicSettings): string[] {
  const extension = (request as Record<string, unknown>)[ANTHROPIC_EXTENSION_FIELD];
  if (extension === undefined || extension === null) return [];
  const field = ANTHROPIC_EXTENSION_FIELD;
  if (typeof extension !== 'object' || Array.isArray(extension)) {
    throw extensionError(field, `Invalid type for '${field}': expected object.`, 'invalid_type');
  }
  for (const key of Object.keys(extension)) {
    if (key !== 'betas') {
      throw extensionError(
        `${field}.${key}`,
        `Unrecognized parameter: '${field}.${key}'. '${field}' takes only 'betas'.`,
        'unknown_parameter',
      );
    }
  }
  const list = (extension as { betas?: unknown }).betas;
  if (list === undefined || list === null) return [];
  const param = `${field}.betas`;
  if (!settings.allowRequestBetas) {
    throw new GatewayError('GW_ERR_REQUEST_UNSUPPORTED_PARAMETER', {
      message: `'${param}' is turned off on this gateway: betas are set by its configuration.`,
      param,
    });
  }
  if (!Array.isArray(list)) {
    throw extensionError(param, `Invalid type for '${param}': expected array of strings.`, 'invalid_type');
  }
  return list.map((beta: unknown, index) => {
    if (typeof beta !== 'string' || !BETA_NAME.test(beta)) {
      throw extensionError(
        `${param}[${index}]`,
        `'${param}[${index}]' must be a beta name such as 'interleaved-thinking-2025-05-14'.`,
      );
    }
    return beta;
  });
}

/** `max_tokens`: the client's (`max_completion_tokens` first), else the instance's default policy. */
export function maxTokensFor(
  request: ChatCompletionRequest,
  target: Target,
  settings: AnthropicSettings,
): number {
  const asked = request.max_completion_tokens ?? request.max_tokens;
  if (asked !== undefined && asked !== null) return asked;
  if (settings.defaultMaxTokens !== 'model') return settings.defaultMaxTokens;
  return target.model?.max_output_tokens ?? FALLBACK_MAX_TOKENS;
}

export async function convertToAnthropicRequest(
  request: ChatCompletionRequest,
  target: Target,
  context: AnthropicRequestContext,
): Promise<ConvertedRequest> {
  const { settings, warnings } = context;
  // Everything that can refuse the request is checked before the messages, whose image URLs may
  // cost downloads.
  const fromRequest = requestBetas(request, settings);
  if (request.n !== undefined && request.n !== null && request.n > 1) {
    // Claude gives one answer per request.
    refuseOrDropParameters(
      [{ param: 'n', label: `n=${request.n}` }],
      target,
      context.unsupportedParameters,
      warnings,
    );
  }
  const tools = convertTools(request, takesStructuredOutput(target), warnings);
  const maxTokens = maxTokensFor(request, target, settings);
  const { system, messages, openToolTurn } = await convertMessages(request.messages, context);
  const thinking = convertThinking({
    request,
    target,
    settings,
    maxTokens,
    forcedBy: tools.forcedBy,
    openToolTurn,
    warnings,
  });

  const body: AnthropicMessagesRequest = { model: target.upstreamModel, max_tokens: maxTokens, messages };
  if (system.length > 0) body.system = system;
  if (thinking.temperature !== undefined) body.temperature = thinking.temperature;
  if (thinking.topP !== undefined) body.top_p = thinking.topP;
  if (request.stop !== undefined && request.stop !== null) {
    body.stop_sequences = typeof request.stop === 'string' ? [request.stop] : [...request.stop];
  }
  const endUser = request.safety_identifier ?? request.user;
  if (endUser) body.metadata = { user_id: endUser };
  if (tools.tools.length > 0) body.tools = tools.tools;
  let toolChoice = tools.toolChoice;
  if (toolChoice && thinking.releaseToolChoice) {
    const parallel =
      'disable_parallel_tool_use' in toolChoice ? toolChoice.disable_parallel_tool_use : undefined;
    toolChoice = parallel ? { type: 'auto', disable_parallel_tool_use: true } : { type: 'auto' };
  }
  if (toolChoice) body.tool_choice = toolChoice;
  if (thinking.thinking) body.thinking = thinking.thinking;
  const outputConfig: AnthropicOutputConfig = {};
  if (thinking.effort) outputConfig.effort = thinking.effort;
  if (tools.outputFormat) outputConfig.format = tools.outputFormat;
  if (Object.keys(outputConfig).length > 0) body.output_config = outputConfig;
  applyAutomaticCaching(body, settings.promptCaching, warnings);

  const betas = mergeBetas(
    settings.betas,
    forModel(settings.modelBetas, target.model?.id, target.upstreamModel),
    fromRequest,
  );
  return { body, betas, jsonTool: tools.jsonTool };
}
