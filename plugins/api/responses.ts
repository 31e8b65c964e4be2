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
import { commonErrorResponses } from '../../schemas/common.js';
import { ResponsesRequestSchema } from '../../schemas/responses.js';
import { authorizeModel } from '../../src/model-access.js';
import { startCall } from '../../src/call-context.js';
import { GatewayError, renderError } from '../../src/errors.js';
import type { ProviderInstance, ResponsesStreamEvent, Usage } from '../../src/provider.js';
import { SSE_HEADERS, writeTypedEventStream } from '../../src/sse.js';
import { ClientClosed } from '../../src/upstream.js';
import { recordExecution, setGatewayHeaders, unwrapExecutionError } from './gateway-headers.js';
import { firstInstance, runModelCall } from './run-model-call.js';
import { sendModelResult } from './send-model-result.js';

export interface ResponsesRouteOptions {
  requestTimeout: number;
}

async function* prepend<T>(first: IteratorResult<T>, iterator: AsyncIterator<T>): AsyncGenerator<T, void> {
  try {
    if (first.done) return;
    yield first.value;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  } finally {
    await iterator.return?.();
  }
}

interface ResponsesUsage {
  input_tokens?: number;
  output_tokens?: number;
  total_tokens?: number;
  input_tokens_details?: { cached_tokens?: number };
  output_tokens_details?: { reasoning_tokens?: number };
}

/** The usage of the response a terminal event carries, in the gateway's terms. */
function usageOfTerminalEvent(event: ResponsesStreamEvent): Usage | undefined {
  if (event.type !== 'response.completed' && event.type !== 'response.incomplete') return undefined;
  let usage: ResponsesUsage | undefined;
  try {
    usage = (JSON.parse(event.data) as { response?: { usage?: ResponsesUsage } }).response?.usage;
  } catch {
    return undefined;
  }
  if (!usage || typeof usage.input_tokens !== 'number') return undefined;
  return {
    promptTokens: usage.input_tokens,
    completionTokens: usage.output_tokens ?? 0,
    totalTokens: usage.total_tokens ?? usage.input_tokens + (usage.output_tokens ?? 0),
    reasoningTokens: usage.output_tokens_details?.reasoning_tokens ?? 0,
    cachedTokens: usage.input_tokens_details?.cached_tokens ?? 0,
  };
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
      const plan = fastify.gatewayRouter.plan(body.model, 'chat');
      authorizeModel(request, body.model, plan);
      const call = startCall(request, reply, options.requestTimeout, state.warnings);
      const notServed = (provider: string) =>
        new GatewayError('GW_ERR_MODEL_WRONG_TYPE', {
          message: `The provider '${provider}' does not serve the Responses API; use /v1/chat/completions.`,
          param: 'model',
        });

      if (!state.stream) {
        try {
          const execution = await runModelCall(fastify, plan, call, async (deployment, context) => {
            const adapter = deployment.instance.adapter;
            if (!adapter.responses) throw notServed(deployment.instance.id);
            return adapter.responses(body, deployment, context);
          });
          recordExecution(state, execution);
          setGatewayHeaders(reply, state);
          return sendModelResult(request, reply, execution.value, call, execution.release);
        } catch (error) {
          call.dispose();
          throw unwrapExecutionError(error, state);
        }
      }

      let execution;
      try {
        execution = await runModelCall(fastify, plan, call, async (deployment, context) => {
          const adapter = deployment.instance.adapter;
          if (!adapter.responsesStream) throw notServed(deployment.instance.id);
          const stream = await adapter.responsesStream(body, deployment, context);
          const iterator = stream[Symbol.asyncIterator]();
          // Nothing has reached the client yet: a failure up to the first event can still fail over.
          try {
            return { first: await iterator.next(), iterator };
          } catch (error) {
            await iterator.return?.().catch(() => {});
            throw error;
          }
        });
      } catch (error) {
        call.dispose();
        throw unwrapExecutionError(error, state);
      }
      recordExecution(state, execution);
      setGatewayHeaders(reply, state);
      const streamed = execution;

      const frames = writeTypedEventStream(prepend(execution.value.first, execution.value.iterator), {
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
      async function* body$(): AsyncGenerator<string, void, undefined> {
        const started = performance.now();
        try {
          yield* frames;
        } finally {
          state.upstreamMs += performance.now() - started;
          call.dispose();
          streamed.release();
        }
      }
      reply.headers(SSE_HEADERS);
      return reply.send(Readable.from(body$(), { objectMode: false }));
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
          const plan = fastify.gatewayRouter.plan(model, 'chat');
          authorizeModel(request, model, plan);
          holder = firstInstance(plan);
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
