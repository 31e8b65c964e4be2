/**
 * The Gemini API as a way in (the gateway's Gemini door): Google's SDKs and REST clients call the
 * gateway as they call Gemini, whichever provider serves the model.
 * @see https://ai.google.dev/api
 *
 * - `POST /v1beta/models/{model}:generateContent`, `:streamGenerateContent` (`?alt=sse` for
 *   server-sent events, else a JSON array), `:countTokens`, `:embedContent`, `:batchEmbedContents`;
 * - `GET /v1beta/models` and `GET /v1beta/models/{model}`;
 * - the same under `/v1/`. There `GET /v1/models` is also the OpenAI list: a request that brings its
 *   key as Google's clients do (`x-goog-api-key`, `?key=`) gets Gemini's shape (a route constraint).
 *
 * Gemini puts the method after a colon in the last path segment, and model names may hold slashes
 * (`openai/gpt-4o-mini` is `models/openai/gpt-4o-mini`). A one-segment name is matched by a route per
 * method (`:model(.+)` then the literal `:method`), which names the method in the access log, the
 * metrics and the OpenAPI document; a name with slashes falls through to a wildcard route per method,
 * told apart by a constraint on the text after the last colon (an unknown method matches none: 404).
 *
 * Keys come as `x-goog-api-key` (or `?key=`, which the SDKs can send; never logged: the access log
 * and the metrics name route templates, request lines drop the query string), gateway and client
 * keys alike. Errors, from the auth hook to a failed model call, answer in Google's envelope
 * (gemini-error.ts), and so do unknown URLs under /v1beta. The response cache is not used on these
 * routes: its entries are chat completions and OpenAI embeddings, keyed on those requests.
 */
import type { FastifyContextConfig, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type TSchema } from '@sinclair/typebox';
import type { GatewayOptions } from '../../../schemas/options.js';
import { GatewayError, renderError } from '../../../src/errors.js';
import { createDoorErrorHandler } from '../../../src/http/door-error-handler.js';
import { serveCountTokens } from './count-tokens.js';
import { serveEmbedContent } from './embed-content.js';
import { convertToGoogleError } from './gemini-error.js';
import { geminiModels, pageOf } from './gemini-models.js';
import {
  BatchEmbedContentsResponseSchema,
  CountTokensResponseSchema,
  EmbedContentResponseSchema,
  GeminiQuerySchema,
  GenerateContentResponseSchema,
  METHOD_BODIES,
  ModelListQuerySchema,
  geminiSharedSchemas,
} from './gemini-schemas.js';
import { serveGenerateContent } from './generate-content.js';
import { createChatInputModeration } from '../../../src/http/moderate-chat-input.js';
import { createSerializerCompiler, createValidatorCompiler } from '../../../src/validation.js';

export interface GeminiRouteOptions {
  requestTimeout: number;
  unsupportedParameters: GatewayOptions['unsupportedParameters'];
  limits: GatewayOptions['limits'];
  media: Pick<GatewayOptions['media'], 'maxFilesPerRequest'>;
  /** Chat input moderation (absent: none). */
  moderation?: GatewayOptions['moderation'];
}

const METHODS = [
  'generateContent',
  'streamGenerateContent',
  'countTokens',
  'embedContent',
  'batchEmbedContents',
] as const;
type Method = (typeof METHODS)[number];

const VERSIONS = ['v1beta', 'v1'] as const;

const MODEL_CALL = { cacheable: false, concurrencyLimited: true, apiKeyInQuery: true } as const;
const CONFIG_OF: Record<Method, FastifyContextConfig> = {
  generateContent: { ...MODEL_CALL, rateLimitClass: 'chat' },
  streamGenerateContent: { ...MODEL_CALL, rateLimitClass: 'chat' },
  countTokens: { ...MODEL_CALL, rateLimitClass: 'chat' },
  embedContent: { ...MODEL_CALL, rateLimitClass: 'embeddings' },
  batchEmbedContents: { ...MODEL_CALL, rateLimitClass: 'embeddings' },
};

const SUMMARY_OF: Record<Method, string> = {
  generateContent: 'Generate content (Gemini API)',
  streamGenerateContent: 'Generate content as a stream (Gemini API)',
  countTokens: 'Count tokens (Gemini API)',
  embedContent: 'Embed one content (Gemini API)',
  batchEmbedContents: 'Embed several contents (Gemini API)',
};

const ANSWER_OF: Record<Method, TSchema> = {
  generateContent: Type.Ref(GenerateContentResponseSchema.$id!),
  streamGenerateContent: {
    description: 'With alt=sse, one event per GenerateContentResponse; otherwise a JSON array of them',
    content: {
      'text/event-stream': { schema: Type.Ref(GenerateContentResponseSchema.$id!) },
      'application/json': { schema: Type.Array(Type.Ref(GenerateContentResponseSchema.$id!)) },
    },
  } as unknown as TSchema,
  countTokens: Type.Ref(CountTokensResponseSchema.$id!),
  embedContent: Type.Ref(EmbedContentResponseSchema.$id!),
  batchEmbedContents: Type.Ref(BatchEmbedContentsResponseSchema.$id!),
};

const errorResponses = Object.fromEntries(
  [400, 401, 403, 404, 429, 500, 502, 503, 504].map((status) => [status, Type.Ref('GoogleError')]),
);

/** How Google's clients authenticate, and the gateway's own ways, for the OpenAPI document. */
const SECURITY: { [scheme: string]: string[] }[] = [
  { googApiKeyHeader: [] },
  { keyQueryParameter: [] },
  { bearerAuth: [] },
  { apiKeyHeader: [] },
];

// ---- route constraints ----------------------------------------------------------------------------

const METHOD_CONSTRAINT = 'geminiMethod';
const CLIENT_CONSTRAINT = 'geminiClient';
const KEY_PARAMETER = /[?&]key=/;

interface ConstraintStore {
  get(value: string): unknown;
  set(value: string, store: unknown): void;
}

function mapStorage(): ConstraintStore {
  const values = new Map<string, unknown>();
  return { get: (value) => values.get(value) ?? null, set: (value, store) => void values.set(value, store) };
}

/** The Gemini method a URL names: the text after the last colon of its path, if any. */
function methodOfUrl(url: string): string | undefined {
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  const colon = path.lastIndexOf(':');
  return colon === -1 || colon < path.lastIndexOf('/') ? undefined : path.slice(colon + 1);
}

const methodConstraint = {
  name: METHOD_CONSTRAINT,
  storage: mapStorage,
  validate() {},
  deriveConstraint: (request: { url?: string }) => methodOfUrl(request.url ?? ''),
};

/** A request that brings its key as Google's clients do. */
const clientConstraint = {
  name: CLIENT_CONSTRAINT,
  storage: mapStorage,
  validate() {},
  deriveConstraint: (request: { url?: string; headers: Record<string, unknown> }) =>
    request.headers['x-goog-api-key'] !== undefined || KEY_PARAMETER.test(request.url ?? '')
      ? 'gemini'
      : undefined,
};

// ---- routes ---------------------------------------------------------------------------------------

/**
 * The door's plugin, named after the API's service (Google calls the Gemini API the Generative
 * Language API) so that the composition root names no provider.
 */
export const generativeLanguageRoutes: FastifyPluginAsync<GeminiRouteOptions> = async (instance, options) => {
  const fastify = instance.withTypeProvider<TypeBoxTypeProvider>();
  for (const schema of geminiSharedSchemas) fastify.addSchema(schema);
  // Schemas added in this context give it a schema controller of its own, which falls back to
  // Fastify's default compilers: without these two lines the door's bodies were validated by an Ajv
  // that coerces types and strips unknown fields, and every gateway built compiled a
  // fast-json-stringify serializer for each route and status (a second of CPU per gateway).
  fastify.setValidatorCompiler(createValidatorCompiler());
  fastify.setSerializerCompiler(createSerializerCompiler());
  for (const constraint of [methodConstraint, clientConstraint]) {
    // The router is the server's: a second gateway in the same server shares the strategies.
    if (!fastify.hasConstraintStrategy(constraint.name)) {
      fastify.addConstraintStrategy(
        constraint as unknown as Parameters<typeof fastify.addConstraintStrategy>[0],
      );
    }
  }
  fastify.setErrorHandler(
    createDoorErrorHandler((rendered, _request, reply) => ({
      status: rendered.status,
      body: convertToGoogleError(rendered, reply.getHeader('retry-after')),
    })),
  );

  const router = fastify.gatewayRouter;
  const moderation = options.moderation
    ? createChatInputModeration(options.moderation, router, options.requestTimeout)
    : undefined;
  const calls = { router, ...options, moderation };
  const serve = (method: Method, request: FastifyRequest, reply: FastifyReply, model: string) => {
    switch (method) {
      case 'generateContent':
        return serveGenerateContent(calls, request, reply, model, false);
      case 'streamGenerateContent':
        return serveGenerateContent(calls, request, reply, model, true);
      case 'countTokens':
        return serveCountTokens(calls, request, reply, model);
      case 'embedContent':
        return serveEmbedContent(calls, request, reply, model, false);
      case 'batchEmbedContents':
        return serveEmbedContent(calls, request, reply, model, true);
    }
  };

  for (const version of VERSIONS) {
    // The /v1 routes are the /v1beta ones again: documented once.
    const hide = version === 'v1';
    for (const method of METHODS) {
      const schema = {
        tags: ['gemini'],
        summary: SUMMARY_OF[method],
        description:
          'The Gemini API, served by any model: passed through to Gemini deployments, translated for the ' +
          'others (docs/inbound/gemini.md). Model names with slashes are accepted too. Also under /v1/.',
        security: SECURITY,
        body: METHOD_BODIES[method]!,
        querystring: GeminiQuerySchema,
        response: { 200: ANSWER_OF[method], ...errorResponses },
      };
      fastify.post(
        `/${version}/models/:model(.+)::${method}`,
        {
          config: { ...CONFIG_OF[method] },
          schema: {
            ...schema,
            hide,
            params: Type.Object({ model: Type.String({ description: 'The model, e.g. gemini-2.5-flash' }) }),
          },
        },
        (request, reply) => serve(method, request, reply, request.params.model),
      );
      fastify.post(
        `/${version}/models/*`,
        {
          constraints: { [METHOD_CONSTRAINT]: method },
          config: { ...CONFIG_OF[method] },
          schema: { ...schema, hide: true, params: Type.Object({ '*': Type.String() }) },
        },
        (request, reply) => {
          const path = request.params['*'];
          return serve(method, request, reply, path.slice(0, path.lastIndexOf(':')));
        },
      );
    }

    const listing = {
      config: { rateLimitClass: 'default' as const, apiKeyInQuery: true },
      ...(version === 'v1' ? { constraints: { [CLIENT_CONSTRAINT]: 'gemini' } } : {}),
    };
    fastify.get(
      `/${version}/models`,
      {
        ...listing,
        schema: {
          hide,
          tags: ['gemini'],
          summary: 'List models (Gemini API)',
          description:
            'The chat and embedding models, aliases and groups this key may use. Under /v1/, answered for ' +
            'requests that send their key as x-goog-api-key or ?key= (otherwise /v1/models is the OpenAI list).',
          security: SECURITY,
          querystring: ModelListQuerySchema,
          response: { 200: Type.Ref('GeminiModelList'), ...errorResponses },
        },
      },
      async (request) => {
        const all = geminiModels({
          router,
          catalog: fastify.gatewayCatalog,
          configured: new Set(fastify.gatewayProviders.configured().map((provider) => provider.id)),
          allows: request.gateway.identity?.allowsModel ?? (() => true),
        });
        return pageOf(all, request.query.pageSize, request.query.pageToken);
      },
    );
    fastify.get(
      `/${version}/models/*`,
      {
        ...listing,
        config: { ...listing.config, wildcardParam: 'model' },
        schema: {
          hide,
          tags: ['gemini'],
          summary: 'Get a model (Gemini API)',
          security: SECURITY,
          params: Type.Object({ '*': Type.String({ description: 'The model, e.g. gemini-2.5-flash' }) }),
          querystring: Type.Object({ key: Type.Optional(Type.String()) }, { additionalProperties: true }),
          response: { 200: Type.Ref('GeminiModel'), ...errorResponses },
        },
      },
      async (request) => {
        const id = request.params['*'];
        const found = geminiModels({
          router,
          catalog: fastify.gatewayCatalog,
          configured: new Set(fastify.gatewayProviders.configured().map((provider) => provider.id)),
          allows: request.gateway.identity?.allowsModel ?? (() => true),
        }).find((model) => model.name === `models/${id}`);
        if (!found) {
          throw new GatewayError('GW_ERR_MODEL_NOT_FOUND', {
            message: `models/${id} is not found on this gateway, or this key may not use it.`,
            param: 'model',
          });
        }
        return found;
      },
    );
  }

  // Unknown URLs under /v1beta are the Gemini API's: Google's envelope, not OpenAI's.
  await fastify.register(
    async (scope) => {
      scope.setNotFoundHandler((request, reply) => {
        const path = request.url.split('?')[0] ?? '';
        const rendered = renderError(
          new GatewayError('GW_ERR_ROUTE_NOT_FOUND', {
            message: `Unknown request URL: ${request.method} ${path}. The Gemini API's methods are models/{model}:generateContent, :streamGenerateContent, :countTokens, :embedContent and :batchEmbedContents.`,
          }),
        );
        if (request.gateway) request.gateway.errorCode = rendered.gatewayCode;
        return reply.code(404).headers(rendered.headers).send(convertToGoogleError(rendered));
      });
    },
    { prefix: '/v1beta' },
  );
};
