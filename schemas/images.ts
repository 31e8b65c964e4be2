/**
 * POST /v1/images/generations, as OpenAI defines it.
 * @see https://platform.openai.com/docs/api-reference/images/create
 */
import { Type, type Static } from '@sinclair/typebox';

/**
 * The model OpenAI's API uses when a request names none (the openai SDK lets `model` out).
 * @see https://platform.openai.com/docs/api-reference/images/create#images-create-model
 */
export const DEFAULT_IMAGE_MODEL = 'dall-e-2';

export const ImageGenerationRequestSchema = Type.Object(
  {
    model: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    prompt: Type.String({ minLength: 1, maxLength: 32_000 }),
    n: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 })),
    size: Type.Optional(Type.String({ minLength: 1, description: '1024x1024, 1536x1024, …, or auto' })),
    quality: Type.Optional(
      Type.String({ minLength: 1, description: 'auto, high, medium, low, hd, standard' }),
    ),
    response_format: Type.Optional(Type.Union([Type.Literal('url'), Type.Literal('b64_json')])),
    background: Type.Optional(Type.String({ minLength: 1, description: 'auto, transparent, opaque' })),
    output_format: Type.Optional(Type.String({ minLength: 1, description: 'png, jpeg, webp' })),
    output_compression: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
    style: Type.Optional(Type.String({ minLength: 1 })),
    user: Type.Optional(Type.String()),
  },
  {
    additionalProperties: true,
    $id: 'CreateImageRequest',
    description: `OpenAI image generation request. Without \`model\`, ${DEFAULT_IMAGE_MODEL} (as OpenAI). Unknown fields pass through to OpenAI.`,
  },
);

export type ImageGenerationRequest = Static<typeof ImageGenerationRequestSchema>;

export const ImagesResponseSchema = Type.Object(
  {
    created: Type.Integer(),
    data: Type.Array(
      Type.Object(
        {
          b64_json: Type.Optional(Type.String()),
          url: Type.Optional(Type.String()),
          revised_prompt: Type.Optional(Type.String()),
        },
        { additionalProperties: true },
      ),
    ),
  },
  { additionalProperties: true, $id: 'ImagesResponse' },
);
