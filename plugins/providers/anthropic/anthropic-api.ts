/**
 * The Anthropic wire: the endpoint, the headers, and minimal types of what the gateway sends and
 * reads. Response types are lenient: fields may be missing or null, block and event types the
 * gateway does not know are passed over, and unknown fields are ignored.
 * @see https://docs.anthropic.com/en/api/messages
 * @see https://docs.anthropic.com/en/docs/build-with-claude/streaming
 * @see https://docs.anthropic.com/en/api/versioning
 */

/** The one API version the gateway speaks; newer behaviour is asked for with betas. */
export const ANTHROPIC_VERSION = '2023-06-01';

/** `{base}/v1/messages`, for unary and streamed answers alike (the body's `stream` decides). */
export function anthropicMessagesPath(pathPrefix: string): string {
  return `${pathPrefix}/v1/messages`;
}

/**
 * The headers of every call. The key goes only in `x-api-key`, never in the URL or in
 * `authorization` (design rule 11); betas are one comma-separated `anthropic-beta`, each once.
 * @see https://docs.anthropic.com/en/api/beta-headers
 */
export function buildAnthropicHeaders(
  apiKey: string | undefined,
  betas: readonly string[],
  stream = false,
): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: stream ? 'text/event-stream' : 'application/json',
    'anthropic-version': ANTHROPIC_VERSION,
  };
  if (apiKey) headers['x-api-key'] = apiKey;
  if (betas.length > 0) headers['anthropic-beta'] = betas.join(',');
  return headers;
}

/** Several lists of betas as one, in first-seen order, each once. */
export function mergeBetas(...lists: (readonly string[] | undefined)[]): string[] {
  const merged = new Set<string>();
  for (const list of lists) for (const beta of list ?? []) merged.add(beta);
  return [...merged];
}

// ---- request (what the gateway builds) -------------------------------------------------------

/**
 * A prompt-cache breakpoint on a block or a tool: everything up to it is cached.
 * @see https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching
 */
export interface AnthropicCacheControl {
  type: 'ephemeral';
  ttl?: '5m' | '1h';
}

export interface AnthropicTextBlock {
  type: 'text';
  text: string;
  cache_control?: AnthropicCacheControl;
}

export type AnthropicImageSource =
  { type: 'base64'; media_type: string; data: string } | { type: 'url'; url: string };

export interface AnthropicImageBlock {
  type: 'image';
  source: AnthropicImageSource;
  cache_control?: AnthropicCacheControl;
}

/** A PDF (base64) or a plain-text document. */
export interface AnthropicDocumentBlock {
  type: 'document';
  source:
    | { type: 'base64'; media_type: 'application/pdf'; data: string }
    | { type: 'text'; media_type: 'text/plain'; data: string };
  title?: string;
  cache_control?: AnthropicCacheControl;
}

export interface AnthropicToolUseBlock {
  type: 'tool_use';
  id: string;
  name: string;
  input: Record<string, unknown>;
  cache_control?: AnthropicCacheControl;
}

export interface AnthropicToolResultBlock {
  type: 'tool_result';
  tool_use_id: string;
  content: string | AnthropicTextBlock[];
  cache_control?: AnthropicCacheControl;
}

export interface AnthropicThinkingBlock {
  type: 'thinking';
  thinking: string;
  signature: string;
}

export interface AnthropicRedactedThinkingBlock {
  type: 'redacted_thinking';
  data: string;
}

export type AnthropicRequestBlock =
  | AnthropicTextBlock
  | AnthropicImageBlock
  | AnthropicDocumentBlock
  | AnthropicToolUseBlock
  | AnthropicToolResultBlock
  | AnthropicThinkingBlock
  | AnthropicRedactedThinkingBlock;

export interface AnthropicMessage {
  role: 'user' | 'assistant';
  content: AnthropicRequestBlock[];
}

export interface AnthropicTool {
  name: string;
  description?: string;
  input_schema: Record<string, unknown>;
  /** Strict tool use: the input is guaranteed to match the schema (structured-output models). */
  strict?: boolean;
  cache_control?: AnthropicCacheControl;
}

/** @see https://docs.anthropic.com/en/docs/agents-and-tools/tool-use/implement-tool-use#forcing-tool-use */
export type AnthropicToolChoice =
  | { type: 'auto' | 'any'; disable_parallel_tool_use?: boolean }
  | { type: 'tool'; name: string; disable_parallel_tool_use?: boolean }
  | { type: 'none' };

/**
 * Extended thinking: a token budget (`enabled`), or Claude deciding how much to think at the
 * request's `output_config.effort` (`adaptive`, the only form the newest models take).
 * @see https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking
 * @see https://docs.anthropic.com/en/docs/build-with-claude/adaptive-thinking
 */
export type AnthropicThinkingConfig =
  { type: 'enabled'; budget_tokens: number } | { type: 'adaptive' } | { type: 'disabled' };

/**
 * @see https://docs.anthropic.com/en/docs/build-with-claude/structured-outputs
 * @see https://docs.anthropic.com/en/docs/build-with-claude/effort
 */
export interface AnthropicOutputConfig {
  effort?: string;
  format?: { type: 'json_schema'; schema: Record<string, unknown> };
}

export interface AnthropicMessagesRequest {
  model: string;
  max_tokens: number;
  messages: AnthropicMessage[];
  system?: AnthropicTextBlock[];
  stream?: boolean;
  temperature?: number;
  top_p?: number;
  stop_sequences?: string[];
  metadata?: { user_id: string };
  tools?: AnthropicTool[];
  tool_choice?: AnthropicToolChoice;
  thinking?: AnthropicThinkingConfig;
  output_config?: AnthropicOutputConfig;
}

// ---- response (what the gateway reads) -------------------------------------------------------

/** A content block of an answer; only the fields the gateway reads are typed. */
export interface AnthropicResponseBlock {
  type?: string | null;
  text?: string | null;
  /** thinking */
  thinking?: string | null;
  signature?: string | null;
  /** redacted_thinking */
  data?: string | null;
  /** tool_use, server_tool_use */
  id?: string | null;
  name?: string | null;
  input?: unknown;
}

export interface AnthropicUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  /** Newer models count the thinking part of `output_tokens`. */
  output_tokens_details?: { thinking_tokens?: number | null } | null;
}

export interface AnthropicStopDetails {
  type?: string | null;
  category?: string | null;
  explanation?: string | null;
}

export interface AnthropicMessageResponse {
  id?: string | null;
  type?: string | null;
  role?: string | null;
  model?: string | null;
  content?: AnthropicResponseBlock[] | null;
  stop_reason?: string | null;
  stop_sequence?: string | null;
  stop_details?: AnthropicStopDetails | null;
  usage?: AnthropicUsage | null;
}

/** One event of a stream; `type` says which fields it has. */
export interface AnthropicStreamEvent {
  type?: string | null;
  /** message_start */
  message?: AnthropicMessageResponse | null;
  /** content_block_start, content_block_delta, content_block_stop */
  index?: number | null;
  content_block?: AnthropicResponseBlock | null;
  /** content_block_delta: text_delta, thinking_delta, signature_delta, input_json_delta, …; message_delta */
  delta?: {
    type?: string | null;
    text?: string | null;
    thinking?: string | null;
    signature?: string | null;
    partial_json?: string | null;
    stop_reason?: string | null;
    stop_sequence?: string | null;
    stop_details?: AnthropicStopDetails | null;
  } | null;
  /** message_delta: the counts so far (output cumulative; input when it is known only late) */
  usage?: AnthropicUsage | null;
  /** error */
  error?: AnthropicErrorWire['error'];
}

/**
 * Anthropic's error body, also the data of a stream's `error` event.
 * @see https://docs.anthropic.com/en/api/errors
 */
export interface AnthropicErrorWire {
  type?: string | null;
  error?: { type?: string | null; message?: string | null } | null;
  request_id?: string | null;
}
