/**
 * POST /v1/audio/speech: text in (JSON), audio out, relayed to the client while the provider still
 * produces it, with the provider's content type for the `response_format` (or server-sent audio
 * events with `stream_format: "sse"`).
 * @see https://platform.openai.com/docs/api-reference/audio/createSpeech
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { SpeechRequestSchema } from '../../schemas/audio.js';
import { commonErrorResponses } from '../../schemas/common.js';
import { callModel } from '../../src/http/model-call.js';
import { sendModelResult } from '../../src/http/send-model-result.js';
import { authorizeModel } from '../../src/model-access.js';
import { estimateTokens } from '../../src/tokens.js';

export interface SpeechRouteOptions {
  requestTimeout: number;
}

export const audioSpeechRoutes: FastifyPluginAsync<SpeechRouteOptions> = async (instance, options) => {
  const fastify = instance.withTypeProvider<TypeBoxTypeProvider>();

  fastify.post(
    '/v1/audio/speech',
    {
      config: { rateLimitClass: 'audio', cacheable: false, concurrencyLimited: true },
      schema: {
        tags: ['audio'],
        summary: 'Generate audio from text',
        body: SpeechRequestSchema,
        response: {
          200: {
            description:
              'The audio, streamed as it is produced: audio/mpeg (mp3), audio/opus, audio/aac, audio/flac, ' +
              'audio/wav or audio/pcm as the provider labels it; with stream_format=sse, server-sent events',
            content: {
              'application/octet-stream': { schema: Type.String({ format: 'binary' }) },
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
      const plan = fastify.gatewayRouter.plan(body.model, 'speech');
      authorizeModel(request, body.model, plan);
      const answer = await callModel(
        fastify.gatewayRouter,
        plan,
        request,
        reply,
        // The plan holds only deployments whose adapter serves speech.
        (deployment, context) => deployment.instance.adapter.speech!(body, deployment, context),
        { timeoutMs: options.requestTimeout },
      );
      // Speech is priced by the characters spoken (or by tokens, estimated from them): every call is
      // counted, whatever the provider reports.
      const characters = body.input.length;
      const promptTokens = estimateTokens(characters);
      state.usage = {
        promptTokens,
        completionTokens: 0,
        totalTokens: promptTokens,
        reasoningTokens: 0,
        cachedTokens: 0,
        characters,
        estimated: true,
      };
      return sendModelResult(request, reply, answer.value, answer.call, answer.release);
    },
  );
};
