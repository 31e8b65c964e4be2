/**
 * The gateway as one Fastify plugin. An application registers it (under a prefix if it likes) with
 * an options object; the standalone server (src/server.ts) is one such application.
 *
 * The plugin is encapsulated: its hooks, error handler, validators and decorators apply to its own
 * routes only and leave the host application as it was.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Dispatcher } from 'undici';
import type { GatewayOptionsInput } from '../schemas/options.js';
import { sharedSchemas } from '../schemas/index.js';
import { PROVIDERS } from '../plugins/providers/index.js';
import { Catalog, loadShippedCatalog } from './catalog.js';
import { GatewayError, renderError } from './errors.js';
import { inspectBody } from './inspect-body.js';
import { GatewayOptionsError, resolveGatewayOptions } from './options.js';
import { RemoteMedia } from './remote-media.js';
import { createUpstreamAgent } from './upstream.js';
import type { DiscoveryScheduler } from './model-discovery.js';
import { createSerializerCompiler, createValidatorCompiler } from './validation.js';
import './route-config.js';
import { requestStatePlugin } from '../plugins/request-state.js';
import { tracedDispatcher, tracingPlugin } from '../plugins/tracing.js';
import { setGatewayHeaders } from './http/gateway-headers.js';
import { securityPlugin } from '../plugins/security.js';
import { docsPlugin } from '../plugins/docs.js';
import { storePlugin } from '../plugins/store.js';
import { authPlugin } from '../plugins/auth.js';
import { redisPlugin } from '../plugins/redis.js';
import { rateLimitPlugin } from '../plugins/rate-limit.js';
import { cachePlugin } from '../plugins/cache.js';
import { concurrencyPlugin } from '../plugins/concurrency.js';
import { usagePlugin } from '../plugins/usage.js';
import { providerRegistryPlugin } from '../plugins/provider-registry.js';
import { routingPlugin } from '../plugins/routing.js';
import { modelDiscoveryPlugin } from '../plugins/model-discovery.js';
import { metricsPlugin } from '../plugins/metrics.js';
import { semanticCachePlugin } from '../plugins/semantic-cache.js';
import { healthRoutes } from '../plugins/health.js';
import { discoveryRoutes } from '../plugins/api/discovery.js';
import { modelsRoutes } from '../plugins/api/models.js';
import { chatCompletionsRoutes } from '../plugins/api/chat-completions.js';
import { embeddingsRoutes } from '../plugins/api/embeddings.js';
import { moderationsRoutes } from '../plugins/api/moderations.js';
import { imageEditRoutes } from '../plugins/api/image-edits.js';
import { filesRoutes } from '../plugins/api/files/index.js';
import { imagesRoutes } from '../plugins/api/images.js';
import { audioTranscriptionRoutes } from '../plugins/api/audio-transcriptions.js';
import { audioSpeechRoutes } from '../plugins/api/audio-speech.js';
import { responsesRoutes } from '../plugins/api/responses/index.js';
import { realtimeRoutes } from '../plugins/api/realtime/index.js';
import { anthropicMessagesRoutes } from '../plugins/api/anthropic-messages/index.js';
import { generativeLanguageRoutes } from '../plugins/api/gemini/gemini-routes.js';
import { usageRoutes } from '../plugins/api/usage.js';
import { metricsRoutes } from '../plugins/api/metrics.js';
import { cacheWarmRoutes } from '../plugins/api/cache-warm.js';
import { adminRoutes } from '../plugins/api/admin/index.js';
import { uiRoutes } from '../plugins/ui.js';

export interface GatewayPluginOptions extends GatewayOptionsInput {
  /** The undici dispatcher for upstream calls; by default one keep-alive Agent owned by the gateway. */
  dispatcher?: Dispatcher;
  /** When the models found on providers' servers are asked for again; by default timers. */
  discoveryScheduler?: DiscoveryScheduler;
}

export { GatewayOptionsError, resolveGatewayOptions };

// Keys Fastify itself adds to a plugin's options; every other key must be a gateway option.
const FASTIFY_REGISTER_KEYS = new Set(['prefix', 'logLevel', 'logSerializers']);

export const gateway: FastifyPluginAsync<GatewayPluginOptions> = async (fastify, pluginOptions) => {
  const { dispatcher: injectedDispatcher, discoveryScheduler, ...input } = pluginOptions;
  const gatewayInput = Object.fromEntries(
    Object.entries(input).filter(([key]) => !FASTIFY_REGISTER_KEYS.has(key)),
  ) as GatewayOptionsInput;
  const options = resolveGatewayOptions(gatewayInput);
  const catalog = new Catalog(options.models ?? loadShippedCatalog(PROVIDERS));
  const dispatcher = injectedDispatcher ?? createUpstreamAgent(options.upstream);
  if (!injectedDispatcher) fastify.addHook('onClose', async () => dispatcher.close());
  const media = new RemoteMedia(options.media);
  fastify.addHook('onClose', async () => media.close());

  // ---- how this context validates, serializes and answers errors --------------------------------
  fastify.setValidatorCompiler(createValidatorCompiler());
  fastify.setSerializerCompiler(createSerializerCompiler());
  for (const schema of sharedSchemas) fastify.addSchema(schema);
  // JSON endpoints take JSON only: a text/plain body is a 415, not a string to fail validation on.
  fastify.removeContentTypeParser('text/plain');
  // Before validation or anything else walks a body: bounded nesting, numbers relayed exactly.
  const jsonDepth = options.limits.jsonDepth;
  fastify.addHook('preValidation', (request, _reply, done) => {
    try {
      inspectBody(request.body, jsonDepth);
      done();
    } catch (error) {
      done(error as Error);
    }
  });
  fastify.setErrorHandler((error, request, reply) => {
    const rendered = renderError(error, request.body);
    const allows = request.gateway?.identity?.allowsModel;
    const details = rendered.envelope.error.details;
    // The models an error suggests are, for a key with an allow-list, only those it may call.
    if (allows && Array.isArray(details?.['available_models'])) {
      rendered.envelope.error.details = {
        ...details,
        available_models: (details['available_models'] as unknown[]).filter(
          (name) => typeof name === 'string' && allows(name),
        ),
      };
    }
    if (request.gateway) {
      request.gateway.errorCode = rendered.gatewayCode;
      // A model call that failed still says what the gateway tried.
      if (request.gateway.attempts > 0) setGatewayHeaders(reply, request.gateway);
    }
    if (rendered.internal) request.log.error({ err: error }, 'unhandled error');
    else if (rendered.status >= 500) {
      request.log.warn(
        { code: rendered.gatewayCode, status: rendered.status },
        rendered.envelope.error.message,
      );
    }
    return reply
      .code(rendered.status)
      .headers(rendered.headers)
      .type('application/json')
      .send(rendered.envelope);
  });
  fastify.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const error = new GatewayError('GW_ERR_ROUTE_NOT_FOUND', {
      message: `Unknown request URL: ${request.method} ${path}. GET ${fastify.prefix}/v1/ lists the endpoints.`,
    });
    const rendered = renderError(error);
    if (request.gateway) request.gateway.errorCode = rendered.gatewayCode;
    return reply.code(404).headers(rendered.headers).send(rendered.envelope);
  });

  // ---- infrastructure ----------------------------------------------------------------------------
  await fastify.register(requestStatePlugin, { logBodies: options.logging.bodies });
  await fastify.register(tracingPlugin, { tracing: options.tracing });
  await fastify.register(securityPlugin, { cors: options.cors });
  await fastify.register(docsPlugin, { enabled: options.docs.enabled });
  await fastify.register(redisPlugin, { ...options.redis });
  await fastify.register(storePlugin, { ...options.store });
  await fastify.register(authPlugin, {
    ...options.auth,
    unauthenticatedLimit: options.rateLimit.enabled
      ? {
          perMinute: options.rateLimit.unauthenticatedPerMinute,
          onRedisError: options.rateLimit.onRedisError,
        }
      : null,
  });
  await fastify.register(rateLimitPlugin, {
    rateLimit: options.rateLimit,
    clientTokenLimits:
      options.store.enabled || options.auth.clients.some((client) => client.rateLimits?.tokensPerMinute),
  });
  await fastify.register(cachePlugin, { ...options.cache, connection: options.redis });
  await fastify.register(usagePlugin, { ...options.usage });
  await fastify.register(concurrencyPlugin, { maxConcurrentRequests: options.maxConcurrentRequests });

  // ---- providers ---------------------------------------------------------------------------------
  await fastify.register(providerRegistryPlugin, {
    descriptors: PROVIDERS,
    providers: options.providers,
    services: {
      dispatcher: tracedDispatcher(fastify.gatewayTracing, dispatcher),
      media,
      unsupportedParameters: options.unsupportedParameters,
    },
  });
  await fastify.register(routingPlugin, { catalog, routing: options.routing });
  await fastify.register(modelDiscoveryPlugin, { scheduler: discoveryScheduler });
  await fastify.register(metricsPlugin);
  await fastify.register(semanticCachePlugin, { ...options.cache });

  // ---- routes ------------------------------------------------------------------------------------
  await fastify.register(discoveryRoutes);
  await fastify.register(healthRoutes, {
    rateLimitFailsClosed: options.rateLimit.enabled && options.rateLimit.onRedisError === 'closed',
  });
  await fastify.register(modelsRoutes);
  await fastify.register(chatCompletionsRoutes, {
    requestTimeout: options.requestTimeout,
    unsupportedParameters: options.unsupportedParameters,
    limits: options.limits,
    media: options.media,
    moderation: options.moderation,
  });
  await fastify.register(embeddingsRoutes, { requestTimeout: options.requestTimeout });
  await fastify.register(moderationsRoutes, { requestTimeout: options.requestTimeout });
  await fastify.register(filesRoutes, { requestTimeout: options.requestTimeout });
  await fastify.register(imagesRoutes, { requestTimeout: options.requestTimeout });
  await fastify.register(imageEditRoutes, { requestTimeout: options.requestTimeout });
  await fastify.register(audioTranscriptionRoutes, { requestTimeout: options.requestTimeout });
  await fastify.register(audioSpeechRoutes, { requestTimeout: options.requestTimeout });
  await fastify.register(responsesRoutes, {
    requestTimeout: options.requestTimeout,
    unsupportedParameters: options.unsupportedParameters,
    responses: options.responses,
    moderation: options.moderation,
  });
  await fastify.register(realtimeRoutes, {
    requestTimeout: options.requestTimeout,
    realtime: options.realtime,
  });
  await fastify.register(anthropicMessagesRoutes, {
    requestTimeout: options.requestTimeout,
    unsupportedParameters: options.unsupportedParameters,
    moderation: options.moderation,
  });
  await fastify.register(generativeLanguageRoutes, {
    requestTimeout: options.requestTimeout,
    unsupportedParameters: options.unsupportedParameters,
    limits: options.limits,
    media: options.media,
    moderation: options.moderation,
  });
  await fastify.register(usageRoutes, { adminKeys: options.auth.adminKeys });
  await fastify.register(metricsRoutes, { access: options.metrics.access });
  await fastify.register(cacheWarmRoutes, { adminKeys: options.auth.adminKeys });
  await fastify.register(adminRoutes, { ...options.auth });
  await fastify.register(uiRoutes, { enabled: options.ui.enabled });
};

export default gateway;
