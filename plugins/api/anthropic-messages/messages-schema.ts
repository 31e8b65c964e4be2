/**
 * Anthropic's Messages API as the gateway accepts it: the request of `POST /v1/messages` and of
 * `POST /v1/messages/count_tokens`, the answer, the stream's events and the error envelope.
 * @see https://docs.anthropic.com/en/api/messages
 * @see https://docs.anthropic.com/en/api/messages-count-tokens
 * @see https://docs.anthropic.com/en/api/errors
 *
 * Request: the fields and content blocks the gateway reads or converts are validated (types, ranges,
 * the shape of each known block), so a malformed request is a 400 before any provider sees it.
 * Blocks and top-level fields it does not know are let through: a model served by Anthropic gets
 * them unchanged (and Anthropic judges them); another model gets a clear 400 for a block it cannot
 * take, or the parameter policy for a field (UNSUPPORTED_PARAMETERS). Answers: documentation only.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { DiscriminatedUnion } from '../../../schemas/common.js';

/** `T | null`: Anthropic's SDKs send null for unset optional fields in some languages. */
const Optional = <T extends TSchema>(schema: T) => Type.Optional(Type.Union([schema, Type.Null()]));

const CacheControl = Type.Object(
  {
    type: Type.Literal('ephemeral'),
    ttl: Type.Optional(Type.Union([Type.Literal('5m'), Type.Literal('1h')])),
  },
  { additionalProperties: true, description: 'A prompt-cache breakpoint' },
);

const TextBlock = Type.Object(
  {
    type: Type.Literal('text'),
    text: Type.String(),
    cache_control: Optional(CacheControl),
    citations: Optional(Type.Array(Type.Record(Type.String(), Type.Unknown()))),
  },
  { additionalProperties: true, title: 'Text block' },
);

const ImageMediaType = Type.Union(
  ['image/jpeg', 'image/png', 'image/gif', 'image/webp'].map((type) => Type.Literal(type)),
);

const ImageSource = DiscriminatedUnion('type', [
  Type.Object(
    { type: Type.Literal('base64'), media_type: ImageMediaType, data: Type.String({ minLength: 1 }) },
    { additionalProperties: true },
  ),
  Type.Object(
    { type: Type.Literal('url'), url: Type.String({ minLength: 1 }) },
    { additionalProperties: true },
  ),
  Type.Object(
    { type: Type.Literal('file'), file_id: Type.String({ minLength: 1 }) },
    { additionalProperties: true },
  ),
]);

const ImageBlock = Type.Object(
  { type: Type.Literal('image'), source: ImageSource, cache_control: Optional(CacheControl) },
  { additionalProperties: true, title: 'Image block' },
);

/**
 * A content block: the known types are checked against their shape; a type the gateway does not
 * know (server tools' blocks, search results, …) needs only its `type`.
 */
function ContentBlock(known: Readonly<Record<string, TSchema>>) {
  return Type.Unsafe<ContentBlockParam>({
    type: 'object',
    required: ['type'],
    properties: { type: { type: 'string', minLength: 1 } },
    allOf: Object.entries(known).map(([type, schema]) => ({
      if: { properties: { type: { const: type } }, required: ['type'] },
      then: schema,
    })),
    description: `${Object.keys(known).join(', ')}, or another block type of the Messages API`,
  });
}

const DocumentSource = DiscriminatedUnion('type', [
  Type.Object(
    {
      type: Type.Literal('base64'),
      media_type: Type.Literal('application/pdf'),
      data: Type.String({ minLength: 1 }),
    },
    { additionalProperties: true },
  ),
  Type.Object(
    { type: Type.Literal('text'), media_type: Type.Literal('text/plain'), data: Type.String() },
    { additionalProperties: true },
  ),
  Type.Object(
    {
      type: Type.Literal('content'),
      content: Type.Union([Type.String(), Type.Array(ContentBlock({ text: TextBlock, image: ImageBlock }))]),
    },
    { additionalProperties: true },
  ),
  Type.Object(
    { type: Type.Literal('url'), url: Type.String({ minLength: 1 }) },
    { additionalProperties: true },
  ),
  Type.Object(
    { type: Type.Literal('file'), file_id: Type.String({ minLength: 1 }) },
    { additionalProperties: true },
  ),
]);

const DocumentBlock = Type.Object(
  {
    type: Type.Literal('document'),
    source: DocumentSource,
    title: Optional(Type.String()),
    context: Optional(Type.String()),
    cache_control: Optional(CacheControl),
  },
  { additionalProperties: true, title: 'Document block' },
);

const ToolUseBlock = Type.Object(
  {
    type: Type.Literal('tool_use'),
    id: Type.String({ minLength: 1 }),
    name: Type.String({ minLength: 1 }),
    input: Type.Record(Type.String(), Type.Unknown(), { description: 'The tool input, an object' }),
    cache_control: Optional(CacheControl),
  },
  { additionalProperties: true, title: 'Tool use block' },
);

/** What a tool result may hold. */
const ToolResultContentBlock = ContentBlock({ text: TextBlock, image: ImageBlock, document: DocumentBlock });

const ToolResultBlock = Type.Object(
  {
    type: Type.Literal('tool_result'),
    tool_use_id: Type.String({ minLength: 1 }),
    content: Type.Optional(
      Type.Union([Type.String(), Type.Array(ToolResultContentBlock)], {
        description: 'Text, or text, image and document blocks',
      }),
    ),
    is_error: Type.Optional(Type.Boolean()),
    cache_control: Optional(CacheControl),
  },
  { additionalProperties: true, title: 'Tool result block' },
);

const ThinkingBlock = Type.Object(
  { type: Type.Literal('thinking'), thinking: Type.String(), signature: Type.String() },
  { additionalProperties: true, title: 'Thinking block' },
);

const RedactedThinkingBlock = Type.Object(
  { type: Type.Literal('redacted_thinking'), data: Type.String() },
  { additionalProperties: true, title: 'Redacted thinking block' },
);

const AnyBlock = ContentBlock({
  text: TextBlock,
  image: ImageBlock,
  document: DocumentBlock,
  tool_use: ToolUseBlock,
  tool_result: ToolResultBlock,
  thinking: ThinkingBlock,
  redacted_thinking: RedactedThinkingBlock,
});

const MessageParam = Type.Object(
  {
    role: Type.Union([Type.Literal('user'), Type.Literal('assistant'), Type.Literal('system')]),
    content: Type.Union([Type.String(), Type.Array(AnyBlock)], {
      description: 'Text, or an array of content blocks',
    }),
  },
  { additionalProperties: true },
);

const SystemPrompt = Type.Union([Type.String(), Type.Array(TextBlock)], {
  description: 'Text, or text blocks (with cache_control breakpoints)',
});

/** A tool the client runs (`type` absent or `custom`) has an input schema; Anthropic's own tools a `type`. */
const ToolDefinition = Type.Unsafe<ToolParam>({
  type: 'object',
  required: ['name'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 256 },
    type: { anyOf: [{ type: 'string', minLength: 1 }, { type: 'null' }] },
    description: { type: 'string' },
    cache_control: { anyOf: [CacheControl, { type: 'null' }] },
  },
  if: {
    anyOf: [{ not: { required: ['type'] } }, { properties: { type: { enum: ['custom', null] } } }],
  },
  then: {
    required: ['input_schema'],
    properties: {
      input_schema: {
        type: 'object',
        description: 'JSON Schema of the input (an object schema)',
      },
      strict: { type: 'boolean' },
    },
  },
  description: 'A tool: `name`, `description`, `input_schema`; or one of Anthropic’s tools by `type`',
});

const ToolChoice = DiscriminatedUnion('type', [
  Type.Object(
    { type: Type.Literal('auto'), disable_parallel_tool_use: Type.Optional(Type.Boolean()) },
    { additionalProperties: true },
  ),
  Type.Object(
    { type: Type.Literal('any'), disable_parallel_tool_use: Type.Optional(Type.Boolean()) },
    { additionalProperties: true },
  ),
  Type.Object(
    {
      type: Type.Literal('tool'),
      name: Type.String({ minLength: 1 }),
      disable_parallel_tool_use: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: true },
  ),
  Type.Object({ type: Type.Literal('none') }, { additionalProperties: true }),
]);

const ThinkingDisplay = Optional(Type.Union([Type.Literal('summarized'), Type.Literal('omitted')]));

const ThinkingConfig = DiscriminatedUnion('type', [
  Type.Object(
    {
      type: Type.Literal('enabled'),
      budget_tokens: Type.Integer({ minimum: 1024, description: 'At least 1024, below max_tokens' }),
      display: ThinkingDisplay,
    },
    { additionalProperties: true },
  ),
  Type.Object({ type: Type.Literal('disabled') }, { additionalProperties: true }),
  Type.Object({ type: Type.Literal('adaptive'), display: ThinkingDisplay }, { additionalProperties: true }),
  Type.Object({ type: Type.Literal('between_tools') }, { additionalProperties: true }),
]);

export const EFFORTS = ['low', 'medium', 'high', 'xhigh', 'max'] as const;

const OutputConfig = Type.Object(
  {
    effort: Optional(Type.Union(EFFORTS.map((effort) => Type.Literal(effort)))),
    format: Optional(
      Type.Object(
        {
          type: Type.Literal('json_schema'),
          schema: Type.Record(Type.String(), Type.Unknown()),
        },
        { additionalProperties: true },
      ),
    ),
  },
  { additionalProperties: true },
);

const Metadata = Type.Object(
  { user_id: Optional(Type.String({ maxLength: 256 })) },
  { additionalProperties: false },
);

/** What `messages` and `count_tokens` share. */
const conversationFields = {
  model: Type.String({ minLength: 1, maxLength: 256 }),
  messages: Type.Array(MessageParam, { minItems: 1 }),
  system: Type.Optional(SystemPrompt),
  tools: Type.Optional(Type.Array(ToolDefinition)),
  tool_choice: Type.Optional(ToolChoice),
  thinking: Type.Optional(ThinkingConfig),
  output_config: Type.Optional(OutputConfig),
  cache_control: Optional(CacheControl),
};

export const MessagesRequestSchema = Type.Object(
  {
    ...conversationFields,
    max_tokens: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }),
    stream: Type.Optional(Type.Boolean()),
    stop_sequences: Type.Optional(Type.Array(Type.String())),
    temperature: Optional(Type.Number({ minimum: 0, maximum: 1 })),
    top_p: Optional(Type.Number({ minimum: 0, maximum: 1 })),
    top_k: Optional(Type.Integer({ minimum: 0 })),
    metadata: Type.Optional(Metadata),
  },
  {
    additionalProperties: true,
    description:
      'Anthropic Messages API request. Fields the gateway does not know reach Anthropic unchanged; ' +
      'for other providers they follow UNSUPPORTED_PARAMETERS.',
  },
);

export const CountTokensRequestSchema = Type.Object(conversationFields, {
  additionalProperties: true,
  description: 'Anthropic token-count request: the conversation of a Messages request',
});

export type MessagesRequest = Static<typeof MessagesRequestSchema>;
export type CountTokensRequest = Static<typeof CountTokensRequestSchema>;

// ---- the TypeScript view of what the schemas above accept ----------------------------------------

export interface CacheControlParam {
  type: 'ephemeral';
  ttl?: '5m' | '1h';
}

export interface TextBlockParam {
  type: 'text';
  text: string;
  cache_control?: CacheControlParam | null;
}

export type ImageSourceParam =
  | { type: 'base64'; media_type: string; data: string }
  | { type: 'url'; url: string }
  | { type: 'file'; file_id: string };

export interface ImageBlockParam {
  type: 'image';
  source: ImageSourceParam;
  cache_control?: CacheControlParam | null;
}

export interface DocumentBlockParam {
  type: 'document';
  source:
    | { type: 'base64'; media_type: 'application/pdf'; data: string }
    | { type: 'text'; media_type: 'text/plain'; data: string }
    | { type: 'content'; content: string | ContentBlockParam[] }
    | { type: 'url'; url: string }
    | { type: 'file'; file_id: string };
  title?: string | null;
  context?: string | null;
  cache_control?: CacheControlParam | null;
}

export interface ToolUseBlockParam {
  type: 'tool_use';
  id: string;
  name: string;
  input: Record<string, unknown>;
  cache_control?: CacheControlParam | null;
}

export interface ToolResultBlockParam {
  type: 'tool_result';
  tool_use_id: string;
  content?: string | ContentBlockParam[];
  is_error?: boolean;
  cache_control?: CacheControlParam | null;
}

export interface ThinkingBlockParam {
  type: 'thinking';
  thinking: string;
  signature: string;
}

export interface RedactedThinkingBlockParam {
  type: 'redacted_thinking';
  data: string;
}

/** A block of a type the gateway does not convert (server tools' blocks, search results, …). */
export interface OtherBlockParam {
  type: string;
  [field: string]: unknown;
}

export type ContentBlockParam =
  | TextBlockParam
  | ImageBlockParam
  | DocumentBlockParam
  | ToolUseBlockParam
  | ToolResultBlockParam
  | ThinkingBlockParam
  | RedactedThinkingBlockParam
  | OtherBlockParam;

export interface ToolParam {
  name: string;
  /** Absent or `custom` for a tool the client runs; Anthropic's own tools name theirs (`web_search_20250305`). */
  type?: string | null;
  description?: string;
  input_schema?: Record<string, unknown>;
  strict?: boolean;
  cache_control?: CacheControlParam | null;
  [field: string]: unknown;
}

// ---- answers (documentation: answers are sent as built, never reshaped by a schema) --------------

const UsageSchema = Type.Object(
  {
    input_tokens: Type.Integer(),
    output_tokens: Type.Integer(),
    cache_creation_input_tokens: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
    cache_read_input_tokens: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
  },
  { additionalProperties: true },
);

export const MessageSchema = Type.Object(
  {
    id: Type.String(),
    type: Type.Literal('message'),
    role: Type.Literal('assistant'),
    model: Type.String(),
    content: Type.Array(Type.Record(Type.String(), Type.Unknown())),
    stop_reason: Type.Union([Type.String(), Type.Null()]),
    stop_sequence: Type.Union([Type.String(), Type.Null()]),
    usage: UsageSchema,
  },
  { additionalProperties: true, description: 'An Anthropic message' },
);

export const MessageStreamEventSchema = Type.String({
  description:
    'Server-sent events, each with its `event:` line: message_start, content_block_start, ' +
    'content_block_delta, content_block_stop, message_delta, message_stop, ping, error',
});

export const TokenCountSchema = Type.Object(
  { input_tokens: Type.Integer() },
  { additionalProperties: true, description: 'The prompt’s input tokens' },
);

export const AnthropicErrorSchema = Type.Object(
  {
    type: Type.Literal('error'),
    error: Type.Object({ type: Type.String(), message: Type.String() }, { additionalProperties: true }),
    request_id: Type.Optional(Type.String()),
  },
  { additionalProperties: true, description: 'Anthropic’s error envelope' },
);
