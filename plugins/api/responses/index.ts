/**
 * The Responses API, passed through to the providers that speak it: POST /v1/responses (unary, or
 * typed server-sent events relayed unchanged), GET and DELETE /v1/responses/{id}.
 * @see https://platform.openai.com/docs/api-reference/responses
 *
 * Which provider instance holds a stored response: the one of the `model` query parameter when it is
 * given (`?model=o3-pro`), else the default Responses instance: among the configured instances whose
 * adapter serves the Responses API, the one configured by the environment (whose id is its type),
 * else the first. Response ids do not say who made them, and the gateway keeps no record of them.
 */
import { Readable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { commonErrorResponses } from '../../../schemas/common.js';
import { ResponsesRequestSchema } from '../../../schemas/responses.js';
import { authorizeModel } from '../../../src/model-access.js';
import { startCall } from '../../../src/http/call-context.js';
import { setGatewayHeaders } from '../../../src/http/gateway-headers.js';
import { callModel, callModelStream } from '../../../src/http/model-call.js';
import { sendModelResult } from '../../../src/http/send-model-result.js';
import { GatewayError, renderError } from '../../../src/errors.js';
import type { ProviderInstance, ResponsesStreamEvent } from '../../../src/provider.js';
import { usageFromResponsesApi, type ResponsesUsageWire } from '../../../src/provider-toolkit.js';
import { SSE_HEADERS, withFirst, writeTypedEventStream } from '../../../src/sse.js';
import { ClientClosed } from '../../../src/upstream.js';

export interface ResponsesRouteOptions {
  requestTimeout: number;
}

/** The usage of the response a terminal event carries, in the gateway's terms. */
function usageOfTerminalEvent(event: ResponsesStreamEvent) {
  if (event.type !== 'response.completed' && event.type !== 'response.incomplete') return undefined;
  try {
    return usageFromResponsesApi(
      (JSON.parse(event.data) as { response?: { usage?: ResponsesUsageWire } }).response?.usage,
    );
  } catch {
    return undefined;
  }
}

const ResponseIdParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 256, pattern: '^[A-Za-z0-9_-]+$', description: 'resp_…' }),
});
const StoredResponseQuery = Type.Object(
  {
    model: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'Gateway only, not sent on: a model of the provider that holds the response',
      }),
    ),
  },
  { additionalProperties: true, description: 'Other parameters (include[], stream, …) are passed through' },
);

export const responsesRoutes: FastifyPluginAsync<ResponsesRouteOptions> = async (instance, options) => {
  const fastify = instance.withTypeProvider<TypeBoxTypeProvider>();

  fastify.post(
    '/v1/responses',
    {
      config: { rateLimitClass: 'chat', cacheable: false, concurrencyLimited: true },
      schema: {
        tags: ['responses'],
        summary: 'Create a model response (Responses API)',
        description:
          'Passed through to OpenAI-type providers. With `stream: true` the answer is the provider’s ' +
          'typed server-sent events (`event: response.created`, …, `event: response.completed`), unchanged.',
        body: ResponsesRequestSchema,
        response: {
          200: {
            description: 'A response object, or its event stream',
            content: {
              'application/json': { schema: Type.Ref('Response') },
              'text/event-stream': { schema: Type.String() },
            },
          },
          ...commonErrorResponses,
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const state = request.gateway;
      state.model = body.model;
      state.stream = body.stream === true;
      const plan = fastify.gatewayRouter.plan(body.model, 'responses');
      authorizeModel(request, body.model, plan);
      const router = fastify.gatewayRouter;
      const callOptions = { timeoutMs: options.requestTimeout };

      if (!state.stream) {
        const answer = await callModel(
          router,
          plan,
          request,
          reply,
          // The plan holds only deployments whose adapter serves the Responses API.
          (deployment, context) => deployment.instance.adapter.responses!(body, deployment, context),
          callOptions,
        );
        return sendModelResult(request, reply, answer.value, answer.call, answer.release);
      }

      const started = await callModelStream(
        router,
        plan,
        request,
        reply,
        (deployment, context) => deployment.instance.adapter.responsesStream!(body, deployment, context),
        callOptions,
      );
      const frames = writeTypedEventStream(withFirst(started.value.first, started.value.iterator), {
        onEvent(event) {
          state.usage = usageOfTerminalEvent(event) ?? state.usage;
        },
        onError(error, sequence) {
          if (!(error instanceof ClientClosed))
            request.log.warn({ err: error }, 'stream failed after it started');
          const rendered = renderError(error);
          state.errorCode = rendered.gatewayCode;
          const { message, code, param } = rendered.envelope.error;
          return JSON.stringify({ type: 'error', code, message, param, sequence_number: sequence });
        },
      });
      async function* relay(): AsyncGenerator<string, void, undefined> {
        const streamingSince = performance.now();
        try {
          yield* frames;
        } finally {
          state.upstreamMs += performance.now() - streamingSince;
          started.call.dispose();
          started.release();
        }
      }
      reply.headers(SSE_HEADERS);
      return reply.send(Readable.from(relay(), { objectMode: false }));
    },
  );

  /** The instance that holds stored responses when the client names no model. */
  const defaultInstance = (): ProviderInstance | undefined => {
    const serving = fastify.gatewayProviders
      .configured()
      .filter((candidate) => candidate.adapter.storedResponse !== undefined);
    return serving.find((candidate) => candidate.id === candidate.type) ?? serving[0];
  };

  for (const method of ['GET', 'DELETE'] as const) {
    fastify.route({
      method,
      url: '/v1/responses/:id',
      config: { rateLimitClass: 'default', cacheable: false, concurrencyLimited: true },
      schema: {
        tags: ['responses'],
        summary: method === 'GET' ? 'Retrieve a stored response' : 'Delete a stored response',
        params: ResponseIdParams,
        querystring: StoredResponseQuery,
        response: {
          200: method === 'GET' ? Type.Ref('Response') : Type.Ref('DeletedResponse'),
          ...commonErrorResponses,
        },
      },
      handler: async (request, reply) => {
        const state = request.gateway;
        const model = request.query.model;
        let holder: ProviderInstance | undefined;
        if (model !== undefined) {
          state.model = model;
          const plan = fastify.gatewayRouter.plan(model, 'responses');
          authorizeModel(request, model, plan);
          holder = plan.deployments[0]?.instance;
        } else holder = defaultInstance();
        if (!holder?.adapter.storedResponse) {
          throw new GatewayError('GW_ERR_MODEL_PROVIDER_NOT_CONFIGURED', {
            message: model
              ? `The provider of '${model}' does not store Responses API responses.`
              : 'No configured provider serves the Responses API.',
            param: model ? 'model' : null,
          });
        }
        const search = new URLSearchParams(request.url.slice(request.url.indexOf('?') + 1));
        if (request.url.includes('?')) search.delete('model');
        const query = request.url.includes('?') && search.size > 0 ? `?${search.toString()}` : '';
        const call = startCall(request, reply, options.requestTimeout, state.warnings);
        const started = performance.now();
        try {
          const result = await holder.adapter.storedResponse(
            { method, responseId: request.params.id, query },
            call.context,
          );
          state.provider = holder.id;
          state.attempts = 1;
          state.upstreamMs = performance.now() - started;
          setGatewayHeaders(reply, state);
          return sendModelResult(request, reply, result, call);
        } catch (error) {
          call.dispose();
          state.attempts = 1;
          state.upstreamMs = performance.now() - started;
          throw error;
        }
      },
    });
  }
};
