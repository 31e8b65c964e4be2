/**
 * A Gemini `generateContent` request → the gateway's internal request (a chat completion request),
 * assembled from the converters of each concern: contents (convert-gemini-contents.ts), tools
 * (convert-gemini-tools.ts) and generation settings (convert-gemini-generation-config.ts).
 * @see https://ai.google.dev/api/generate-content#request-body
 *
 * What the internal request cannot carry is noted, not acted on (translation-notes.ts): the same
 * request may go to a Gemini deployment unchanged. Safety settings have no counterpart on the other
 * providers; a cached content is a prompt kept at Google, which only Gemini deployments can read.
 */
import type { ChatCompletionRequest } from '../../../schemas/chat.js';
import { unsupportedContent } from '../../../src/provider-toolkit.js';
import { convertGeminiContents } from './convert-gemini-contents.js';
import { convertGeminiGenerationConfig } from './convert-gemini-generation-config.js';
import { convertGeminiTools } from './convert-gemini-tools.js';
import type { GenerateContentRequest } from './gemini-schemas.js';
import { createTranslationNotes, type TranslationNotes } from './translation-notes.js';

/** Top-level fields the translation reads (`model` is the URL's). */
const READ_FIELDS = new Set([
  'model',
  'contents',
  'systemInstruction',
  'tools',
  'toolConfig',
  'generationConfig',
  'cachedContent',
]);

/**
 * How a Gemini client named each chat parameter the translation sets, so that a warning or a refusal
 * about one (the parameter policy) names the field the client sent.
 */
export const CLIENT_NAMES: Readonly<Record<string, string>> = {
  temperature: 'generationConfig.temperature',
  top_p: 'generationConfig.topP',
  n: 'generationConfig.candidateCount',
  max_completion_tokens: 'generationConfig.maxOutputTokens',
  stop: 'generationConfig.stopSequences',
  presence_penalty: 'generationConfig.presencePenalty',
  frequency_penalty: 'generationConfig.frequencyPenalty',
  seed: 'generationConfig.seed',
  logprobs: 'generationConfig.responseLogprobs',
  top_logprobs: 'generationConfig.logprobs',
  response_format: 'generationConfig.responseMimeType',
  reasoning_effort: 'generationConfig.thinkingConfig',
  tools: 'tools',
  tool_choice: 'toolConfig.functionCallingConfig',
  stream_options: 'streamGenerateContent',
};

export interface GeminiTranslation {
  /** The internal request, for `model`; `stream` set as the method says. */
  readonly request: ChatCompletionRequest;
  readonly notes: TranslationNotes;
  /** The client asked for thought summaries (`thinkingConfig.includeThoughts`). */
  readonly includeThoughts: boolean;
}

export function convertGeminiRequest(
  body: GenerateContentRequest,
  model: string,
  stream: boolean,
): GeminiTranslation {
  const notes = createTranslationNotes();
  for (const key of Object.keys(body)) if (!READ_FIELDS.has(key)) notes.unsupported.push({ param: key });
  if (body.cachedContent !== undefined) {
    notes.refusals.push(
      unsupportedContent(
        'cachedContent',
        `'cachedContent' (${body.cachedContent}) is a prompt kept by Gemini, which only Gemini models can read; send its contents instead.`,
      ),
    );
  }
  const messages = convertGeminiContents(body.contents, body.systemInstruction, notes);
  const { parameters, includeThoughts } = convertGeminiGenerationConfig(body.generationConfig, notes);
  const request: ChatCompletionRequest = {
    model,
    messages,
    ...convertGeminiTools(body, notes),
    ...parameters,
  };
  // Gemini's answers always carry their usage; asking for it is how the last event can too.
  if (stream) {
    request.stream = true;
    request.stream_options = { include_usage: true };
  }
  return { request, notes, includeThoughts };
}
