/**
 * POST /v1/images/generations, whichever provider serves the model: passed through to OpenAI,
 * translated for Gemini's image models (their images answered as `b64_json`). Each image made is
 * counted and priced at the catalog's `per_image`.
 * @see https://platform.openai.com/docs/api-reference/images/create
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { commonErrorResponses } from '../../schemas/common.js';
import { DEFAULT_IMAGE_MODEL, ImageGenerationRequestSchema } from '../../schemas/images.js';
import { callModel } from '../../src/http/model-call.js';
import { sendModelResult } from '../../src/http/send-model-result.js';
import { authorizeModel } from '../../src/model-access.js';

export interface ImageRouteOptions {
  requestTimeout: number;
}

export const imagesRoutes: FastifyPluginAsync<ImageRouteOptions> = async (instance, options) => {
  const fastify = instance.withTypeProvider<TypeBoxTypeProvider>();

  fastify.post(
    '/v1/images/generations',
    {
      config: { rateLimitClass: 'images', cacheable: false, concurrencyLimited: true },
      schema: {
        tags: ['images'],
        summary: 'Create images from a prompt',
        description:
          `OpenAI-compatible. Without \`model\`, ${DEFAULT_IMAGE_MODEL}, as OpenAI's API. Gemini image models ` +
          'answer `b64_json` only.',
        body: ImageGenerationRequestSchema,
        response: { 200: Type.Ref('ImagesResponse'), ...commonErrorResponses },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const model = body.model ?? DEFAULT_IMAGE_MODEL;
      request.gateway.model = model;
      const plan = fastify.gatewayRouter.plan(model, 'image');
      authorizeModel(request, model, plan);
      const answer = await callModel(
        fastify.gatewayRouter,
        plan,
        request,
        reply,
        // The plan holds only deployments whose adapter makes images.
        (deployment, context) => deployment.instance.adapter.images!(body, deployment, context),
        { timeoutMs: options.requestTimeout },
      );
      return sendModelResult(request, reply, answer.value, answer.call, answer.release);
    },
  );
};
