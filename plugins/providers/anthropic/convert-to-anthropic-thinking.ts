/**
 * `reasoning_effort` → extended thinking, and what thinking rules out.
 *
 * Claude 4.6 and later think adaptively (`thinking: {type: "adaptive"}`, the effort in
 * `output_config.effort`); earlier models within a token budget (`thinking: {type: "enabled",
 * budget_tokens}`, the instance's `thinkingBudgets`). While it thinks Claude takes no temperature,
 * a `top_p` only from 0.95 to 1, and no forced tool call; the budget must be below `max_tokens`;
 * and it cannot start thinking in the middle of a tool-use turn whose thinking it was not given
 * back. Each of these is resolved with a warning, never silently.
 * @see https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking#feature-compatibility
 * @see https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking#extended-thinking-with-tool-use
 * @see https://docs.anthropic.com/en/docs/build-with-claude/adaptive-thinking
 * @see https://docs.anthropic.com/en/docs/build-with-claude/effort
 */
import type { ChatCompletionRequest } from '../../../schemas/chat.js';
import type { Target } from '../../../src/provider.js';
import type { AnthropicThinkingConfig } from './anthropic-api.js';
import { canThink, thinkingModeOf } from './anthropic-models.js';
import type { AnthropicSettings, ThinkingBudgets } from './anthropic-options.js';
import type { ConvertedMessages } from './convert-to-anthropic-messages.js';
import type { ConvertedTools } from './convert-to-anthropic-tools.js';

/** Anthropic's smallest thinking budget. */
export const MIN_THINKING_BUDGET = 1024;

/** The lowest `top_p` Claude takes while thinking. */
const MIN_THINKING_TOP_P = 0.95;

export interface ThinkingInput {
  readonly request: ChatCompletionRequest;
  readonly target: Target;
  readonly settings: AnthropicSettings;
  /** The request's `max_tokens` (the client's or the default). */
  readonly maxTokens: number;
  readonly forcedBy: ConvertedTools['forcedBy'];
  readonly openToolTurn: ConvertedMessages['openToolTurn'];
  readonly warnings: string[];
}

export interface ConvertedThinking {
  thinking: AnthropicThinkingConfig | undefined;
  effort: string | undefined;
  temperature: number | undefined;
  topP: number | undefined;
  /** A forced tool call the client asked for cannot be made while thinking: the choice becomes `auto`. */
  releaseToolChoice: boolean;
}

function withoutThinking(request: ChatCompletionRequest): ConvertedThinking {
  return {
    thinking: undefined,
    effort: undefined,
    temperature: request.temperature ?? undefined,
    topP: request.top_p ?? undefined,
    releaseToolChoice: false,
  };
}

export function convertThinking(input: ThinkingInput): ConvertedThinking {
  const { request, target, warnings } = input;
  const effort = request.reasoning_effort;
  if (effort === undefined || effort === null) return withoutThinking(request);
  if (!canThink(target)) {
    warnings.push(`dropped 'reasoning_effort': ${target.upstreamModel} does not think`);
    return withoutThinking(request);
  }
  if (effort === 'none') return { ...withoutThinking(request), thinking: { type: 'disabled' } };
  if (input.forcedBy === 'response_format') {
    warnings.push(
      "dropped 'reasoning_effort': this JSON answer is a forced tool call, which Claude cannot make while it thinks",
    );
    return withoutThinking(request);
  }
  if (input.openToolTurn && !input.openToolTurn.thinks) {
    warnings.push(
      "dropped 'reasoning_effort': the assistant turn this request continues has no thinking blocks " +
        '(send the assistant message back with its extra_content.anthropic.thinking_blocks)',
    );
    return withoutThinking(request);
  }

  let thinking: AnthropicThinkingConfig;
  let anthropicEffort: string | undefined;
  if (thinkingModeOf(target, input.settings) === 'adaptive') {
    thinking = { type: 'adaptive' };
    if (effort === 'minimal') {
      warnings.push("reasoning_effort 'minimal' sent as effort 'low', the lowest Claude takes");
      anthropicEffort = 'low';
    } else anthropicEffort = effort;
  } else {
    let budget = input.settings.thinkingBudgets[effort as keyof ThinkingBudgets];
    if (budget >= input.maxTokens) {
      if (input.maxTokens - 1 < MIN_THINKING_BUDGET) {
        warnings.push(
          `dropped 'reasoning_effort': max_tokens ${input.maxTokens} leaves no room for Claude's smallest thinking budget (${MIN_THINKING_BUDGET} tokens)`,
        );
        return withoutThinking(request);
      }
      warnings.push(
        `thinking budget for reasoning_effort '${effort}' lowered from ${budget} to ${input.maxTokens - 1} tokens to stay below max_tokens`,
      );
      budget = input.maxTokens - 1;
    }
    thinking = { type: 'enabled', budget_tokens: budget };
  }

  let temperature = request.temperature ?? undefined;
  if (temperature !== undefined && temperature !== 1) {
    warnings.push(`dropped 'temperature' (${temperature}): Claude takes no temperature while it thinks`);
    temperature = undefined;
  }
  let topP = request.top_p ?? undefined;
  if (topP !== undefined && topP < MIN_THINKING_TOP_P) {
    warnings.push(
      `dropped 'top_p' (${topP}): Claude takes a top_p from ${MIN_THINKING_TOP_P} to 1 while it thinks`,
    );
    topP = undefined;
  }
  const releaseToolChoice = input.forcedBy === 'client';
  if (releaseToolChoice) {
    warnings.push("'tool_choice' sent as 'auto': Claude cannot be made to call a tool while it thinks");
  }
  return { thinking, effort: anthropicEffort, temperature, topP, releaseToolChoice };
}
