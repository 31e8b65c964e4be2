/**
 * POST /v1/moderations, passed through to a provider that serves moderation models. Moderation is
 * free: each request is counted in usage and metrics at zero tokens and zero cost.
 * @see https://platform.openai.com/docs/api-reference/moderations/create
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { commonErrorResponses } from '../../schemas/common.js';
import { DEFAULT_MODERATION_MODEL, ModerationRequestSchema } from '../../schemas/moderations.js';
import { callModel } from '../../src/http/model-call.js';
import { sendModelResult } from '../../src/http/send-model-result.js';
import { authorizeModel } from '../../src/model-access.js';

export interface ModerationRouteOptions {
  requestTimeout: number;
}

export const moderationsRoutes: FastifyPluginAsync<ModerationRouteOptions> = async (instance, options) => {
  const fastify = instance.withTypeProvider<TypeBoxTypeProvider>();

  fastify.post(
    '/v1/moderations',
    {
      config: { rateLimitClass: 'moderations', cacheable: false, concurrencyLimited: true },
      schema: {
        tags: ['moderations'],
        summary: 'Classify text and images as potentially harmful',
        description: `OpenAI-compatible. Without \`model\`, ${DEFAULT_MODERATION_MODEL}, as OpenAI's API.`,
        body: ModerationRequestSchema,
        response: { 200: Type.Ref('CreateModerationResponse'), ...commonErrorResponses },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const model = body.model ?? DEFAULT_MODERATION_MODEL;
      request.gateway.model = model;
      const plan = fastify.gatewayRouter.plan(model, 'moderation');
      authorizeModel(request, model, plan);
      const answer = await callModel(
        fastify.gatewayRouter,
        plan,
        request,
        reply,
        // The plan holds only deployments whose adapter serves moderations.
        (deployment, context) => deployment.instance.adapter.moderations!(body, deployment, context),
        { timeoutMs: options.requestTimeout },
      );
      return sendModelResult(request, reply, answer.value, answer.call, answer.release);
    },
  );
};
