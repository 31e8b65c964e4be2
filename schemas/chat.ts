/**
 * The public chat completions API, as OpenAI defines it.
 * @see https://platform.openai.com/docs/api-reference/chat/create
 *
 * Request: every field the gateway knows is validated (types, ranges, enums) so that an invalid
 * request is a 400 before any provider sees it; unknown top-level fields pass through to OpenAI-type
 * upstreams. Responses: documentation only (the serializer never strips fields).
 */
import { Type, type Static } from '@sinclair/typebox';
import { DiscriminatedUnion, Nullable } from './common.js';

const TextPart = Type.Object(
  { type: Type.Literal('text'), text: Type.String() },
  { additionalProperties: true, title: 'Text content part' },
);

const ImagePart = Type.Object(
  {
    type: Type.Literal('image_url'),
    image_url: Type.Object(
      {
        url: Type.String({ minLength: 1, description: 'An http(s) URL or a data: URI' }),
        detail: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('low'), Type.Literal('high')])),
      },
      { additionalProperties: true },
    ),
  },
  { additionalProperties: true, title: 'Image content part' },
);

const AudioPart = Type.Object(
  {
    type: Type.Literal('input_audio'),
    input_audio: Type.Object(
      {
        data: Type.String({ description: 'Base64 audio' }),
        format: Type.String({ minLength: 1, description: 'wav, mp3, …' }),
      },
      { additionalProperties: true },
    ),
  },
  { additionalProperties: true, title: 'Audio content part' },
);

const FilePart = Type.Object(
  {
    type: Type.Literal('file'),
    file: Type.Object(
      {
        filename: Type.Optional(Type.String()),
        file_data: Type.Optional(Type.String({ description: 'A data: URI or base64 data' })),
        file_id: Type.Optional(Type.String()),
      },
      { additionalProperties: true },
    ),
  },
  { additionalProperties: true, title: 'File content part' },
);

const RefusalPart = Type.Object(
  { type: Type.Literal('refusal'), refusal: Type.String() },
  { additionalProperties: true, title: 'Refusal content part' },
);

const textOnly = (description: string) =>
  Type.Union([Type.String(), Type.Array(DiscriminatedUnion('type', [TextPart]), { minItems: 1 })], {
    description,
  });

const UserContentPart = DiscriminatedUnion('type', [TextPart, ImagePart, AudioPart, FilePart]);
const AssistantContentPart = DiscriminatedUnion('type', [TextPart, RefusalPart]);

export const FunctionToolCallSchema = Type.Object(
  {
    id: Type.String({ minLength: 1 }),
    type: Type.Literal('function'),
    function: Type.Object(
      { name: Type.String({ minLength: 1 }), arguments: Type.String() },
      { additionalProperties: true },
    ),
  },
  { additionalProperties: true },
);

const CustomToolCall = Type.Object(
  {
    id: Type.String({ minLength: 1 }),
    type: Type.Literal('custom'),
    custom: Type.Object({ name: Type.String(), input: Type.String() }, { additionalProperties: true }),
  },
  { additionalProperties: true },
);

const SystemMessage = Type.Object(
  {
    role: Type.Literal('system'),
    content: textOnly('Text or text parts'),
    name: Type.Optional(Type.String()),
  },
  { additionalProperties: true, title: 'System message' },
);

const DeveloperMessage = Type.Object(
  {
    role: Type.Literal('developer'),
    content: textOnly('Text or text parts'),
    name: Type.Optional(Type.String()),
  },
  { additionalProperties: true, title: 'Developer message' },
);

const UserMessage = Type.Object(
  {
    role: Type.Literal('user'),
    content: Type.Union([Type.String(), Type.Array(UserContentPart, { minItems: 1 })], {
      description: 'Text, or an array of text, image_url, input_audio and file parts',
    }),
    name: Type.Optional(Type.String()),
  },
  { additionalProperties: true, title: 'User message' },
);

const AssistantMessage = Type.Object(
  {
    role: Type.Literal('assistant'),
    content: Type.Optional(
      Nullable(Type.Union([Type.String(), Type.Array(AssistantContentPart, { minItems: 1 })])),
    ),
    refusal: Type.Optional(Nullable(Type.String())),
    name: Type.Optional(Type.String()),
    audio: Type.Optional(Nullable(Type.Object({ id: Type.String() }, { additionalProperties: true }))),
    tool_calls: Type.Optional(
      Type.Array(DiscriminatedUnion('type', [FunctionToolCallSchema, CustomToolCall])),
    ),
    function_call: Type.Optional(
      Nullable(
        Type.Object({ name: Type.String(), arguments: Type.String() }, { additionalProperties: true }),
      ),
    ),
  },
  { additionalProperties: true, title: 'Assistant message' },
);

const ToolMessage = Type.Object(
  {
    role: Type.Literal('tool'),
    content: textOnly('The tool result: text or text parts'),
    tool_call_id: Type.String({ minLength: 1 }),
  },
  { additionalProperties: true, title: 'Tool message' },
);

const FunctionMessage = Type.Object(
  { role: Type.Literal('function'), content: Nullable(Type.String()), name: Type.String({ minLength: 1 }) },
  { additionalProperties: true, title: 'Function message (deprecated)' },
);

export const ChatMessageSchema = DiscriminatedUnion('role', [
  SystemMessage,
  DeveloperMessage,
  UserMessage,
  AssistantMessage,
  ToolMessage,
  FunctionMessage,
]);

const FunctionDefinition = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-zA-Z0-9_-]+$' }),
    description: Type.Optional(Type.String()),
    parameters: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'JSON Schema' })),
    strict: Type.Optional(Nullable(Type.Boolean())),
  },
  { additionalProperties: true },
);

const FunctionTool = Type.Object(
  { type: Type.Literal('function'), function: FunctionDefinition },
  { additionalProperties: true, title: 'Function tool' },
);

const CustomTool = Type.Object(
  {
    type: Type.Literal('custom'),
    custom: Type.Object({ name: Type.String({ minLength: 1 }) }, { additionalProperties: true }),
  },
  { additionalProperties: true, title: 'Custom tool' },
);

const NamedToolChoice = Type.Object(
  { type: Type.Literal('function'), function: Type.Object({ name: Type.String({ minLength: 1 }) }) },
  { additionalProperties: true },
);

const AllowedToolsChoice = Type.Object(
  {
    type: Type.Literal('allowed_tools'),
    allowed_tools: Type.Object(
      {
        mode: Type.Union([Type.Literal('auto'), Type.Literal('required')]),
        tools: Type.Array(Type.Record(Type.String(), Type.Unknown())),
      },
      { additionalProperties: true },
    ),
  },
  { additionalProperties: true },
);

const NamedCustomToolChoice = Type.Object(
  { type: Type.Literal('custom'), custom: Type.Object({ name: Type.String({ minLength: 1 }) }) },
  { additionalProperties: true },
);

const ToolChoice = Type.Union([
  Type.Union([Type.Literal('none'), Type.Literal('auto'), Type.Literal('required')]),
  DiscriminatedUnion('type', [NamedToolChoice, AllowedToolsChoice, NamedCustomToolChoice]),
]);

const ResponseFormat = DiscriminatedUnion('type', [
  Type.Object({ type: Type.Literal('text') }, { additionalProperties: true }),
  Type.Object({ type: Type.Literal('json_object') }, { additionalProperties: true }),
  Type.Object(
    {
      type: Type.Literal('json_schema'),
      json_schema: Type.Object(
        {
          name: Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-zA-Z0-9_-]+$' }),
          description: Type.Optional(Type.String()),
          schema: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
          strict: Type.Optional(Nullable(Type.Boolean())),
        },
        { additionalProperties: true },
      ),
    },
    { additionalProperties: true },
  ),
]);

const penalty = Type.Optional(Nullable(Type.Number({ minimum: -2, maximum: 2 })));
const tokenCount = Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 2_147_483_647 })));

export const ChatCompletionRequestSchema = Type.Object(
  {
    model: Type.String({ minLength: 1, maxLength: 256 }),
    messages: Type.Array(ChatMessageSchema, { minItems: 1 }),
    stream: Type.Optional(Nullable(Type.Boolean())),
    stream_options: Type.Optional(
      Nullable(
        Type.Object(
          {
            include_usage: Type.Optional(Type.Boolean()),
            include_obfuscation: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: true },
        ),
      ),
    ),
    temperature: Type.Optional(Nullable(Type.Number({ minimum: 0, maximum: 2 }))),
    top_p: Type.Optional(Nullable(Type.Number({ minimum: 0, maximum: 1 }))),
    n: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 128 }))),
    max_tokens: tokenCount,
    max_completion_tokens: tokenCount,
    presence_penalty: penalty,
    frequency_penalty: penalty,
    logit_bias: Type.Optional(
      Nullable(
        Type.Record(Type.String({ pattern: '^[0-9]+$' }), Type.Number({ minimum: -100, maximum: 100 }), {
          additionalProperties: false,
        }),
      ),
    ),
    logprobs: Type.Optional(Nullable(Type.Boolean())),
    top_logprobs: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 20 }))),
    seed: Type.Optional(Nullable(Type.Integer({ description: 'int64; a non-finite number is refused' }))),
    stop: Type.Optional(
      Nullable(Type.Union([Type.String(), Type.Array(Type.String(), { minItems: 1, maxItems: 4 })])),
    ),
    tools: Type.Optional(
      Type.Array(DiscriminatedUnion('type', [FunctionTool, CustomTool]), { maxItems: 128 }),
    ),
    tool_choice: Type.Optional(ToolChoice),
    parallel_tool_calls: Type.Optional(Nullable(Type.Boolean())),
    functions: Type.Optional(Type.Array(FunctionDefinition, { minItems: 1, maxItems: 128 })),
    function_call: Type.Optional(
      Type.Union([
        Type.Literal('none'),
        Type.Literal('auto'),
        Type.Object({ name: Type.String() }, { additionalProperties: true }),
      ]),
    ),
    response_format: Type.Optional(ResponseFormat),
    reasoning_effort: Type.Optional(
      Nullable(
        Type.Union(['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max'].map((v) => Type.Literal(v))),
      ),
    ),
    verbosity: Type.Optional(Nullable(Type.Union(['low', 'medium', 'high'].map((v) => Type.Literal(v))))),
    modalities: Type.Optional(
      Nullable(Type.Array(Type.Union([Type.Literal('text'), Type.Literal('audio')]))),
    ),
    audio: Type.Optional(
      Nullable(
        Type.Object(
          { voice: Type.Unknown(), format: Type.String() },
          { additionalProperties: true, description: 'Audio output settings' },
        ),
      ),
    ),
    user: Type.Optional(Type.String()),
    safety_identifier: Type.Optional(Type.String()),
    prompt_cache_key: Type.Optional(Type.String()),
    store: Type.Optional(Nullable(Type.Boolean())),
    metadata: Type.Optional(Nullable(Type.Record(Type.String(), Type.String()))),
    service_tier: Type.Optional(Nullable(Type.String())),
    prediction: Type.Optional(Nullable(Type.Record(Type.String(), Type.Unknown()))),
    web_search_options: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  {
    additionalProperties: true,
    $id: 'CreateChatCompletionRequest',
    description:
      'OpenAI chat completion request. Unknown fields are passed through to OpenAI-type upstreams.',
  },
);

export type ChatCompletionRequest = Static<typeof ChatCompletionRequestSchema>;
export type ChatMessage = Static<typeof ChatMessageSchema>;

// ---- Responses (documentation; fields OpenAI adds later pass through untouched) ----------------

const Usage = Type.Object(
  {
    prompt_tokens: Type.Integer(),
    completion_tokens: Type.Integer(),
    total_tokens: Type.Integer(),
    prompt_tokens_details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    completion_tokens_details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: true },
);

const ToolCallOut = Type.Object(
  {
    id: Type.String(),
    type: Type.Literal('function'),
    function: Type.Object({ name: Type.String(), arguments: Type.String() }),
  },
  { additionalProperties: true },
);

export const ChatCompletionSchema = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('chat.completion'),
    created: Type.Integer(),
    model: Type.String(),
    choices: Type.Array(
      Type.Object(
        {
          index: Type.Integer(),
          message: Type.Object(
            {
              role: Type.Literal('assistant'),
              content: Nullable(Type.String()),
              refusal: Nullable(Type.String()),
              tool_calls: Type.Optional(Type.Array(ToolCallOut)),
            },
            { additionalProperties: true },
          ),
          finish_reason: Type.String(),
          logprobs: Nullable(Type.Unknown()),
        },
        { additionalProperties: true },
      ),
    ),
    usage: Type.Optional(Usage),
  },
  { additionalProperties: true, $id: 'ChatCompletion', description: 'chat.completion (unary answer)' },
);

export const ChatCompletionChunkSchema = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('chat.completion.chunk'),
    created: Type.Integer(),
    model: Type.String(),
    choices: Type.Array(
      Type.Object(
        {
          index: Type.Integer(),
          delta: Type.Record(Type.String(), Type.Unknown()),
          finish_reason: Nullable(Type.String()),
          logprobs: Type.Optional(Nullable(Type.Unknown())),
        },
        { additionalProperties: true },
      ),
    ),
    usage: Type.Optional(Nullable(Usage)),
  },
  {
    additionalProperties: true,
    $id: 'ChatCompletionChunk',
    description: 'One server-sent event of a stream (`data: <chunk>`), ending with `data: [DONE]`',
  },
);

export type ChatCompletion = Static<typeof ChatCompletionSchema>;
export type ChatCompletionChunk = Static<typeof ChatCompletionChunkSchema>;
export type CompletionUsage = Static<typeof Usage>;
