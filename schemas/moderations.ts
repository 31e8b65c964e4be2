/**
 * POST /v1/moderations, as OpenAI defines it.
 * @see https://platform.openai.com/docs/api-reference/moderations/create
 */
import { Type, type Static } from '@sinclair/typebox';

/**
 * The model OpenAI's API uses when a request names none. A moderation request may leave `model` out
 * (the openai SDK does), so the gateway routes such a request to the model the API itself would use.
 * @see https://platform.openai.com/docs/api-reference/moderations/create#moderations-create-model
 */
export const DEFAULT_MODERATION_MODEL = 'omni-moderation-latest';

const MAX_INPUTS = 2048;

export const ModerationInputPartSchema = Type.Object(
  {
    type: Type.Union([Type.Literal('text'), Type.Literal('image_url')]),
    text: Type.Optional(Type.String()),
    image_url: Type.Optional(
      Type.Object({ url: Type.String({ minLength: 1 }) }, { additionalProperties: true }),
    ),
  },
  { additionalProperties: true },
);

export const ModerationRequestSchema = Type.Object(
  {
    model: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    input: Type.Union(
      [
        Type.String({ description: 'One text' }),
        Type.Array(Type.String(), { minItems: 1, maxItems: MAX_INPUTS, description: 'Several texts' }),
        Type.Array(ModerationInputPartSchema, {
          minItems: 1,
          maxItems: MAX_INPUTS,
          description: 'Text and image parts (omni-moderation models)',
        }),
      ],
      { description: 'A string, an array of strings, or an array of text and image_url parts' },
    ),
  },
  {
    additionalProperties: true,
    $id: 'CreateModerationRequest',
    description:
      'OpenAI moderation request. Without `model`, omni-moderation-latest (as OpenAI). Unknown fields are passed through.',
  },
);

export type ModerationRequest = Static<typeof ModerationRequestSchema>;
export type ModerationInputPart = Static<typeof ModerationInputPartSchema>;

export const ModerationResponseSchema = Type.Object(
  {
    id: Type.String(),
    model: Type.String(),
    results: Type.Array(
      Type.Object(
        {
          flagged: Type.Boolean(),
          categories: Type.Record(Type.String(), Type.Boolean()),
          category_scores: Type.Record(Type.String(), Type.Number()),
        },
        { additionalProperties: true },
      ),
    ),
  },
  { additionalProperties: true, $id: 'CreateModerationResponse' },
);
