/**
 * An OpenAI chat completion request → a Gemini `generateContent` request, assembled from the
 * converters of each concern: messages (convert-to-gemini-messages.ts), tools
 * (convert-to-gemini-tools.ts), sampling and reasoning (convert-to-gemini-generation-config.ts) and
 * safety settings (convert-to-gemini-safety-settings.ts).
 * @see https://ai.google.dev/api/generate-content#request-body
 */
import type { ChatCompletionRequest } from '../../../schemas/chat.js';
import type { Target } from '../../../src/provider.js';
import type { GeminiGenerateContentRequest } from './gemini-api.js';
import { takesJsonSchema } from './convert-to-gemini-schema.js';
import { convertGenerationConfig } from './convert-to-gemini-generation-config.js';
import { convertMessages } from './convert-to-gemini-messages.js';
import { GEMINI_EXTENSION_FIELD, requestSafetySettings } from './convert-to-gemini-safety-settings.js';
import { convertTools } from './convert-to-gemini-tools.js';
import { mergeSafetySettings, type GeminiSettings } from './gemini-options.js';

export { GEMINI_EXTENSION_FIELD };
export { isThinkingModel } from './convert-to-gemini-generation-config.js';

/** The OpenAI request parameters this converter honours (design rule 9: anything else is declared). */
export const GEMINI_CHAT_PARAMETERS: ReadonlySet<string> = new Set([
  'model',
  'messages',
  'stream',
  'stream_options',
  'temperature',
  'top_p',
  'n',
  'max_tokens',
  'max_completion_tokens',
  'presence_penalty',
  'frequency_penalty',
  'logprobs',
  'top_logprobs',
  'seed',
  'stop',
  'tools',
  'tool_choice',
  'functions',
  'function_call',
  'response_format',
  'reasoning_effort',
  GEMINI_EXTENSION_FIELD,
]);

export interface GeminiRequestContext {
  readonly settings: GeminiSettings;
  /** Notes for the client (`x-gateway-warnings`). */
  readonly warnings: string[];
  /** URI prefixes of Gemini's Files API, passed as `fileData` rather than downloaded. */
  readonly fileUriPrefixes: readonly string[];
  /** Downloads an http(s) image (the gateway's guarded fetcher; a stand-in in tests). */
  fetchImage(url: string, param: string): Promise<{ mimeType: string; data: Buffer }>;
}

// Gemini 2.5 and later think; 1.x and 2.0 do not.

export async function convertToGeminiRequest(
  request: ChatCompletionRequest,
  target: Target,
  context: GeminiRequestContext,
): Promise<GeminiGenerateContentRequest> {
  const jsonSchema = takesJsonSchema(target.upstreamModel);
  // Everything that can refuse the request is checked before the messages, whose image URLs cost
  // downloads.
  const fromRequest = requestSafetySettings(request, context.settings);
  const { declarations, toolConfig } = convertTools(request, jsonSchema, context.warnings);
  const generationConfig = convertGenerationConfig(request, target, jsonSchema, context);
  const { systemParts, contents } = await convertMessages(request.messages, context);

  const body: GeminiGenerateContentRequest = { contents };
  if (systemParts.length > 0) body.systemInstruction = { parts: systemParts };
  if (declarations.length > 0) body.tools = [{ functionDeclarations: declarations }];
  if (toolConfig) body.toolConfig = toolConfig;
  const settings = context.settings;
  const forModel =
    (target.model && settings.modelSafetySettings[target.model.id]) ??
    settings.modelSafetySettings[target.upstreamModel];
  const safetySettings = mergeSafetySettings(settings.safetySettings, forModel, fromRequest);
  if (safetySettings) body.safetySettings = safetySettings;
  if (generationConfig) body.generationConfig = generationConfig;
  return body;
}
