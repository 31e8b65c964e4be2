/**
 * POST /v1/embeddings, whichever provider serves the model.
 * @see https://platform.openai.com/docs/api-reference/embeddings/create
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { commonErrorResponses } from '../../schemas/common.js';
import { EmbeddingsRequestSchema, type EmbeddingsRequest } from '../../schemas/embeddings.js';
import type { CatalogModel } from '../../src/catalog.js';
import { GatewayError } from '../../src/errors.js';
import { callModel } from '../../src/http/model-call.js';
import { authorizeModel } from '../../src/model-access.js';
import { exceedsTokenLimit } from '../../src/tokens.js';

export interface EmbeddingsRouteOptions {
  requestTimeout: number;
}

/** Refuses, before any provider is called, an input longer than the model takes. */
async function checkInputLimits(request: EmbeddingsRequest, model: CatalogModel | undefined): Promise<void> {
  const limit = model?.context_window;
  if (!limit) return;
  const input = request.input;
  const items: (string | number[])[] =
    typeof input === 'string'
      ? [input]
      : typeof input[0] === 'number'
        ? [input as number[]]
        : (input as (string | number[])[]);
  for (let index = 0; index < items.length; index++) {
    const item = items[index]!;
    const over =
      typeof item === 'string' ? await exceedsTokenLimit(item, limit, model.tokenizer) : item.length > limit;
    if (over) {
      const param = typeof input === 'string' || typeof input[0] === 'number' ? 'input' : `input[${index}]`;
      throw new GatewayError('GW_ERR_REQUEST_VALIDATION', {
        message: `'${param}' is longer than the ${limit} tokens ${model.id} accepts per input. Shorten or split it.`,
        param,
        code: 'context_length_exceeded',
      });
    }
  }
}

export const embeddingsRoutes: FastifyPluginAsync<EmbeddingsRouteOptions> = async (instance, options) => {
  const fastify = instance.withTypeProvider<TypeBoxTypeProvider>();

  fastify.post(
    '/v1/embeddings',
    {
      config: { rateLimitClass: 'embeddings', cacheable: true, concurrencyLimited: true },
      schema: {
        tags: ['embeddings'],
        summary: 'Create embeddings',
        body: EmbeddingsRequestSchema,
        response: { 200: Type.Ref('CreateEmbeddingResponse'), ...commonErrorResponses },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const state = request.gateway;
      state.model = body.model;
      const plan = fastify.gatewayRouter.plan(body.model, 'embeddings');
      authorizeModel(request, body.model, plan);
      for (const deployment of plan.deployments) await checkInputLimits(body, deployment.model);
      const cache = await fastify.gatewayCache.lookupEmbeddings(request, reply, plan);
      if (cache.answered) return reply;
      const answer = await callModel(
        fastify.gatewayRouter,
        plan,
        request,
        reply,
        // The plan holds only deployments whose adapter serves embeddings.
        (deployment, context) => deployment.instance.adapter.embeddings!(cache.request, deployment, context),
        { timeoutMs: options.requestTimeout },
      );
      answer.call.dispose();
      answer.release();
      const result = cache.complete(answer.value);
      state.usage = result.usage;
      return reply.type(result.contentType).send(result.body);
    },
  );
};
