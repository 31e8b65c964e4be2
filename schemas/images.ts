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

// ---- POST /v1/images/edits and /v1/images/variations: multipart forms -------------------------
// @see https://platform.openai.com/docs/api-reference/images/createEdit
// @see https://platform.openai.com/docs/api-reference/images/createVariation

/** The forms of image uploads, as the router and the field rules name them. */
export type ImageUploadEndpoint = 'imageEdit' | 'imageVariation';

/**
 * Most bytes of image the gateway accepts in one form, all its files together (the images and the
 * mask): the limit of an audio upload, 25 MB.
 */
export const MAX_IMAGE_UPLOAD_BYTES = 25 * 1024 * 1024;
/** Most images in one edit (OpenAI's gpt-image-1 takes up to 16), besides one mask. */
export const MAX_IMAGE_FILES = 16;
/** Largest single form field (a prompt), in bytes. */
export const MAX_IMAGE_FIELD_BYTES = 64 * 1024;
/** Largest total of the form's fields other than the files, in bytes. */
export const MAX_IMAGE_FIELDS_BYTES = 256 * 1024;
/** Most form fields accepted besides the files. */
export const MAX_IMAGE_FIELDS = 64;
/**
 * A request whose Content-Length is above this is refused before it is read: the files' limit plus
 * the fields' limit plus room for the multipart boundaries and part headers.
 */
export const MAX_IMAGE_REQUEST_BYTES = MAX_IMAGE_UPLOAD_BYTES + MAX_IMAGE_FIELDS_BYTES + 64 * 1024;
/** The content types an image (or a mask) may be declared with; `application/octet-stream` is read by its bytes. */
export const IMAGE_UPLOAD_TYPES = ['image/png', 'image/jpeg', 'image/webp'] as const;

const imageFile = Type.String({
  format: 'binary',
  description: `A png, jpeg or webp image; the files of a form hold at most ${MAX_IMAGE_UPLOAD_BYTES} bytes in all`,
});

export const ImageEditFormSchema = Type.Object(
  {
    image: Type.Union([imageFile, Type.Array(imageFile, { maxItems: MAX_IMAGE_FILES })], {
      description: `The image to edit, or up to ${MAX_IMAGE_FILES} (as repeated \`image\` or \`image[]\` parts)`,
    }),
    prompt: Type.String({ minLength: 1, maxLength: 32_000 }),
    mask: Type.Optional(
      Type.String({
        format: 'binary',
        description: 'A png whose transparent areas mark where to edit (not for Gemini models)',
      }),
    ),
    model: Type.Optional(
      Type.String({ description: `gpt-image-1, dall-e-2 (the default), gemini-2.5-flash-image, …` }),
    ),
    n: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 })),
    size: Type.Optional(Type.String()),
    quality: Type.Optional(Type.String()),
    response_format: Type.Optional(Type.Union([Type.Literal('url'), Type.Literal('b64_json')])),
    background: Type.Optional(Type.String({ description: 'transparent, opaque, auto' })),
    output_format: Type.Optional(Type.String({ description: 'png, jpeg, webp' })),
    output_compression: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
    input_fidelity: Type.Optional(Type.String({ description: 'high, low' })),
    user: Type.Optional(Type.String()),
    stream: Type.Optional(Type.Boolean({ description: 'Not served: true is refused' })),
  },
  {
    additionalProperties: true,
    description:
      'multipart/form-data. Put `model` before the images and they are streamed straight to an ' +
      'OpenAI-type provider; other fields are passed through to it.',
  },
);

export const ImageVariationFormSchema = Type.Object(
  {
    image: imageFile,
    model: Type.Optional(Type.String({ description: 'dall-e-2 (the default)' })),
    n: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 })),
    size: Type.Optional(Type.String()),
    response_format: Type.Optional(Type.Union([Type.Literal('url'), Type.Literal('b64_json')])),
    user: Type.Optional(Type.String()),
  },
  { additionalProperties: true, description: 'multipart/form-data, relayed to an OpenAI-type provider.' },
);
