/**
 * `generateContent` and `streamGenerateContent`, whichever provider serves the model: passed through
 * to a Gemini deployment, translated to and from the internal chat request for the others, through
 * the one call runner (retries, failover, circuit breakers, usage, metrics, the gateway headers).
 * @see https://ai.google.dev/api/generate-content
 */
import { performance } from 'node:perf_hooks';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayOptions } from '../../../schemas/options.js';
import { GatewayError, renderError } from '../../../src/errors.js';
import { callModel, callModelStream } from '../../../src/http/model-call.js';
import type { ChatInputModeration } from '../../../src/http/moderate-chat-input.js';
import { chunkCharacters } from '../../../src/http/streamed-characters.js';
import { authorizeModel } from '../../../src/model-access.js';
import { applyParameterPolicy } from '../../../src/parameters.js';
import { parseJsonObject } from '../../../src/provider-toolkit.js';
import { checkChatLimits } from '../../../src/request-limits.js';
import type { ChatStream, UnaryResult } from '../../../src/provider.js';
import type { Deployment } from '../../../src/routing/deployment.js';
import { chatRequirements } from '../../../src/routing/requirements.js';
import type { Router } from '../../../src/routing/router.js';
import { SSE_HEADERS, convertEvents, withFirst } from '../../../src/sse.js';
import { ClientClosed } from '../../../src/upstream.js';
import { CLIENT_NAMES, convertGeminiRequest, type GeminiTranslation } from './convert-gemini-request.js';
import { convertToGeminiResponse, type ChatCompletionWire } from './convert-to-gemini-response.js';
import { applyTranslationNotes, callNative, isUnaryResult, speaksGemini } from './gemini-attempt.js';
import { convertToGoogleError } from './gemini-error.js';
import { GeminiResponseStreamTranslator } from './gemini-response-stream.js';
import type { GenerateContentRequest } from './gemini-schemas.js';
import {
  ARRAY_STREAM_CONTENT_TYPE,
  geminiStreamBody,
  type GeminiStreamPiece,
} from './gemini-stream-writer.js';
import { readUsageMetadata } from './gemini-usage.js';

export interface GenerateContentOptions {
  readonly router: Router;
  readonly requestTimeout: number;
  readonly unsupportedParameters: GatewayOptions['unsupportedParameters'];
  readonly limits: GatewayOptions['limits'];
  readonly media: Pick<GatewayOptions['media'], 'maxFilesPerRequest'>;
  /** Chat input moderation (absent: none). */
  readonly moderation?: ChatInputModeration | undefined;
}

/**
 * The gateway's bounds of one request (LIMIT_MESSAGES, LIMIT_CONTENT_PARTS,
 * MEDIA_MAX_FILES_PER_REQUEST), checked on its translation, before it is routed: a 400 naming
 * `contents`, the field the client sent.
 */
function checkLimits(translation: GeminiTranslation, options: GenerateContentOptions): void {
  try {
    checkChatLimits(translation.request, options.limits, options.media);
  } catch (error) {
    if (!(error instanceof GatewayError) || error.param !== 'messages') throw error;
    throw new GatewayError(error.gatewayCode, {
      message: error.message,
      param: 'contents',
      code: error.code,
      status: error.statusCode,
    });
  }
}

const JSON_CONTENT_TYPE = 'application/json; charset=UTF-8';

const TEXT_KEY = '"text"';

/** The index after `from` past spaces, tabs and line breaks. */
function skipSpace(data: string, from: number): number {
  let index = from;
  while (index < data.length && data.charCodeAt(index) <= 32) index++;
  return index;
}

/** Characters of the texts of a Gemini event's JSON text, scanned rather than parsed. */
function textCharacters(data: string): number {
  let characters = 0;
  for (let at = data.indexOf(TEXT_KEY); at !== -1; at = data.indexOf(TEXT_KEY, at + TEXT_KEY.length)) {
    let index = skipSpace(data, at + TEXT_KEY.length);
    if (data.charCodeAt(index) !== 58) continue; // not a key: a "text" inside a string
    index = skipSpace(data, index + 1);
    if (data.charCodeAt(index) !== 34) continue;
    for (index++; index < data.length; index++) {
      const code = data.charCodeAt(index);
      if (code === 34) break;
      if (code === 92) index++;
      characters++;
    }
  }
  return characters;
}

/** A passed-through stream's events as pieces, with the usage of those that state it. */
async function* nativePieces(
  events: AsyncIterable<{ readonly data: string }>,
): AsyncGenerator<GeminiStreamPiece, void, undefined> {
  for await (const event of events) {
    yield { data: event.data, usage: readUsageMetadata(event.data), characters: textCharacters(event.data) };
  }
}

const NO_PIECES: readonly GeminiStreamPiece[] = [];

/** A translated stream's chunks as Gemini's events; the last states the usage. */
function translatedPieces(
  events: ChatStream,
  translator: GeminiResponseStreamTranslator,
): AsyncIterable<GeminiStreamPiece> {
  let characters = 0;
  return convertEvents(
    events,
    (event) => {
      const chunk = event.chunk;
      if (!event.hidden) characters += chunkCharacters(chunk);
      const responses = translator.push(chunk);
      if (responses.length === 0) return NO_PIECES;
      return responses.map((response) => {
        const piece = { data: JSON.stringify(response), characters };
        characters = 0;
        return piece;
      });
    },
    () => {
      const last = translator.end();
      return [{ data: JSON.stringify(last), usage: translator.usage, characters }];
    },
  );
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
  checkLimits(translation, options);
  const router = options.router;
  const requirements = chatRequirements(translation.request);
  state.promptTokensEstimate = requirements.estimate.promptTokens;
  const plan = router.plan(model, 'chat', {
    requirements,
    strategy: request.headers['x-gateway-strategy'],
  });
  authorizeModel(request, model, plan);
  // Before any model call, and before a stream starts: a flagged input is a plain 400.
  if (options.moderation?.applies(request, model)) {
    await options.moderation.check(request, reply, translation.request.messages, 'contents');
  }
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
      CLIENT_NAMES,
    );
  };

  if (!stream) {
    const answer = await callModel(
      router,
      plan,
      request,
      reply,
      async (deployment, context): Promise<UnaryResult> => {
        if (speaksGemini(deployment, 'generateContent')) {
          const result = await callNative(deployment, 'generateContent', body, context);
          if (isUnaryResult(result)) return result;
          throw new Error('a unary generateContent was answered with a stream');
        }
        const result = await deployment.instance.adapter.chat(
          translated(deployment, context.warnings),
          deployment,
          context,
        );
        const completion = parseJsonObject<ChatCompletionWire>(
          typeof result.body === 'string' ? result.body : result.body.toString('utf8'),
          deployment.instance.id,
        );
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
      if (speaksGemini(deployment, 'streamGenerateContent')) {
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
  reply.raw.once('close', end);
  const format = (request.query as { alt?: string }).alt === 'sse' ? 'sse' : 'array';
  const streamBody = geminiStreamBody(withFirst(started.value.first, started.value.iterator), format, {
    onPiece(piece) {
      // Usage as soon as it is known, so a client that leaves mid-stream is accounted for it.
      if (piece.usage) state.usage = piece.usage;
      state.streamedCharacters += piece.characters;
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
  return reply.send(streamBody);
}
