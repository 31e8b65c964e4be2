/**
 * `generateContent` and `streamGenerateContent`, whichever provider serves the model: passed through
 * to a Gemini deployment, translated to and from the internal chat request for the others, through
 * the one call runner (retries, failover, circuit breakers, usage, metrics, the gateway headers).
 * @see https://ai.google.dev/api/generate-content
 */
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayOptions } from '../../../schemas/options.js';
import { renderError } from '../../../src/errors.js';
import { callModel, callModelStream } from '../../../src/http/model-call.js';
import { authorizeModel } from '../../../src/model-access.js';
import { applyParameterPolicy } from '../../../src/parameters.js';
import type { ChatStream, UnaryResult } from '../../../src/provider.js';
import type { Deployment } from '../../../src/routing/deployment.js';
import { chatRequirements } from '../../../src/routing/requirements.js';
import type { Router } from '../../../src/routing/router.js';
import { SSE_HEADERS, withFirst } from '../../../src/sse.js';
import { ClientClosed } from '../../../src/upstream.js';
import { convertGeminiRequest, type GeminiTranslation } from './convert-gemini-request.js';
import { convertToGeminiResponse, type ChatCompletionWire } from './convert-to-gemini-response.js';
import { applyTranslationNotes, callNative, isUnaryResult, speaksGemini } from './gemini-attempt.js';
import { convertToGoogleError } from './gemini-error.js';
import { GeminiResponseStreamTranslator } from './gemini-response-stream.js';
import type { GenerateContentRequest } from './gemini-schemas.js';
import {
  ARRAY_STREAM_CONTENT_TYPE,
  writeGeminiStream,
  type GeminiStreamPiece,
} from './gemini-stream-writer.js';
import { usageFromUsageMetadata } from './gemini-usage.js';

export interface GenerateContentOptions {
  readonly router: Router;
  readonly requestTimeout: number;
  readonly unsupportedParameters: GatewayOptions['unsupportedParameters'];
}

const JSON_CONTENT_TYPE = 'application/json; charset=UTF-8';

/** A passed-through stream's events as pieces, each noting whether it holds `usageMetadata`. */
async function* nativePieces(
  events: AsyncIterable<{ readonly data: string }>,
): AsyncGenerator<GeminiStreamPiece, void, undefined> {
  for await (const event of events) {
    yield { data: event.data, holdsUsage: event.data.includes('"usageMetadata"') };
  }
}

/** A translated stream's chunks as Gemini's events; the last states the usage. */
async function* translatedPieces(
  events: ChatStream,
  translator: GeminiResponseStreamTranslator,
): AsyncGenerator<GeminiStreamPiece, void, undefined> {
  for await (const event of events) {
    for (const response of translator.push(event.chunk)) yield { data: JSON.stringify(response) };
  }
  const last = translator.end();
  yield { data: JSON.stringify(last), usage: translator.usage };
}

export async function serveGenerateContent(
  options: GenerateContentOptions,
  request: FastifyRequest,
  reply: FastifyReply,
  model: string,
  stream: boolean,
): Promise<FastifyReply> {
  const body = request.body as GenerateContentRequest;
  const state = request.gateway;
  state.model = model;
  state.stream = stream;
  const translation: GeminiTranslation = convertGeminiRequest(body, model, stream);
  const router = options.router;
  const plan = router.plan(model, 'chat', {
    requirements: chatRequirements(translation.request),
    strategy: request.headers['x-gateway-strategy'],
  });
  authorizeModel(request, model, plan);
  const callOptions = { timeoutMs: options.requestTimeout };
  const policy = options.unsupportedParameters;

  /** The internal request for a deployment that does not speak Gemini. */
  const translated = (deployment: Deployment, warnings: string[]) => {
    applyTranslationNotes(translation.notes, deployment, policy, warnings);
    const adapter = deployment.instance.adapter;
    return applyParameterPolicy(
      translation.request,
      deployment,
      adapter.chatParametersFor?.(deployment) ?? adapter.chatParameters,
      policy,
      warnings,
    );
  };

  if (!stream) {
    const answer = await callModel(
      router,
      plan,
      request,
      reply,
      async (deployment, context): Promise<UnaryResult> => {
        if (speaksGemini(deployment)) {
          const result = await callNative(deployment, 'generateContent', body, context);
          if (isUnaryResult(result)) return result;
          throw new Error('a unary generateContent was answered with a stream');
        }
        const result = await deployment.instance.adapter.chat(
          translated(deployment, context.warnings),
          deployment,
          context,
        );
        const completion = JSON.parse(
          typeof result.body === 'string' ? result.body : result.body.toString('utf8'),
        ) as ChatCompletionWire;
        const converted = convertToGeminiResponse(completion, {
          includeThoughts: translation.includeThoughts,
          warnings: context.warnings,
        });
        return {
          body: JSON.stringify(converted.response),
          contentType: JSON_CONTENT_TYPE,
          usage: result.usage ?? converted.usage,
          model: result.model,
        };
      },
      callOptions,
    );
    answer.call.dispose();
    answer.release();
    state.usage = answer.value.usage;
    return reply.type(answer.value.contentType).send(answer.value.body);
  }

  const started = await callModelStream<GeminiStreamPiece>(
    router,
    plan,
    request,
    reply,
    async (deployment, context) => {
      if (speaksGemini(deployment)) {
        const result = await callNative(deployment, 'streamGenerateContent', body, context);
        if (isUnaryResult(result)) throw new Error('a streamGenerateContent was answered without a stream');
        return nativePieces(result.events);
      }
      const events = await deployment.instance.adapter.chatStream(
        translated(deployment, context.warnings),
        deployment,
        context,
      );
      return translatedPieces(
        events,
        new GeminiResponseStreamTranslator({
          includeThoughts: translation.includeThoughts,
          warnings: context.warnings,
        }),
      );
    },
    callOptions,
  );

  // Gemini repeats its cumulative usage on the events of a stream: the last that holds it is read
  // once, at the end, rather than every event parsed on its way through.
  let usageText: string | undefined;
  const streamingSince = performance.now();
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    if (usageText !== undefined) {
      try {
        state.usage = usageFromUsageMetadata(
          (JSON.parse(usageText) as { usageMetadata?: unknown }).usageMetadata,
        );
      } catch {
        // An event that is not JSON was relayed as Gemini sent it; it has no usage to count.
      }
    }
    // Streaming time is upstream time: the overhead is what the gateway spent before it.
    state.upstreamMs += performance.now() - streamingSince;
    started.release();
    started.call.dispose();
  };
  reply.raw.once('close', end);
  const format = (request.query as { alt?: string }).alt === 'sse' ? 'sse' : 'array';
  const frames = writeGeminiStream(withFirst(started.value.first, started.value.iterator), format, {
    onPiece(piece) {
      if (piece.usage) state.usage = piece.usage;
      else if (piece.holdsUsage) usageText = piece.data;
    },
    onError(error) {
      if (!(error instanceof ClientClosed))
        request.log.warn({ err: error }, 'stream failed after it started');
      const rendered = renderError(error);
      state.errorCode = rendered.gatewayCode;
      return convertToGoogleError(rendered);
    },
    onEnd: end,
  });
  if (format === 'sse') reply.headers(SSE_HEADERS);
  else reply.headers({ ...SSE_HEADERS, 'content-type': ARRAY_STREAM_CONTENT_TYPE });
  return reply.send(Readable.from(frames, { objectMode: false }));
}
