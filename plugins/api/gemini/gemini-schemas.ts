/**
 * The Gemini API's requests as the gateway's Gemini door accepts them, and its answers for the
 * OpenAPI document.
 * @see https://ai.google.dev/api/generate-content
 * @see https://ai.google.dev/api/tokens
 * @see https://ai.google.dev/api/embeddings
 * @see https://ai.google.dev/api/models
 *
 * Requests: every field the door reads is validated (types, ranges, enums), so a malformed request
 * is a 400 INVALID_ARGUMENT before any provider sees it. Unknown fields are kept, as the chat route
 * keeps them: they reach Gemini unchanged when a Gemini deployment serves the request, and are
 * dropped with a warning (or refused, by UNSUPPORTED_PARAMETERS) when the request is translated.
 * Google's parser also takes snake_case names (`generation_config`); the SDKs send camelCase, which is
 * what the translation reads. Request schemas carry no `$id`: one is nested in another (countTokens
 * takes a whole generateContent request) and both compile in one validator. Answers: documentation
 * only (the serializer never strips fields).
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

const open = { additionalProperties: true };

/** A free-form JSON object (function arguments and results, schemas). */
const JsonObject = (description: string) => Type.Record(Type.String(), Type.Unknown(), { description });

const Blob = Type.Object(
  {
    mimeType: Type.String({ minLength: 1, description: 'IANA type of the data, e.g. image/png' }),
    data: Type.String({ description: 'Base64' }),
  },
  { ...open, title: 'Blob' },
);

const FileData = Type.Object(
  {
    mimeType: Type.Optional(Type.String()),
    fileUri: Type.String({ minLength: 1, description: 'A Files API URI, or an http(s) URL' }),
  },
  { ...open, title: 'FileData' },
);

const FunctionCall = Type.Object(
  {
    id: Type.Optional(Type.String()),
    name: Type.String({ minLength: 1 }),
    args: Type.Optional(JsonObject('The arguments')),
  },
  { ...open, title: 'FunctionCall' },
);

const FunctionResponse = Type.Object(
  {
    id: Type.Optional(Type.String()),
    name: Type.String({ minLength: 1 }),
    response: JsonObject('The result, e.g. {"output": …} or {"error": …}'),
  },
  { ...open, title: 'FunctionResponse' },
);

export const PartSchema = Type.Object(
  {
    text: Type.Optional(Type.String()),
    inlineData: Type.Optional(Blob),
    fileData: Type.Optional(FileData),
    functionCall: Type.Optional(FunctionCall),
    functionResponse: Type.Optional(FunctionResponse),
    thought: Type.Optional(Type.Boolean()),
    thoughtSignature: Type.Optional(Type.String({ description: 'Base64, returned as it was received' })),
  },
  { ...open, title: 'Part', description: 'One piece of a message; other part kinds are kept as sent' },
);

export const ContentSchema = Type.Object(
  {
    role: Type.Optional(
      Type.Union([Type.Literal('user'), Type.Literal('model'), Type.Literal('function')], {
        description: "'user' when omitted; 'function' is how @google/generative-ai sends function results",
      }),
    ),
    parts: Type.Array(PartSchema),
  },
  { ...open, title: 'Content' },
);

const FunctionDeclaration = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 128 }),
    description: Type.Optional(Type.String()),
    parameters: Type.Optional(JsonObject("Gemini's Schema (an OpenAPI 3.0 subset)")),
    parametersJsonSchema: Type.Optional(Type.Unknown({ description: 'JSON Schema' })),
  },
  { ...open, title: 'FunctionDeclaration' },
);

const ToolSchema = Type.Object(
  { functionDeclarations: Type.Optional(Type.Array(FunctionDeclaration)) },
  {
    ...open,
    title: 'Tool',
    description: 'Function declarations; other tools (googleSearch, …) are kept as sent',
  },
);

const FunctionCallingMode = Type.Union(
  ['MODE_UNSPECIFIED', 'AUTO', 'ANY', 'NONE', 'VALIDATED'].map((mode) => Type.Literal(mode)),
);

const ToolConfig = Type.Object(
  {
    functionCallingConfig: Type.Optional(
      Type.Object(
        {
          mode: Type.Optional(FunctionCallingMode),
          allowedFunctionNames: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
        },
        open,
      ),
    ),
  },
  { ...open, title: 'ToolConfig' },
);

const SafetySetting = Type.Object(
  { category: Type.String({ minLength: 1 }), threshold: Type.String({ minLength: 1 }) },
  { ...open, title: 'SafetySetting' },
);

/** Gemini writes enums in capitals; its parser takes the lower-case names the docs also use. */
const caseInsensitive = (names: string[]) =>
  Type.Union(names.flatMap((name) => [Type.Literal(name), Type.Literal(name.toLowerCase())]));

const ThinkingConfig = Type.Object(
  {
    includeThoughts: Type.Optional(Type.Boolean()),
    thinkingBudget: Type.Optional(
      Type.Integer({ minimum: -1, description: '0 turns thinking off, -1 is dynamic' }),
    ),
    thinkingLevel: Type.Optional(
      caseInsensitive(['THINKING_LEVEL_UNSPECIFIED', 'MINIMAL', 'LOW', 'MEDIUM', 'HIGH']),
    ),
  },
  { ...open, title: 'ThinkingConfig' },
);

export const GenerationConfigSchema = Type.Object(
  {
    temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 2 })),
    topP: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    topK: Type.Optional(Type.Integer({ minimum: 1 })),
    candidateCount: Type.Optional(Type.Integer({ minimum: 1, maximum: 128 })),
    maxOutputTokens: Type.Optional(Type.Integer({ minimum: 1, maximum: 2_147_483_647 })),
    stopSequences: Type.Optional(Type.Array(Type.String(), { maxItems: 5 })),
    presencePenalty: Type.Optional(Type.Number()),
    frequencyPenalty: Type.Optional(Type.Number()),
    seed: Type.Optional(Type.Integer()),
    responseMimeType: Type.Optional(
      Type.String({ description: 'text/plain, application/json, text/x.enum' }),
    ),
    responseSchema: Type.Optional(JsonObject("Gemini's Schema (an OpenAPI 3.0 subset)")),
    responseJsonSchema: Type.Optional(Type.Unknown({ description: 'JSON Schema' })),
    responseLogprobs: Type.Optional(Type.Boolean()),
    logprobs: Type.Optional(Type.Integer({ minimum: 0, maximum: 20 })),
    responseModalities: Type.Optional(Type.Array(Type.String())),
    thinkingConfig: Type.Optional(ThinkingConfig),
  },
  { ...open, title: 'GenerationConfig' },
);

export const GenerateContentRequestSchema = Type.Object(
  {
    model: Type.Optional(Type.String({ description: 'Ignored: the model is the one of the URL' })),
    contents: Type.Array(ContentSchema, { minItems: 1 }),
    systemInstruction: Type.Optional(
      Type.Object(
        { role: Type.Optional(Type.String()), parts: Type.Array(PartSchema) },
        { ...open, title: 'Content' },
      ),
    ),
    tools: Type.Optional(Type.Array(ToolSchema)),
    toolConfig: Type.Optional(ToolConfig),
    safetySettings: Type.Optional(Type.Array(SafetySetting)),
    generationConfig: Type.Optional(GenerationConfigSchema),
    cachedContent: Type.Optional(
      Type.String({ description: 'cachedContents/{id}: Gemini deployments only' }),
    ),
  },
  {
    ...open,
    title: 'GenerateContentRequest',
    description:
      'GenerateContentRequest. Passed through unchanged to Gemini deployments; translated for the others ' +
      '(docs/inbound/gemini.md).',
  },
);

export const CountTokensRequestSchema = Type.Object(
  {
    contents: Type.Optional(Type.Array(ContentSchema)),
    generateContentRequest: Type.Optional(GenerateContentRequestSchema),
  },
  {
    ...open,
    title: 'CountTokensRequest',
    description:
      'Either `contents`, or a whole `generateContentRequest` (with its system instruction and tools).',
  },
);

const EmbedContentFields = {
  model: Type.Optional(Type.String({ description: 'models/{model}: must name the model of the URL' })),
  content: Type.Object({ parts: Type.Array(PartSchema, { minItems: 1 }) }, { ...open, title: 'Content' }),
  taskType: Type.Optional(Type.String()),
  title: Type.Optional(Type.String()),
  outputDimensionality: Type.Optional(Type.Integer({ minimum: 1, maximum: 65536 })),
};

export const EmbedContentRequestSchema = Type.Object(EmbedContentFields, {
  ...open,
  title: 'EmbedContentRequest',
});

export const BatchEmbedContentsRequestSchema = Type.Object(
  {
    requests: Type.Array(Type.Object(EmbedContentFields, { ...open, title: 'EmbedContentRequest' }), {
      minItems: 1,
      maxItems: 2048,
    }),
  },
  { ...open, title: 'BatchEmbedContentsRequest' },
);

export type GeminiPart = Static<typeof PartSchema>;
export type GeminiContent = Static<typeof ContentSchema>;
export type GenerateContentRequest = Static<typeof GenerateContentRequestSchema>;
export type CountTokensRequest = Static<typeof CountTokensRequestSchema>;
export type EmbedContentRequest = Static<typeof EmbedContentRequestSchema>;
export type BatchEmbedContentsRequest = Static<typeof BatchEmbedContentsRequestSchema>;

/** The request body schema of each method, for the routes and the OpenAPI document. */
export const METHOD_BODIES: Record<string, TSchema> = {
  generateContent: GenerateContentRequestSchema,
  streamGenerateContent: GenerateContentRequestSchema,
  countTokens: CountTokensRequestSchema,
  embedContent: EmbedContentRequestSchema,
  batchEmbedContents: BatchEmbedContentsRequestSchema,
};

export const GeminiQuerySchema = Type.Object(
  {
    alt: Type.Optional(
      Type.Union([Type.Literal('sse'), Type.Literal('json')], {
        description: 'Streams: `sse` for server-sent events; otherwise one JSON array written as it grows',
      }),
    ),
    key: Type.Optional(Type.String({ description: 'The API key, as Google takes it; never logged' })),
  },
  open,
);

export const ModelListQuerySchema = Type.Object(
  {
    pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Default 50' })),
    pageToken: Type.Optional(Type.String()),
    key: Type.Optional(Type.String({ description: 'The API key, as Google takes it; never logged' })),
  },
  open,
);

// ---- answers (documentation; fields added later pass through untouched) -------------------------

const UsageMetadata = Type.Object(
  {
    promptTokenCount: Type.Optional(Type.Integer()),
    candidatesTokenCount: Type.Optional(Type.Integer()),
    thoughtsTokenCount: Type.Optional(Type.Integer()),
    cachedContentTokenCount: Type.Optional(Type.Integer()),
    totalTokenCount: Type.Optional(Type.Integer()),
  },
  open,
);

export const GenerateContentResponseSchema = Type.Object(
  {
    candidates: Type.Optional(
      Type.Array(
        Type.Object(
          {
            content: Type.Optional(ContentSchema),
            finishReason: Type.Optional(Type.String()),
            index: Type.Optional(Type.Integer()),
          },
          open,
        ),
      ),
    ),
    promptFeedback: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    usageMetadata: Type.Optional(UsageMetadata),
    modelVersion: Type.Optional(Type.String()),
    responseId: Type.Optional(Type.String()),
  },
  {
    ...open,
    $id: 'GeminiGenerateContentResponse',
    description: 'GenerateContentResponse (a stream: one per event)',
  },
);

export const CountTokensResponseSchema = Type.Object(
  { totalTokens: Type.Integer(), cachedContentTokenCount: Type.Optional(Type.Integer()) },
  { ...open, $id: 'GeminiCountTokensResponse' },
);

const ContentEmbedding = Type.Object({ values: Type.Array(Type.Number()) }, open);

export const EmbedContentResponseSchema = Type.Object(
  { embedding: ContentEmbedding },
  { ...open, $id: 'GeminiEmbedContentResponse' },
);

export const BatchEmbedContentsResponseSchema = Type.Object(
  { embeddings: Type.Array(ContentEmbedding) },
  { ...open, $id: 'GeminiBatchEmbedContentsResponse' },
);

export const GeminiModelSchema = Type.Object(
  {
    name: Type.String({ description: 'models/{model}' }),
    baseModelId: Type.Optional(Type.String()),
    version: Type.Optional(Type.String()),
    displayName: Type.Optional(Type.String()),
    description: Type.Optional(Type.String()),
    inputTokenLimit: Type.Optional(Type.Integer()),
    outputTokenLimit: Type.Optional(Type.Integer()),
    supportedGenerationMethods: Type.Array(Type.String()),
    thinking: Type.Optional(Type.Boolean()),
  },
  { ...open, $id: 'GeminiModel' },
);

export const GeminiModelListSchema = Type.Object(
  { models: Type.Array(Type.Ref('GeminiModel')), nextPageToken: Type.Optional(Type.String()) },
  { ...open, $id: 'GeminiModelList' },
);

export const GoogleErrorSchema = Type.Object(
  {
    error: Type.Object(
      {
        code: Type.Integer({ description: 'The HTTP status' }),
        message: Type.String(),
        status: Type.String({ description: 'INVALID_ARGUMENT, UNAUTHENTICATED, NOT_FOUND, …' }),
        details: Type.Optional(Type.Array(Type.Record(Type.String(), Type.Unknown()))),
      },
      open,
    ),
  },
  { ...open, $id: 'GoogleError', description: "Google's error envelope (google.rpc.Status)" },
);

/** Schemas with an `$id` the door's routes refer to, registered in its own context. */
export const geminiSharedSchemas = [
  GenerateContentResponseSchema,
  CountTokensResponseSchema,
  EmbedContentResponseSchema,
  BatchEmbedContentsResponseSchema,
  GeminiModelSchema,
  GeminiModelListSchema,
  GoogleErrorSchema,
];
