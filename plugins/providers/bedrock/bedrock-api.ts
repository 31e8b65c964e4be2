/**
 * The Bedrock Runtime wire: the endpoint of a region, the paths, and minimal types of what the
 * gateway sends and reads through the Converse API (and InvokeModel for embeddings). Response types
 * are lenient: fields may be missing or null, block and event types the gateway does not know are
 * passed over, and unknown fields are ignored.
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_InvokeModel.html
 */

/** The SigV4 signing name of the Bedrock Runtime. */
export const BEDROCK_SERVICE = 'bedrock';

/**
 * The base URL an instance uses unless one is set: the Bedrock Runtime of its region, which the
 * adapter puts in place of this one.
 * @see https://docs.aws.amazon.com/general/latest/gr/bedrock.html#bedrock_region
 */
export const DEFAULT_BEDROCK_BASE_URL = 'https://bedrock-runtime.us-east-1.amazonaws.com';

export function bedrockRuntimeUrl(region: string): string {
  return `https://bedrock-runtime.${region}.amazonaws.com`;
}

export type BedrockOperation = 'converse' | 'converse-stream' | 'invoke' | 'invoke-with-response-stream';

/**
 * `/model/{modelId}/{operation}`. The model id is one path segment, percent-encoded: a model id
 * has a `:` (`anthropic.claude-sonnet-4-20250514-v1:0`), an inference profile's ARN has `/`.
 */
export function bedrockModelPath(pathPrefix: string, modelId: string, operation: BedrockOperation): string {
  return `${pathPrefix}/model/${encodeURIComponent(modelId)}/${operation}`;
}

// ---- request (what the gateway builds) -------------------------------------------------------

/** @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ImageBlock.html */
export interface BedrockImageBlock {
  format: 'png' | 'jpeg' | 'gif' | 'webp';
  /** Base64 in JSON. */
  source: { bytes: string };
}

/** @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_DocumentBlock.html */
export interface BedrockDocumentBlock {
  format: 'pdf' | 'csv' | 'doc' | 'docx' | 'xls' | 'xlsx' | 'html' | 'txt' | 'md';
  /** Letters, digits, spaces, hyphens, parentheses and brackets only. */
  name: string;
  source: { bytes: string };
}

export interface BedrockToolUseBlock {
  toolUseId: string;
  name: string;
  input: unknown;
}

export interface BedrockToolResultBlock {
  toolUseId: string;
  content: ({ text: string } | { json: unknown })[];
  status?: 'success' | 'error';
}

/**
 * Reasoning: text with the signature that proves it (Claude), or encrypted bytes.
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ReasoningContentBlock.html
 */
export interface BedrockReasoningContent {
  reasoningText?: { text: string; signature?: string };
  /** Base64 in JSON. */
  redactedContent?: string;
}

/** @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_CachePointBlock.html */
export interface BedrockCachePoint {
  type: 'default';
}

/** One content block: exactly one member is set. */
export interface BedrockContentBlock {
  text?: string;
  image?: BedrockImageBlock;
  document?: BedrockDocumentBlock;
  toolUse?: BedrockToolUseBlock;
  toolResult?: BedrockToolResultBlock;
  reasoningContent?: BedrockReasoningContent;
  cachePoint?: BedrockCachePoint;
}

export interface BedrockMessage {
  role: 'user' | 'assistant';
  content: BedrockContentBlock[];
}

export type BedrockSystemBlock = { text: string } | { cachePoint: BedrockCachePoint };

export interface BedrockToolSpec {
  toolSpec: { name: string; description?: string; inputSchema: { json: Record<string, unknown> } };
}

/** @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ToolChoice.html */
export type BedrockToolChoice =
  { auto: Record<string, never> } | { any: Record<string, never> } | { tool: { name: string } };

export interface BedrockInferenceConfig {
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stopSequences?: string[];
}

export interface BedrockConverseRequest {
  messages: BedrockMessage[];
  system?: BedrockSystemBlock[];
  inferenceConfig?: BedrockInferenceConfig;
  toolConfig?: {
    tools: (BedrockToolSpec | { cachePoint: BedrockCachePoint })[];
    toolChoice?: BedrockToolChoice;
  };
  /** Model-specific fields Converse passes on (Claude's `thinking`). */
  additionalModelRequestFields?: Record<string, unknown>;
}

// ---- response (what the gateway reads) -------------------------------------------------------

export interface BedrockResponseBlock {
  text?: string | null;
  toolUse?: { toolUseId?: string | null; name?: string | null; input?: unknown } | null;
  reasoningContent?: {
    reasoningText?: { text?: string | null; signature?: string | null } | null;
    redactedContent?: string | null;
  } | null;
  [other: string]: unknown;
}

/** @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_TokenUsage.html */
export interface BedrockUsage {
  inputTokens?: number | null;
  outputTokens?: number | null;
  totalTokens?: number | null;
  cacheReadInputTokens?: number | null;
  cacheWriteInputTokens?: number | null;
}

export interface BedrockConverseResponse {
  output?: { message?: { role?: string | null; content?: BedrockResponseBlock[] | null } | null } | null;
  stopReason?: string | null;
  usage?: BedrockUsage | null;
  metrics?: { latencyMs?: number | null } | null;
}

/**
 * One ConverseStream event, as the payload of an event-stream message whose `:event-type` names it.
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStreamOutput.html
 */
export interface BedrockStreamEvent {
  /** messageStart */
  role?: string | null;
  /** contentBlockStart, contentBlockDelta, contentBlockStop */
  contentBlockIndex?: number | null;
  /** contentBlockStart */
  start?: { toolUse?: { toolUseId?: string | null; name?: string | null } | null } | null;
  /** contentBlockDelta */
  delta?: {
    text?: string | null;
    toolUse?: { input?: string | null } | null;
    reasoningContent?: {
      text?: string | null;
      signature?: string | null;
      redactedContent?: string | null;
    } | null;
  } | null;
  /** messageStop */
  stopReason?: string | null;
  /** metadata */
  usage?: BedrockUsage | null;
}

/** The body of an error answer, and of an exception message in a stream. */
export interface BedrockErrorWire {
  message?: string | null;
  Message?: string | null;
}

// ---- embeddings (InvokeModel) ----------------------------------------------------------------

/** @see https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-titan-embed-text.html */
export interface TitanEmbeddingRequest {
  inputText: string;
  dimensions?: number;
  normalize?: boolean;
}

export interface TitanEmbeddingResponse {
  embedding?: number[] | null;
  inputTextTokenCount?: number | null;
}

/** @see https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-embed.html */
export interface CohereEmbeddingRequest {
  texts: string[];
  input_type: 'search_document' | 'search_query' | 'classification' | 'clustering';
  embedding_types?: ['float'];
  output_dimension?: number;
}

export interface CohereEmbeddingResponse {
  embeddings?: number[][] | { float?: number[][] | null } | null;
}

/** The input tokens InvokeModel counted, in a header of its answer. */
export const INPUT_TOKEN_COUNT_HEADER = 'x-amzn-bedrock-input-token-count';
