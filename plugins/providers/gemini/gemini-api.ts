/**
 * The Gemini wire: endpoints, headers, and minimal types of what the gateway sends and reads.
 * Response types are lenient: every field may be missing or null (proto3 JSON leaves out zero values
 * and empty lists), and unknown fields are ignored.
 * @see https://ai.google.dev/api/generate-content
 * @see https://ai.google.dev/api/embeddings
 */

export const GEMINI_API_VERSION = 'v1beta';

export type GeminiMethod =
  | 'generateContent'
  | 'streamGenerateContent'
  | 'countTokens'
  | 'embedContent'
  | 'batchEmbedContents'
  | 'predict';

/**
 * `/v1beta/models/{model}:{method}`; streams ask for server-sent events. The key never goes in the
 * URL (design rule 11): it is the `x-goog-api-key` header.
 * @see https://ai.google.dev/api/generate-content#method:-models.streamgeneratecontent
 */
export function geminiModelPath(pathPrefix: string, model: string, method: GeminiMethod): string {
  const path = `${pathPrefix}/${GEMINI_API_VERSION}/models/${encodeURIComponent(model)}:${method}`;
  return method === 'streamGenerateContent' ? `${path}?alt=sse` : path;
}

export function buildGeminiHeaders(apiKey: string | undefined): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (apiKey) headers['x-goog-api-key'] = apiKey;
  return headers;
}

// ---- request (what the gateway builds) -------------------------------------------------------

export interface GeminiInlineData {
  mimeType: string;
  /** Base64. */
  data: string;
}

export interface GeminiFileData {
  fileUri: string;
  mimeType?: string;
}

export interface GeminiFunctionCall {
  id?: string;
  name: string;
  args?: Record<string, unknown> | null;
}

export interface GeminiFunctionResponse {
  name: string;
  response: Record<string, unknown>;
}

export interface GeminiPart {
  text?: string;
  thought?: boolean | null;
  thoughtSignature?: string | null;
  inlineData?: GeminiInlineData | null;
  fileData?: GeminiFileData | null;
  functionCall?: GeminiFunctionCall | null;
  functionResponse?: GeminiFunctionResponse | null;
}

export type GeminiRole = 'user' | 'model';

export interface GeminiContent {
  role?: GeminiRole | string | null;
  parts?: GeminiPart[] | null;
}

export interface GeminiFunctionDeclaration {
  name: string;
  description?: string;
  /** The older OpenAPI-subset Schema. */
  parameters?: Record<string, unknown>;
  /** Plain JSON Schema, for the models that take it. */
  parametersJsonSchema?: Record<string, unknown>;
}

export interface GeminiToolConfig {
  functionCallingConfig: {
    mode: 'AUTO' | 'ANY' | 'NONE';
    allowedFunctionNames?: string[];
  };
}

export interface GeminiSafetySetting {
  category: string;
  threshold: string;
}

export interface GeminiThinkingConfig {
  thinkingBudget?: number;
  thinkingLevel?: 'minimal' | 'low' | 'medium' | 'high';
  includeThoughts?: boolean;
}

export interface GeminiGenerationConfig {
  temperature?: number;
  topP?: number;
  maxOutputTokens?: number;
  stopSequences?: string[];
  candidateCount?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  seed?: number;
  responseLogprobs?: boolean;
  logprobs?: number;
  responseMimeType?: string;
  responseSchema?: Record<string, unknown>;
  responseJsonSchema?: Record<string, unknown>;
  thinkingConfig?: GeminiThinkingConfig;
  /** `['AUDIO']` for the text-to-speech models. */
  responseModalities?: string[];
  speechConfig?: GeminiSpeechConfig;
}

/**
 * The voice of a text-to-speech answer.
 * @see https://ai.google.dev/api/generate-content#SpeechConfig
 */
export interface GeminiSpeechConfig {
  voiceConfig: { prebuiltVoiceConfig: { voiceName: string } };
}

export interface GeminiGenerateContentRequest {
  contents: GeminiContent[];
  systemInstruction?: { parts: GeminiPart[] };
  tools?: { functionDeclarations: GeminiFunctionDeclaration[] }[];
  toolConfig?: GeminiToolConfig;
  safetySettings?: GeminiSafetySetting[];
  generationConfig?: GeminiGenerationConfig;
}

// ---- response (what the gateway reads) -------------------------------------------------------

export interface GeminiLogprobCandidate {
  token?: string | null;
  tokenId?: number | null;
  logProbability?: number | null;
}

export interface GeminiLogprobsResult {
  topCandidates?: { candidates?: GeminiLogprobCandidate[] | null }[] | null;
  chosenCandidates?: GeminiLogprobCandidate[] | null;
}

export interface GeminiCandidate {
  content?: GeminiContent | null;
  finishReason?: string | null;
  finishMessage?: string | null;
  index?: number | null;
  safetyRatings?: unknown[] | null;
  logprobsResult?: GeminiLogprobsResult | null;
}

export interface GeminiModalityCount {
  modality?: string | null;
  tokenCount?: number | null;
}

export interface GeminiUsageMetadata {
  promptTokenCount?: number | null;
  candidatesTokenCount?: number | null;
  totalTokenCount?: number | null;
  cachedContentTokenCount?: number | null;
  thoughtsTokenCount?: number | null;
  toolUsePromptTokenCount?: number | null;
  promptTokensDetails?: GeminiModalityCount[] | null;
  candidatesTokensDetails?: GeminiModalityCount[] | null;
}

export interface GeminiPromptFeedback {
  blockReason?: string | null;
  blockReasonMessage?: string | null;
  safetyRatings?: unknown[] | null;
}

export interface GeminiGenerateContentResponse {
  candidates?: GeminiCandidate[] | null;
  promptFeedback?: GeminiPromptFeedback | null;
  usageMetadata?: GeminiUsageMetadata | null;
  modelVersion?: string | null;
  responseId?: string | null;
}

/**
 * Google's error body (google.rpc.Status as JSON).
 * @see https://ai.google.dev/gemini-api/docs/troubleshooting#error-codes
 */
export interface GeminiErrorWire {
  error?: {
    code?: number | null;
    message?: string | null;
    status?: string | null;
    details?: { '@type'?: string; retryDelay?: string; [key: string]: unknown }[] | null;
  } | null;
}

// ---- embeddings ------------------------------------------------------------------------------

export interface GeminiEmbedContentRequest {
  model: string;
  content: { parts: { text: string }[] };
  outputDimensionality?: number;
}

export interface GeminiBatchEmbedContentsResponse {
  embeddings?: { values?: number[] | null }[] | null;
  /** Token counts, when the API reports them. */
  usageMetadata?: { promptTokenCount?: number | null; totalTokenCount?: number | null } | null;
}
