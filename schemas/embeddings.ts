/**
 * POST /v1/embeddings, as OpenAI defines it.
 * @see https://platform.openai.com/docs/api-reference/embeddings/create
 */
import { Type, type Static } from '@sinclair/typebox';

const MAX_INPUTS = 2048;

export const EmbeddingsRequestSchema = Type.Object(
  {
    model: Type.String({ minLength: 1, maxLength: 256 }),
    input: Type.Union(
      [
        Type.String({ description: 'One text' }),
        Type.Array(Type.String(), { minItems: 1, maxItems: MAX_INPUTS, description: 'Several texts' }),
        Type.Array(Type.Integer({ minimum: 0 }), { minItems: 1, description: 'One text as token ids' }),
        Type.Array(Type.Array(Type.Integer({ minimum: 0 }), { minItems: 1 }), {
          minItems: 1,
          maxItems: MAX_INPUTS,
          description: 'Several texts as token ids',
        }),
      ],
      { description: `A string, an array of up to ${MAX_INPUTS} strings, or token ids` },
    ),
    dimensions: Type.Optional(Type.Integer({ minimum: 1, maximum: 65536 })),
    encoding_format: Type.Optional(Type.Union([Type.Literal('float'), Type.Literal('base64')])),
    user: Type.Optional(Type.String()),
  },
  {
    additionalProperties: true,
    $id: 'CreateEmbeddingRequest',
    description: 'OpenAI embeddings request. Unknown fields are passed through to OpenAI-type upstreams.',
  },
);

export const EmbeddingsResponseSchema = Type.Object(
  {
    object: Type.Literal('list'),
    data: Type.Array(
      Type.Object(
        {
          object: Type.Literal('embedding'),
          index: Type.Integer(),
          embedding: Type.Union([
            Type.Array(Type.Number()),
            Type.String({ description: 'base64 float32 array' }),
          ]),
        },
        { additionalProperties: true },
      ),
    ),
    model: Type.String(),
    usage: Type.Object(
      { prompt_tokens: Type.Integer(), total_tokens: Type.Integer() },
      { additionalProperties: true },
    ),
  },
  { additionalProperties: true, $id: 'CreateEmbeddingResponse' },
);

export type EmbeddingsRequest = Static<typeof EmbeddingsRequestSchema>;
export type EmbeddingsResponse = Static<typeof EmbeddingsResponseSchema>;
