/** GET / and GET /v1/: what this is and which endpoints it serves. */
import type { FastifyPluginAsync } from 'fastify';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../../src/package-root.js';

export const discoveryRoutes: FastifyPluginAsync = async (fastify) => {
  const prefix = fastify.prefix;
  const describe = () => {
    const endpoints = [
      'POST /v1/chat/completions',
      'POST /v1/embeddings',
      'POST /v1/audio/transcriptions',
      'POST /v1/audio/translations',
      'POST /v1/audio/speech',
      'POST /v1/responses',
      'GET /v1/responses/{id}',
      'DELETE /v1/responses/{id}',
      'POST /v1/moderations',
      'POST /v1/files',
      'GET /v1/files',
      'GET /v1/files/{id}',
      'GET /v1/files/{id}/content',
      'DELETE /v1/files/{id}',
      'POST /v1/batches',
      'GET /v1/batches',
      'GET /v1/batches/{id}',
      'POST /v1/batches/{id}/cancel',
      'POST /v1/images/generations',
      'POST /v1/images/edits',
      'POST /v1/images/variations',
      'GET /v1/realtime',
      'POST /v1/realtime/client_secrets',
      'POST /v1/realtime/sessions',
      'POST /v1/messages',
      'POST /v1/messages/count_tokens',
      'GET /v1/models',
      'GET /v1/models/{model}',
      'POST /v1beta/models/{model}:generateContent',
      'POST /v1beta/models/{model}:streamGenerateContent',
      'POST /v1beta/models/{model}:countTokens',
      'POST /v1beta/models/{model}:embedContent',
      'POST /v1beta/models/{model}:batchEmbedContents',
      'GET /v1beta/models',
      'GET /v1beta/models/{model}',
      'GET /v1/usage',
      'GET /v1/usage/keys',
      'GET /health',
      'GET /v1/health/live',
      'GET /v1/health/ready',
      'GET /v1/health/detailed',
    ];
    if (fastify.hasRoute({ method: 'GET', url: '/openapi.json' }))
      endpoints.push('GET /openapi.json', 'GET /docs');
    if (fastify.hasRoute({ method: 'GET', url: '/metrics' }))
      endpoints.push('GET /metrics', 'GET /v1/health/metrics');
    return {
      name: PACKAGE_NAME,
      version: PACKAGE_VERSION,
      description: 'LLM gateway: every model your company uses behind one OpenAI-compatible API',
      endpoints: endpoints.map((endpoint) => endpoint.replace(' /', ` ${prefix}/`)),
    };
  };
  const schema = { tags: ['discovery'], summary: 'Gateway name, version and endpoints' };
  fastify.get('/', { config: { auth: false }, schema }, async () => describe());
  fastify.get('/v1', { config: { auth: false }, schema }, async () => describe());
  fastify.get('/v1/', { config: { auth: false }, schema: { ...schema, hide: true } }, async () => describe());
};
