/**
 * POST /v1/chat/completions, unary and streamed, whichever provider serves the model.
 * @see https://platform.openai.com/docs/api-reference/chat/create
 */
import { Readable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import {
  ChatCompletionRequestSchema,
  type ChatCompletionChunk,
  type ChatCompletionRequest,
} from '../../schemas/chat.js';
import { commonErrorResponses } from '../../schemas/common.js';
import type { GatewayOptions } from '../../schemas/options.js';
import { startCall } from '../../src/call-context.js';
import { renderError } from '../../src/errors.js';
import { authorizeModel } from '../../src/model-access.js';
import { applyParameterPolicy } from '../../src/parameters.js';
import type { CallContext, Usage } from '../../src/provider.js';
import type { Attempt } from '../../src/routing/execute.js';
import { chatRequirements } from '../../src/routing/requirements.js';
import type { Deployment } from '../../src/routing/deployment.js';
import { SSE_HEADERS, withFirst, writeChatStream } from '../../src/sse.js';
import { ClientClosed } from '../../src/upstream.js';
import { recordExecution, setGatewayHeaders, unwrapExecutionError } from './gateway-headers.js';

export interface ChatRouteOptions {
  requestTimeout: number;
  unsupportedParameters: GatewayOptions['unsupportedParameters'];
  streamFirstByteTimeoutMs: number;
}

/** A stream whose first event is late: the attempt is abandoned and the next deployment tried. */
class FirstByteTimeout extends Error {
  override name = 'FirstByteTimeout';
}

function usageFromChunk(usage: NonNullable<ChatCompletionChunk['usage']>): Usage {
  return {
    promptTokens: usage.prompt_tokens ?? 0,
    completionTokens: usage.completion_tokens ?? 0,
    totalTokens: usage.total_tokens ?? 0,
    reasoningTokens: Number(usage.completion_tokens_details?.['reasoning_tokens'] ?? 0),
    cachedTokens: Number(usage.prompt_tokens_details?.['cached_tokens'] ?? 0),
  };
}

export const chatCompletionsRoutes: FastifyPluginAsync<ChatRouteOptions> = async (instance, options) => {
  const fastify = instance.withTypeProvider<TypeBoxTypeProvider>();

  const requestFor = (body: ChatCompletionRequest, deployment: Deployment, warnings: string[]) =>
    applyParameterPolicy(
      body,
      deployment,
      deployment.instance.adapter.chatParametersFor?.(deployment) ??
        deployment.instance.adapter.chatParameters,
      options.unsupportedParameters,
      warnings,
    );

  fastify.post(
    '/v1/chat/completions',
    {
      config: { rateLimitClass: 'chat', cacheable: true, concurrencyLimited: true },
      schema: {
        tags: ['chat'],
        summary: 'Create a chat completion',
        description:
          'OpenAI-compatible. With `stream: true` the answer is a stream of server-sent events, each ' +
          '`data: <chat.completion.chunk>`, ending with `data: [DONE]`.',
        body: ChatCompletionRequestSchema,
        response: {
          200: {
            description: 'A chat.completion, or an event stream of chat.completion.chunk',
            content: {
              'application/json': { schema: Type.Ref('ChatCompletion') },
              'text/event-stream': { schema: Type.Ref('ChatCompletionChunk') },
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
      const plan = fastify.gatewayRouter.plan(body.model, 'chat', {
        requirements: chatRequirements(body),
        strategy: request.headers['x-gateway-strategy'],
      });
      authorizeModel(request, body.model, plan);
      const cache = await fastify.gatewayCache.lookupChat(request, reply, plan);
      if (cache.answered) return reply;
      const call = startCall(request, reply, options.requestTimeout, []);
      const attemptContext = (attempt: Attempt, warnings: string[]): CallContext => ({
        ...call.context,
        signal: attempt.signal,
        warnings,
      });

      if (!state.stream) {
        let execution;
        try {
          execution = await fastify.gatewayRouter.execute(
            plan,
            (deployment, attempt) => {
              const warnings: string[] = [];
              const prepared = requestFor(body, deployment, warnings);
              return deployment.instance.adapter
                .chat(prepared, deployment, attemptContext(attempt, warnings))
                .then((result) => ({ result, warnings }));
            },
            call.context,
          );
        } catch (error) {
          throw unwrapExecutionError(error, state);
        } finally {
          call.dispose();
        }
        execution.release();
        recordExecution(state, execution);
        state.warnings.push(...execution.value.warnings);
        state.usage = execution.value.result.usage;
        cache.storeUnary(execution.value.result);
        setGatewayHeaders(reply, state);
        return reply.type(execution.value.result.contentType).send(execution.value.result.body);
      }

      let execution;
      try {
        execution = await fastify.gatewayRouter.execute(
          plan,
          async (deployment, attempt) => {
            const warnings: string[] = [];
            const prepared = requestFor(body, deployment, warnings);
            // Nothing has reached the client until the first event: up to then a failure, or a
            // first byte that is too late, can still fail over.
            const late =
              options.streamFirstByteTimeoutMs > 0
                ? setTimeout(
                    () =>
                      attempt.abort(
                        new FirstByteTimeout(`No first event within ${options.streamFirstByteTimeoutMs} ms`),
                      ),
                    options.streamFirstByteTimeoutMs,
                  )
                : undefined;
            try {
              const context = attemptContext(attempt, warnings);
              const stream = await deployment.instance.adapter.chatStream(prepared, deployment, context);
              const iterator = stream[Symbol.asyncIterator]();
              try {
                const first = await iterator.next();
                return { first, iterator, warnings };
              } catch (error) {
                await iterator.return?.().catch(() => {});
                throw error;
              }
            } finally {
              clearTimeout(late);
            }
          },
          call.context,
          // A stream's attempt abandons itself when its first event is late.
          { selfAborting: true },
        );
      } catch (error) {
        call.dispose();
        throw unwrapExecutionError(error, state);
      }
      recordExecution(state, execution);
      state.warnings.push(...execution.value.warnings);
      state.timeToFirstByteMs = performance.now() - state.startedAt;
      setGatewayHeaders(reply, state);

      const recorder = cache.streamRecorder();
      const streamingSince = performance.now();
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        // Streaming time is upstream time: the overhead is what the gateway spent before it.
        state.upstreamMs += performance.now() - streamingSince;
        execution.release();
        call.dispose();
      };
      // A client that leaves before the first frame is pulled never starts the generator, whose
      // onEnd would then not run.
      reply.raw.once('close', end);
      const frames = writeChatStream(withFirst(execution.value.first, execution.value.iterator), {
        onEvent(event) {
          if (event.mayCarryUsage !== false && event.chunk.usage)
            state.usage = usageFromChunk(event.chunk.usage);
          recorder?.add(event);
        },
        onComplete() {
          recorder?.complete();
        },
        onError(error) {
          if (!(error instanceof ClientClosed))
            request.log.warn({ err: error }, 'stream failed after it started');
          const rendered = renderError(error);
          state.errorCode = rendered.gatewayCode;
          return rendered.envelope;
        },
        onEnd: end,
      });
      reply.headers(SSE_HEADERS);
      return reply.send(Readable.from(frames, { objectMode: false }));
    },
  );
};
