/**
 * Gemini `generationConfig` → the chat completion's sampling, length, output-format and reasoning
 * parameters.
 * @see https://ai.google.dev/api/generate-content#generationconfig
 * @see https://ai.google.dev/gemini-api/docs/structured-output
 * @see https://ai.google.dev/gemini-api/docs/thinking
 *
 * - `temperature`, `topP`, `candidateCount`, `maxOutputTokens`, `stopSequences`, `presencePenalty`,
 *   `frequencyPenalty`, `seed`, `responseLogprobs` and `logprobs` have a parameter each;
 * - `responseMimeType: application/json` → `response_format` `json_schema` with the schema
 *   (`responseJsonSchema` as written, `responseSchema` rewritten from Gemini's Schema), or
 *   `json_object` without one; `text/plain` is the default;
 * - `thinkingConfig` → `reasoning_effort`: a level as it is (`minimal`…`high`); a budget of 0 →
 *   `none`, up to 1024 → `low`, up to 8192 → `medium`, above → `high`, -1 (dynamic) → the model's
 *   default; `includeThoughts` → the reasoning text comes back as thought parts;
 * - anything else (`topK`, `responseModalities` other than text, `speechConfig`, `mediaResolution`,
 *   the `text/x.enum` type, …) is named in a warning, or refused.
 */
import type { ChatCompletionRequest } from '../../../schemas/chat.js';
import { convertGeminiSchema } from './convert-gemini-schema.js';
import type { GenerateContentRequest } from './gemini-schemas.js';
import type { TranslationNotes } from './translation-notes.js';

type GenerationConfig = NonNullable<GenerateContentRequest['generationConfig']>;

const READ_FIELDS = new Set([
  'temperature',
  'topP',
  'candidateCount',
  'maxOutputTokens',
  'stopSequences',
  'presencePenalty',
  'frequencyPenalty',
  'seed',
  'responseLogprobs',
  'logprobs',
  'responseMimeType',
  'responseSchema',
  'responseJsonSchema',
  'responseModalities',
  'thinkingConfig',
]);

const THINKING_FIELDS = new Set(['includeThoughts', 'thinkingBudget', 'thinkingLevel']);

type Effort = NonNullable<ChatCompletionRequest['reasoning_effort']>;

function effortOfBudget(budget: number): Effort | undefined {
  if (budget < 0) return undefined;
  if (budget === 0) return 'none';
  if (budget <= 1024) return 'low';
  if (budget <= 8192) return 'medium';
  return 'high';
}

export interface ConvertedGenerationConfig {
  readonly parameters: Partial<ChatCompletionRequest>;
  /** `thinkingConfig.includeThoughts`: reasoning text is returned as thought parts. */
  readonly includeThoughts: boolean;
}

export function convertGeminiGenerationConfig(
  config: GenerationConfig | undefined,
  notes: TranslationNotes,
): ConvertedGenerationConfig {
  const parameters: Partial<ChatCompletionRequest> = {};
  if (!config) return { parameters, includeThoughts: false };
  for (const key of Object.keys(config)) {
    if (!READ_FIELDS.has(key)) notes.unsupported.push({ param: `generationConfig.${key}` });
  }
  if (config.temperature !== undefined) parameters.temperature = config.temperature;
  if (config.topP !== undefined) parameters.top_p = config.topP;
  if (config.candidateCount !== undefined) parameters.n = config.candidateCount;
  if (config.maxOutputTokens !== undefined) parameters.max_completion_tokens = config.maxOutputTokens;
  if (config.stopSequences !== undefined && config.stopSequences.length > 0)
    parameters.stop = config.stopSequences;
  if (config.presencePenalty !== undefined) parameters.presence_penalty = config.presencePenalty;
  if (config.frequencyPenalty !== undefined) parameters.frequency_penalty = config.frequencyPenalty;
  if (config.seed !== undefined) parameters.seed = config.seed;
  if (config.responseLogprobs === true) {
    parameters.logprobs = true;
    if (config.logprobs !== undefined) parameters.top_logprobs = config.logprobs;
  }

  const modalities = (config.responseModalities ?? []).filter(
    (modality) => modality.toUpperCase() !== 'TEXT',
  );
  if (modalities.length > 0) {
    notes.unsupported.push({
      param: 'generationConfig.responseModalities',
      label: `generationConfig.responseModalities ${modalities.join(', ')}`,
    });
  }

  const mimeType = config.responseMimeType?.toLowerCase();
  if (mimeType === 'application/json') {
    const schema =
      config.responseJsonSchema !== undefined
        ? config.responseJsonSchema
        : config.responseSchema !== undefined
          ? convertGeminiSchema(config.responseSchema)
          : undefined;
    parameters.response_format =
      schema !== undefined && schema !== null && typeof schema === 'object'
        ? {
            type: 'json_schema',
            json_schema: { name: 'response', schema: schema as Record<string, unknown> },
          }
        : { type: 'json_object' };
  } else if (mimeType !== undefined && mimeType !== 'text/plain') {
    notes.unsupported.push({
      param: 'generationConfig.responseMimeType',
      label: `generationConfig.responseMimeType ${config.responseMimeType}`,
    });
  } else if (config.responseSchema !== undefined || config.responseJsonSchema !== undefined) {
    // Gemini itself refuses a schema without a JSON type; kept aside for the translated targets.
    notes.unsupported.push({ param: 'generationConfig.responseSchema' });
  }

  const thinking = config.thinkingConfig;
  let includeThoughts = false;
  if (thinking) {
    for (const key of Object.keys(thinking)) {
      if (!THINKING_FIELDS.has(key))
        notes.unsupported.push({ param: `generationConfig.thinkingConfig.${key}` });
    }
    includeThoughts = thinking.includeThoughts === true;
    const level = thinking.thinkingLevel?.toLowerCase();
    const effort =
      level && level !== 'thinking_level_unspecified'
        ? (level as Effort)
        : thinking.thinkingBudget !== undefined
          ? effortOfBudget(thinking.thinkingBudget)
          : undefined;
    if (effort) parameters.reasoning_effort = effort;
  }
  return { parameters, includeThoughts };
}
