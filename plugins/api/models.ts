/**
 * GET /v1/models and GET /v1/models/{model}: the OpenAI list format plus the catalog's metadata.
 * Only models whose provider is configured are listed unless `?all=true`. Other ways in answer the
 * same paths in their own shape for their clients (route constraints: the Anthropic door for a
 * request with `anthropic-version`, the Gemini door for a key sent as Google's clients send it).
 * @see https://platform.openai.com/docs/api-reference/models/list
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { commonErrorResponses } from '../../schemas/common.js';
import { ModelListQuerySchema } from '../../schemas/models.js';
import { findModel, listModels } from '../../src/model-list.js';

export const modelsRoutes: FastifyPluginAsync = async (instance) => {
  const fastify = instance.withTypeProvider<TypeBoxTypeProvider>();

  fastify.get(
    '/v1/models',
    {
      schema: {
        tags: ['models'],
        summary: 'List models',
        description:
          'The models, aliases and groups this key may use, in OpenAI’s list format. A request with an ' +
          '`anthropic-version` header (Anthropic’s SDKs) is answered in Anthropic’s shape, paged by ' +
          '`limit`, `after_id` and `before_id`, with errors in Anthropic’s envelope; one that sends its ' +
          'key as Google’s clients do, in the Gemini API’s.',
        querystring: ModelListQuerySchema,
        response: { 200: Type.Ref('ModelList'), ...commonErrorResponses },
      },
    },
    async (request) => ({
      object: 'list' as const,
      data: listModels(fastify, request, request.query.all === true),
    }),
  );

  fastify.get(
    '/v1/models/*',
    {
      config: { wildcardParam: 'model' },
      schema: {
        tags: ['models'],
        summary: 'Retrieve a model',
        params: Type.Object({ '*': Type.String({ description: 'Model id' }) }),
        response: { 200: Type.Ref('Model'), ...commonErrorResponses },
      },
    },
    async (request) => findModel(fastify, request, request.params['*']),
  );
};
