/**
 * The public Responses API (POST /v1/responses), as OpenAI defines it. Only the fields the gateway
 * reads or that are cheap to check are validated; the API grows new input item and tool types often,
 * and everything else passes through to OpenAI-type upstreams unchanged.
 * @see https://platform.openai.com/docs/api-reference/responses/create
 */
import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from './common.js';

const Item = Type.Object(
  { type: Type.Optional(Type.String({ minLength: 1 })) },
  { additionalProperties: true, description: 'An input item (message, function_call_output, …)' },
);

export const ResponsesRequestSchema = Type.Object(
  {
    model: Type.String({
      minLength: 1,
      maxLength: 256,
      description: 'Required by the gateway (it routes by model)',
    }),
    input: Type.Optional(
      Type.Union([Type.String(), Type.Array(Item)], { description: 'Text, or a list of input items' }),
    ),
    instructions: Type.Optional(Nullable(Type.String())),
    stream: Type.Optional(Nullable(Type.Boolean())),
    background: Type.Optional(Nullable(Type.Boolean())),
    max_output_tokens: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 2_147_483_647 }))),
    max_tool_calls: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
    temperature: Type.Optional(Nullable(Type.Number({ minimum: 0, maximum: 2 }))),
    top_p: Type.Optional(Nullable(Type.Number({ minimum: 0, maximum: 1 }))),
    top_logprobs: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 20 }))),
    tools: Type.Optional(
      Type.Array(Type.Object({ type: Type.String({ minLength: 1 }) }, { additionalProperties: true }), {
        description: 'Tools: function, web_search, file_search, mcp, …',
      }),
    ),
    tool_choice: Type.Optional(
      Type.Union([
        Type.String({ minLength: 1 }),
        Type.Object({ type: Type.String({ minLength: 1 }) }, { additionalProperties: true }),
      ]),
    ),
    parallel_tool_calls: Type.Optional(Nullable(Type.Boolean())),
    previous_response_id: Type.Optional(Nullable(Type.String({ minLength: 1 }))),
    store: Type.Optional(Nullable(Type.Boolean())),
    metadata: Type.Optional(Nullable(Type.Record(Type.String(), Type.String()))),
    include: Type.Optional(Nullable(Type.Array(Type.String()))),
    text: Type.Optional(Nullable(Type.Record(Type.String(), Type.Unknown()))),
    reasoning: Type.Optional(Nullable(Type.Record(Type.String(), Type.Unknown()))),
    truncation: Type.Optional(Nullable(Type.Union([Type.Literal('auto'), Type.Literal('disabled')]))),
    user: Type.Optional(Type.String()),
    safety_identifier: Type.Optional(Type.String()),
    prompt_cache_key: Type.Optional(Type.String()),
    service_tier: Type.Optional(Nullable(Type.String())),
  },
  {
    additionalProperties: true,
    $id: 'CreateResponseRequest',
    description: 'OpenAI Responses API request. Unknown fields are passed through to OpenAI-type upstreams.',
  },
);

export type ResponsesRequest = Static<typeof ResponsesRequestSchema>;

/** Documentation only: answers pass through unchanged. */
export const ResponseObjectSchema = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('response'),
    created_at: Type.Number(),
    status: Type.String(),
    model: Type.String(),
    output: Type.Array(Type.Record(Type.String(), Type.Unknown())),
    usage: Type.Optional(Nullable(Type.Record(Type.String(), Type.Unknown()))),
  },
  {
    additionalProperties: true,
    $id: 'Response',
    description: 'A response object; with `stream: true`, typed server-sent events (`event: <type>`)',
  },
);

export const DeletedResponseSchema = Type.Object(
  { id: Type.String(), object: Type.Literal('response'), deleted: Type.Boolean() },
  { additionalProperties: true, $id: 'DeletedResponse' },
);
