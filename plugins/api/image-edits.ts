/**
 * POST /v1/images/edits and POST /v1/images/variations: a multipart form with the images, read as
 * it arrives (src/http/image-upload.ts) and handed to the provider that serves the model: relayed to
 * OpenAI-type providers as it arrives, translated for Gemini's image-output models (their images
 * answered as `b64_json`). Each image made is counted and priced at the catalog's `per_image`.
 * @see https://platform.openai.com/docs/api-reference/images/createEdit
 * @see https://platform.openai.com/docs/api-reference/images/createVariation
 *
 * This plugin is encapsulated: the multipart parser, and the parser that leaves any other body
 * unread (so it can be refused with a 400 that says what to send), apply to these routes only.
 */
import type { FastifyPluginAsync, RouteShorthandOptions } from 'fastify';
import { Type } from '@sinclair/typebox';
import {
  ImageEditFormSchema,
  ImageVariationFormSchema,
  MAX_IMAGE_REQUEST_BYTES,
  MAX_IMAGE_UPLOAD_BYTES,
  type ImageUploadEndpoint,
} from '../../schemas/images.js';
import { commonErrorResponses } from '../../schemas/common.js';
import { receiveImageUpload } from '../../src/http/image-upload.js';
import {
  acceptMultipartOnly,
  callWithUpload,
  refuseDeclaredLengthOver,
  type UploadMethod,
} from '../../src/http/call-with-upload.js';
import { GatewayError } from '../../src/errors.js';
import type { ImageUpload } from '../../src/provider.js';

export interface ImageEditRouteOptions {
  requestTimeout: number;
}

const METHODS: Record<ImageUploadEndpoint, UploadMethod<ImageUpload>> = {
  imageEdit: (adapter) => adapter.imageEdits?.bind(adapter),
  imageVariation: (adapter) => adapter.imageVariations?.bind(adapter),
};

/** A declared length over the limit is refused before a byte of the body is read. */
const refuseDeclaredOversize = refuseDeclaredLengthOver(
  MAX_IMAGE_REQUEST_BYTES,
  (declared) =>
    new GatewayError('GW_ERR_IMAGE_FILE_TOO_LARGE', {
      message:
        `The request declares ${declared} bytes; an image form may hold images of at most ` +
        `${MAX_IMAGE_UPLOAD_BYTES} bytes (25 MB) in all, and be ${MAX_IMAGE_REQUEST_BYTES} bytes at most.`,
      param: 'image',
    }),
);

export const imageEditRoutes: FastifyPluginAsync<ImageEditRouteOptions> = async (fastify, options) => {
  await acceptMultipartOnly(fastify);

  const route = (
    endpoint: ImageUploadEndpoint,
    path: string,
    summary: string,
    description: string,
    form: object,
  ) => {
    const routeOptions: RouteShorthandOptions = {
      config: { rateLimitClass: 'images', cacheable: false, concurrencyLimited: true },
      onRequest: refuseDeclaredOversize,
      // The form is read part by part in the handler; the body schema documents it for OpenAPI.
      validatorCompiler: () => () => true,
      schema: {
        tags: ['images'],
        summary,
        description,
        consumes: ['multipart/form-data'],
        body: form,
        response: {
          200: Type.Ref('ImagesResponse'),
          413: Type.Ref('ErrorResponse'),
          ...commonErrorResponses,
        },
      },
    };
    fastify.post(path, routeOptions, (request, reply) =>
      callWithUpload(fastify.gatewayRouter, request, reply, {
        operation: endpoint,
        requestTimeout: options.requestTimeout,
        receive: () => receiveImageUpload(request, endpoint),
        method: METHODS[endpoint],
      }),
    );
  };

  route(
    'imageEdit',
    '/v1/images/edits',
    'Edit or extend images from a prompt',
    'OpenAI-compatible multipart form. Without `model`, dall-e-2, as OpenAI. OpenAI image models get the ' +
      'form relayed as it arrives; Gemini image-output models (gemini-2.5-flash-image) get the images ' +
      'inline and answer `b64_json` only, without `mask`. `stream: true` is refused.',
    ImageEditFormSchema,
  );
  route(
    'imageVariation',
    '/v1/images/variations',
    'Create variations of an image',
    'OpenAI-compatible multipart form, relayed as it arrives to OpenAI image models (dall-e-2, the default).',
    ImageVariationFormSchema,
  );
};
