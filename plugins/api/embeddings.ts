/**
 * POST /v1/embeddings, whichever provider serves the model.
 * @see https://platform.openai.com/docs/api-reference/embeddings/create
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { commonErrorResponses } from '../../schemas/common.js';
import { EmbeddingsRequestSchema, type EmbeddingsRequest } from '../../schemas/embeddings.js';
import { startCall } from '../../src/call-context.js';
import type { CatalogModel } from '../../src/catalog.js';
import { GatewayError } from '../../src/errors.js';
import { authorizeModel } from '../../src/model-access.js';
import { exceedsTokenLimit } from '../../src/tokens.js';
import { recordExecution, setGatewayHeaders, unwrapExecutionError } from './gateway-headers.js';

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
      const call = startCall(request, reply, options.requestTimeout, state.warnings);
      try {
        const execution = await fastify.gatewayRouter.execute(
          plan,
          (deployment, attempt) => {
            const adapter = deployment.instance.adapter;
            if (!adapter.embeddings) {
              throw new GatewayError('GW_ERR_MODEL_WRONG_TYPE', {
                message: `The provider '${deployment.instance.id}' does not serve embeddings.`,
                param: 'model',
              });
            }
            return adapter.embeddings(cache.request, deployment, { ...call.context, signal: attempt.signal });
          },
          call.context,
        );
        execution.release();
        recordExecution(state, execution);
        const result = cache.complete(execution.value);
        state.usage = result.usage;
        setGatewayHeaders(reply, state);
        return reply.type(result.contentType).send(result.body);
      } catch (error) {
        throw unwrapExecutionError(error, state);
      } finally {
        call.dispose();
      }
    },
  );
};
