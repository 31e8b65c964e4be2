/**
 * POST /v1/chat/completions, unary and streamed, whichever provider serves the model.
 * @see https://platform.openai.com/docs/api-reference/chat/create
 */
import { performance } from 'node:perf_hooks';
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ChatCompletionRequestSchema, type ChatCompletionRequest } from '../../schemas/chat.js';
import { commonErrorResponses } from '../../schemas/common.js';
import type { GatewayOptions } from '../../schemas/options.js';
import { renderError } from '../../src/errors.js';
import { callModel, callModelStream } from '../../src/http/model-call.js';
import { createChatInputModeration } from '../../src/http/moderate-chat-input.js';
import { StreamedText } from '../../src/http/streamed-characters.js';
import { authorizeModel } from '../../src/model-access.js';
import { applyParameterPolicy } from '../../src/parameters.js';
import { usageFromChatCompletion, type ChatUsageWire } from '../../src/provider-toolkit.js';
import { checkChatLimits } from '../../src/request-limits.js';
import { chatRequirements } from '../../src/routing/requirements.js';
import type { Deployment } from '../../src/routing/deployment.js';
import { ChatStreamBody, SSE_HEADERS, withFirst } from '../../src/sse.js';
import { ClientClosed } from '../../src/upstream.js';

export interface ChatRouteOptions {
  requestTimeout: number;
  unsupportedParameters: GatewayOptions['unsupportedParameters'];
  limits: GatewayOptions['limits'];
  media: Pick<GatewayOptions['media'], 'maxFilesPerRequest'>;
  /** Chat input moderation (absent: none). */
  moderation?: GatewayOptions['moderation'];
}

export const chatCompletionsRoutes: FastifyPluginAsync<ChatRouteOptions> = async (instance, options) => {
  const fastify = instance.withTypeProvider<TypeBoxTypeProvider>();
  const moderation = options.moderation
    ? createChatInputModeration(options.moderation, fastify.gatewayRouter, options.requestTimeout)
    : undefined;

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
      checkChatLimits(body, options.limits, options.media);
      const requirements = chatRequirements(body);
      state.promptTokensEstimate = requirements.estimate.promptTokens;
      const plan = fastify.gatewayRouter.plan(body.model, 'chat', {
        requirements,
        strategy: request.headers['x-gateway-strategy'],
      });
      authorizeModel(request, body.model, plan);
      // Before the cache too: a stored answer is an answer to input that must be checked first.
      if (moderation?.applies(request, body.model)) await moderation.check(request, reply, body.messages);
      const exact = await fastify.gatewayCache.lookupChat(request, reply, plan);
      const cache = fastify.gatewaySemanticCache
        ? await fastify.gatewaySemanticCache.lookupChat(request, reply, plan, exact)
        : exact;
      if (cache.answered) return reply;
      const router = fastify.gatewayRouter;
      const callOptions = { timeoutMs: options.requestTimeout };

      if (!state.stream) {
        const answer = await callModel(
          router,
          plan,
          request,
          reply,
          (deployment, context) =>
            deployment.instance.adapter.chat(
              requestFor(body, deployment, context.warnings),
              deployment,
              context,
            ),
          callOptions,
        );
        answer.call.dispose();
        answer.release();
        state.usage = answer.value.usage;
        cache.storeUnary(answer.value);
        return reply.type(answer.value.contentType).send(answer.value.body);
      }

      const started = await callModelStream(
        router,
        plan,
        request,
        reply,
        (deployment, context) =>
          deployment.instance.adapter.chatStream(
            requestFor(body, deployment, context.warnings),
            deployment,
            context,
          ),
        callOptions,
      );
      const recorder = cache.streamRecorder();
      const streamedText = (state.streamedText = new StreamedText());
      const streamingSince = performance.now();
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        // Streaming time is upstream time: the overhead is what the gateway spent before it.
        state.upstreamMs += performance.now() - streamingSince;
        started.release();
        started.call.dispose();
      };
      // A client that leaves before the body is destroyed or ends still releases the call.
      reply.raw.once('close', end);
      const frames = new ChatStreamBody(withFirst(started.value.first, started.value.iterator), {
        onEvent(event) {
          if (event.mayCarryUsage !== false && event.chunk.usage)
            state.usage = event.usage ?? usageFromChatCompletion(event.chunk.usage as ChatUsageWire);
          else if (!event.hidden) streamedText.add(event);
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
      return reply.send(frames);
    },
  );
};
