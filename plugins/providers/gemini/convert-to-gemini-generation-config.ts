/**
 * The OpenAI sampling, length, output-format and reasoning parameters → Gemini `generationConfig`
 * (with `thinkingConfig`).
 * @see https://ai.google.dev/api/generate-content#generationconfig
 * @see https://ai.google.dev/gemini-api/docs/thinking
 */
import type { ChatCompletionRequest } from '../../../schemas/chat.js';
import type { Target } from '../../../src/provider.js';
import type { GeminiGenerationConfig, GeminiThinkingConfig } from './gemini-api.js';
import type { GeminiRequestContext } from './convert-to-gemini-request.js';
import { convertToGeminiSchema } from './convert-to-gemini-schema.js';
import { invalidValue } from '../../../src/provider-toolkit.js';

const THINKING_MODEL = /^(models\/)?gemini-(2\.5|[3-9])/;
// Gemini 3 and later take a thinking level; 2.5 a token budget.
const LEVEL_MODEL = /^(models\/)?gemini-[3-9]/;

/** Whether the model thinks (takes `thinkingConfig`): by the catalog, else by its name. */
export function isThinkingModel(target: Target): boolean {
  if (target.model) return target.model.capabilities.includes('reasoning');
  return THINKING_MODEL.test(target.upstreamModel);
}

/**
 * `reasoning_effort` → `thinkingConfig`: a thinking level on Gemini 3, a token budget on 2.5 (the
 * budgets Google's own OpenAI-compatible endpoint uses: 1K, 8K, 24K; `none` turns thinking off).
 * @see https://ai.google.dev/gemini-api/docs/openai#thinking
 * @see https://ai.google.dev/gemini-api/docs/thinking#set-budget
 */
function convertReasoningEffort(
  effort: string,
  upstreamModel: string,
  warnings: string[],
): GeminiThinkingConfig {
  if (LEVEL_MODEL.test(upstreamModel)) {
    switch (effort) {
      case 'none':
        warnings.push(
          "reasoning_effort 'none' sent as thinkingLevel 'minimal' (this model cannot stop thinking)",
        );
        return { thinkingLevel: 'minimal' };
      case 'minimal':
      case 'low':
      case 'medium':
      case 'high':
        return { thinkingLevel: effort };
      default:
        warnings.push(`reasoning_effort '${effort}' sent as thinkingLevel 'high', the highest Gemini takes`);
        return { thinkingLevel: 'high' };
    }
  }
  switch (effort) {
    case 'none':
      return { thinkingBudget: 0 };
    case 'minimal':
    case 'low':
      return { thinkingBudget: 1024 };
    case 'medium':
      return { thinkingBudget: 8192 };
    case 'high':
      return { thinkingBudget: 24576 };
    default:
      warnings.push(`reasoning_effort '${effort}' sent as a thinking budget of 24576 tokens, as 'high'`);
      return { thinkingBudget: 24576 };
  }
}

export function convertGenerationConfig(
  request: ChatCompletionRequest,
  target: Target,
  jsonSchema: boolean,
  context: GeminiRequestContext,
): GeminiGenerationConfig | undefined {
  const config: GeminiGenerationConfig = {};
  if (request.temperature != null) config.temperature = request.temperature;
  if (request.top_p != null) config.topP = request.top_p;
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  if (maxTokens != null) config.maxOutputTokens = maxTokens;
  if (request.stop != null)
    config.stopSequences = typeof request.stop === 'string' ? [request.stop] : [...request.stop];
  if (request.n != null) config.candidateCount = request.n;
  if (request.presence_penalty != null) config.presencePenalty = request.presence_penalty;
  if (request.frequency_penalty != null) config.frequencyPenalty = request.frequency_penalty;
  if (request.seed != null) config.seed = request.seed;
  if (request.logprobs === true) {
    config.responseLogprobs = true;
    if (request.top_logprobs != null) config.logprobs = request.top_logprobs;
  } else if (request.top_logprobs != null) {
    throw invalidValue('top_logprobs', "'top_logprobs' needs 'logprobs' set to true.");
  }

  const format = request.response_format;
  if (format?.type === 'json_object') config.responseMimeType = 'application/json';
  else if (format?.type === 'json_schema') {
    config.responseMimeType = 'application/json';
    const schema = (format as { json_schema: { schema?: Record<string, unknown> } }).json_schema.schema;
    if (schema) {
      if (jsonSchema) config.responseJsonSchema = schema;
      else
        config.responseSchema = convertToGeminiSchema(
          schema,
          'response_format.json_schema.schema',
          context.warnings,
        );
    }
  }

  const thinking = isThinkingModel(target);
  let thinkingConfig: GeminiThinkingConfig | undefined;
  if (request.reasoning_effort != null) {
    if (thinking)
      thinkingConfig = convertReasoningEffort(
        request.reasoning_effort,
        target.upstreamModel,
        context.warnings,
      );
    else context.warnings.push(`dropped 'reasoning_effort': ${target.upstreamModel} does not think`);
  }
  if (thinking && context.settings.thoughts === 'expose') {
    // Thought summaries, returned as reasoning_content; a model with thinking turned off has none.
    if (thinkingConfig?.thinkingBudget !== 0) thinkingConfig = { ...thinkingConfig, includeThoughts: true };
  }
  if (thinkingConfig) config.thinkingConfig = thinkingConfig;
  return Object.keys(config).length > 0 ? config : undefined;
}
