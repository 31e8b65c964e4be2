/**
 * Anthropic's Messages API as a way in: `POST /v1/messages` (unary, or Anthropic's event stream) and
 * `POST /v1/messages/count_tokens`, for Anthropic's SDKs and the coding agents that take an
 * `ANTHROPIC_BASE_URL`, served by any model the key may call (docs/inbound/anthropic.md).
 *
 * Each attempt of a plan (a group may mix providers) is served one of two ways:
 * - by a deployment whose adapter speaks this API itself (`nativeApis`): the client's request passes
 *   through with its `anthropic-version` and `anthropic-beta`, the model name replaced, and the
 *   answer's bytes or events come back unchanged; the gateway reads the usage;
 * - by any other: the request is converted to the gateway's chat request
 *   (convert-to-chat-request.ts), fitted to the deployment (parameter policy, limits), served by
 *   `chat` / `chatStream`, and the answer converted back (convert-chat-completion.ts,
 *   convert-chat-stream.ts).
 * Keys (`x-api-key` or `Authorization: Bearer`), rate limits, budgets, the call runner (retries,
 * failover, circuit breakers), usage, metrics and the access log apply as on every model route.
 * Errors are in Anthropic's envelope (render-messages-error.ts). The response cache keeps the door's
 * own answers (Anthropic messages, whichever way they were served) under the API's name, and replays
 * them unary or as a stream (convert-message-to-events.ts).
 * @see https://docs.anthropic.com/en/api/messages
 */
import { performance } from 'node:perf_hooks';
import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type TSchema } from '@sinclair/typebox';
import type { GatewayOptions } from '../../../schemas/options.js';
import { GatewayError, renderError } from '../../../src/errors.js';
import { createDoorErrorHandler } from '../../../src/http/door-error-handler.js';
import { callModel, callModelStream } from '../../../src/http/model-call.js';
import { createChatInputModeration } from '../../../src/http/moderate-chat-input.js';
import { authorizeModel } from '../../../src/model-access.js';
import { findModel, listModels } from '../../../src/model-list.js';
import {
  speaksNatively,
  type CallContext,
  type NativeRequest,
  type NativeStreamResult,
  type UnaryResult,
} from '../../../src/provider.js';
import { parseJsonObject } from '../../../src/provider-toolkit.js';
import type { Deployment } from '../../../src/routing/deployment.js';
import { SSE_HEADERS, withFirst } from '../../../src/sse.js';
import { ClientClosed } from '../../../src/upstream.js';
import { convertChatCompletion, type ChatCompletionWire } from './convert-chat-completion.js';
import { convertChatStream, type MessagesStreamEvent } from './convert-chat-stream.js';
import { MessageEventCollector } from './convert-events-to-message.js';
import { convertMessageToEvents } from './convert-message-to-events.js';
import { convertToChatRequest, fitChatRequest, type ChatConversion } from './convert-to-chat-request.js';
import { mergeMessagesUsage, usageFromMessages, type MessagesUsageWire } from './convert-usage.js';
import { estimateInputTokens } from './count-message-tokens.js';
import { withoutGatewayBlocks } from './gateway-thinking-blocks.js';
import { messagesRequirements } from './messages-requirements.js';
import {
  AnthropicErrorSchema,
  CountTokensRequestSchema,
  MessageSchema,
  MessageStreamEventSchema,
  MessagesRequestSchema,
  TokenCountSchema,
  type CountTokensRequest,
} from './messages-schema.js';
import { MAX_PAGE_SIZE, convertToModelInfo, convertToModelPage } from './convert-model-list.js';
import { convertToMessagesError } from './render-messages-error.js';
import { messagesStreamBody } from './write-messages-stream.js';

/** This API, as doors and adapters name it (`ProviderAdapter.nativeApis`). */
export const MESSAGES_API = 'anthropic-messages';

/** The request headers of this API that go to a provider speaking it. */
const FORWARDED_HEADERS = ['anthropic-version', 'anthropic-beta'] as const;

/** How `count_tokens` answers were counted, in `x-gateway-token-count`. */
export const TOKEN_COUNT_HEADER = 'x-gateway-token-count';

const DEFAULT_KEEP_ALIVE_MS = 10_000;

export interface AnthropicMessagesRouteOptions {
  requestTimeout: number;
  unsupportedParameters: GatewayOptions['unsupportedParameters'];
  /** Silence (ms) after which a stream gets a `ping`. */
  keepAliveMs?: number;
  /** Chat input moderation (absent: none). */
  moderation?: GatewayOptions['moderation'];
}

/** Whether a deployment takes `operation` of this API as the client sent it (the request passes through). */
export function speaksMessages(deployment: Deployment, operation: 'messages' | 'count_tokens'): boolean {
  return speaksNatively(deployment.instance.adapter, MESSAGES_API, operation, deployment);
}

function forwardedHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const forwarded: Record<string, string> = {};
  for (const name of FORWARDED_HEADERS) {
    const value = headers[name];
    if (value !== undefined) forwarded[name] = Array.isArray(value) ? value.join(',') : value;
  }
  return forwarded;
}

/**
 * What changes a Messages answer, for the cache key: the request (the cache leaves out `model`,
 * `stream`, `metadata`, … as for chat requests) and the headers that change what Anthropic answers.
 */
function cacheFields(
  body: Record<string, unknown>,
  headers: Record<string, string>,
): Record<string, unknown> {
  const fields: Record<string, unknown> = { ...body };
  for (const name of FORWARDED_HEADERS) fields[`header ${name}`] = headers[name];
  return fields;
}

async function* replay(events: MessagesStreamEvent[]): AsyncGenerator<MessagesStreamEvent, void, undefined> {
  yield* events;
}

function isStreamResult(result: UnaryResult | NativeStreamResult): result is NativeStreamResult {
  return 'events' in result;
}

/** A provider that answered a unary request with a stream, or the reverse: its fault, not the client's. */
function wrongShape(deployment: Deployment): GatewayError {
  return new GatewayError('GW_ERR_UPSTREAM_BAD_RESPONSE', {
    message: `The provider ${deployment.instance.id} answered in the wrong form (a stream for a unary request, or the reverse).`,
  });
}

/** The event stream of a native answer, each event named (Anthropic names every event by its type). */
async function* namedEvents(
  result: NativeStreamResult,
): AsyncGenerator<MessagesStreamEvent, void, undefined> {
  for await (const item of result.events) {
    let name = item.event;
    if (name === undefined || name === 'message') {
      try {
        name = String((JSON.parse(item.data) as { type?: unknown }).type ?? 'message');
      } catch {
        name = 'message';
      }
    }
    yield { event: name, data: item.data };
  }
}

const ANTHROPIC_CLIENT_CONSTRAINT = 'anthropicClient';

/** A request from Anthropic's clients: they send `anthropic-version` on every request. */
const anthropicClientConstraint = {
  name: ANTHROPIC_CLIENT_CONSTRAINT,
  storage() {
    const values = new Map<string, unknown>();
    return {
      get: (value: string) => values.get(value) ?? null,
      set: (value: string, store: unknown) => void values.set(value, store),
    };
  },
  validate() {},
  deriveConstraint: (request: { headers: Record<string, unknown> }) =>
    request.headers['anthropic-version'] !== undefined ? 'anthropic' : undefined,
};

const MessagesModelListQuerySchema = Type.Object({
  limit: Type.Optional(
    Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, description: 'Models per page (20)' }),
  ),
  after_id: Type.Optional(Type.String({ description: 'The page after this id' })),
  before_id: Type.Optional(Type.String({ description: 'The page before this id' })),
});

export const anthropicMessagesRoutes: FastifyPluginAsync<AnthropicMessagesRouteOptions> = async (
  instance,
  options,
) => {
  const fastify = instance.withTypeProvider<TypeBoxTypeProvider>();
  const keepAliveMs = options.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS;
  const callOptions = { timeoutMs: options.requestTimeout };
  const moderation = options.moderation
    ? createChatInputModeration(options.moderation, fastify.gatewayRouter, options.requestTimeout)
    : undefined;

  fastify.setErrorHandler(
    createDoorErrorHandler((rendered, request) => ({
      status: rendered.status,
      body: convertToMessagesError(rendered, request.id),
    })),
  );
  // Anthropic's SDKs read the request id from `request-id` (it is also in `x-request-id`).
  fastify.addHook('onSend', async (request, reply, payload) => {
    reply.header('request-id', request.id);
    return payload;
  });

  // Documentation only (answers are sent as built), so typed as unknown for the handlers.
  const documented = <T extends TSchema>(schema: T) => Type.Unsafe<unknown>(schema);
  const errorResponses = Object.fromEntries(
    [400, 401, 403, 404, 413, 429, 500, 502, 503, 504, 529].map((status) => [
      status,
      documented(AnthropicErrorSchema),
    ]),
  );

  fastify.post(
    '/v1/messages',
    {
      config: { rateLimitClass: 'chat', cacheable: true, concurrencyLimited: true },
      schema: {
        tags: ['anthropic'],
        summary: 'Create a message (Anthropic Messages API)',
        description:
          'Anthropic-compatible, for any model the key may call: passed through to Anthropic models, ' +
          'translated for the others. Authenticate with `x-api-key` or `Authorization: Bearer`. With ' +
          '`stream: true` the answer is Anthropic’s event stream (`event: message_start`, …, ' +
          '`event: message_stop`). Errors use Anthropic’s envelope.',
        headers: {
          type: 'object',
          properties: {
            'anthropic-version': { type: 'string', description: 'Sent on to Anthropic models' },
            'anthropic-beta': { type: 'string', description: 'Sent on to Anthropic models' },
          },
        },
        body: MessagesRequestSchema,
        response: {
          200: {
            description: 'A message, or its event stream',
            content: {
              'application/json': { schema: documented(MessageSchema) },
              'text/event-stream': { schema: documented(MessageStreamEventSchema) },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const state = request.gateway;
      state.model = body.model;
      state.stream = body.stream === true;
      const router = fastify.gatewayRouter;
      const plan = router.plan(body.model, 'chat', {
        requirements: messagesRequirements(body, body.max_tokens),
        strategy: request.headers['x-gateway-strategy'],
      });
      authorizeModel(request, body.model, plan);
      // Each form is made once, on the first attempt that needs it (or for the moderation).
      let conversion: ChatConversion | undefined;
      // Before the cache and before any stream starts: a stored answer answers input to be checked first.
      if (moderation?.applies(request, body.model)) {
        conversion = convertToChatRequest(body);
        await moderation.check(request, reply, conversion.request.messages);
      }
      const headers = forwardedHeaders(request.headers);
      const cache = await fastify.gatewayCache.lookupAnswer(
        request,
        reply,
        plan,
        MESSAGES_API,
        cacheFields(body, headers),
      );
      if (cache.hit !== undefined) {
        if (!state.stream) return reply.type('application/json').send(cache.hit);
        const replayed = messagesStreamBody(
          replay(convertMessageToEvents(JSON.parse(cache.hit) as Record<string, unknown>)),
          { keepAliveMs, onEvent() {}, onError: () => '{}', onEnd() {} },
        );
        reply.headers(SSE_HEADERS);
        return reply.send(replayed);
      }

      const chatRequestFor = (deployment: Deployment, context: CallContext) => {
        conversion ??= convertToChatRequest(body);
        const adapter = deployment.instance.adapter;
        return fitChatRequest(
          conversion,
          deployment,
          adapter.chatParametersFor?.(deployment) ?? adapter.chatParameters,
          options.unsupportedParameters,
          context.warnings,
        );
      };
      let nativeBody: Record<string, unknown> | undefined;
      const nativeRequest = (stream: boolean): NativeRequest => {
        nativeBody ??= withoutGatewayBlocks(body) as Record<string, unknown>;
        return { api: MESSAGES_API, operation: 'messages', body: nativeBody, stream, headers };
      };
      const answerOptions = (context: CallContext) => ({
        thinking: conversion!.thinking,
        omitThinking: conversion!.omitThinking,
        warnings: context.warnings,
      });

      if (!state.stream) {
        const answer = await callModel(
          router,
          plan,
          request,
          reply,
          async (deployment, context): Promise<UnaryResult> => {
            const adapter = deployment.instance.adapter;
            if (speaksMessages(deployment, 'messages')) {
              const result = await adapter.native!(nativeRequest(false), deployment, context);
              if (isStreamResult(result)) throw wrongShape(deployment);
              return result;
            }
            const result = await adapter.chat(chatRequestFor(deployment, context), deployment, context);
            const text = typeof result.body === 'string' ? result.body : result.body.toString('utf8');
            const completion = parseJsonObject<ChatCompletionWire>(text, deployment.instance.id);
            const message = convertChatCompletion(completion, answerOptions(context));
            return { ...result, body: JSON.stringify(message), contentType: 'application/json' };
          },
          callOptions,
        );
        answer.call.dispose();
        answer.release();
        state.usage = answer.value.usage;
        const sent = answer.value.body;
        if (cache.storing && answer.value.contentType.startsWith('application/json')) {
          cache.store(
            typeof sent === 'string' ? sent : sent.toString('utf8'),
            answer.value.usage !== undefined,
          );
        }
        return reply.type(answer.value.contentType).send(sent);
      }

      const started = await callModelStream(
        router,
        plan,
        request,
        reply,
        async (deployment, context): Promise<AsyncIterable<MessagesStreamEvent>> => {
          const adapter = deployment.instance.adapter;
          if (speaksMessages(deployment, 'messages')) {
            const result = await adapter.native!(nativeRequest(true), deployment, context);
            if (!isStreamResult(result)) throw wrongShape(deployment);
            return namedEvents(result);
          }
          const stream = await adapter.chatStream(chatRequestFor(deployment, context), deployment, context);
          return convertChatStream(stream, { ...answerOptions(context), model: deployment.upstreamModel });
        },
        callOptions,
      );
      let usage: MessagesUsageWire | undefined;
      const collector = cache.storing ? new MessageEventCollector() : undefined;
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
      // A client that leaves before the first frame is pulled never starts the body.
      reply.raw.once('close', end);
      const frames = messagesStreamBody(withFirst(started.value.first, started.value.iterator), {
        keepAliveMs,
        onEvent(event) {
          if (collector) {
            collector.push(event.value ?? event.data);
            // Kept before message_stop goes out: a client that has it may ask again at once.
            const message = event.event === 'message_stop' ? collector.message() : undefined;
            if (message) cache.store(JSON.stringify(message), state.usage !== undefined);
          }
          if (event.usage !== undefined) {
            if (event.usage !== null) state.usage = event.usage;
            return;
          }
          // An event passed through from Anthropic: the usage of message_start, then message_delta's.
          if (event.event !== 'message_start' && event.event !== 'message_delta') return;
          try {
            const data = JSON.parse(event.data) as {
              message?: { usage?: MessagesUsageWire };
              usage?: MessagesUsageWire;
            };
            usage = mergeMessagesUsage(
              usage,
              event.event === 'message_start' ? data.message?.usage : data.usage,
            );
            state.usage = usageFromMessages(usage) ?? state.usage;
          } catch {
            // Not JSON: the client gets it as Anthropic sent it; there is no usage to read.
          }
        },
        onError(error) {
          if (!(error instanceof ClientClosed))
            request.log.warn({ err: error }, 'stream failed after it started');
          const rendered = renderError(error);
          state.errorCode = rendered.gatewayCode;
          const envelope = convertToMessagesError(rendered, request.id);
          return JSON.stringify({ type: envelope.type, error: envelope.error });
        },
        onEnd: end,
      });
      reply.headers(SSE_HEADERS);
      return reply.send(frames);
    },
  );

  // GET /v1/models and /v1/models/{id} in Anthropic's shape for its clients (they always send
  // `anthropic-version`); without the header the OpenAI routes answer.
  if (!fastify.hasConstraintStrategy(ANTHROPIC_CLIENT_CONSTRAINT)) {
    fastify.addConstraintStrategy(
      anthropicClientConstraint as unknown as Parameters<typeof fastify.addConstraintStrategy>[0],
    );
  }
  const modelRoute = { constraints: { [ANTHROPIC_CLIENT_CONSTRAINT]: 'anthropic' } };
  fastify.get(
    '/v1/models',
    {
      ...modelRoute,
      schema: {
        // The path is documented once, as the OpenAI list; its description names this shape.
        hide: true,
        querystring: MessagesModelListQuerySchema,
        response: { 200: documented(Type.Object({})), ...errorResponses },
      },
    },
    async (request) => convertToModelPage(listModels(fastify, request, false), request.query),
  );
  fastify.get(
    '/v1/models/*',
    {
      ...modelRoute,
      config: { wildcardParam: 'model' },
      schema: {
        hide: true,
        params: Type.Object({ '*': Type.String() }),
        response: { 200: documented(Type.Object({})), ...errorResponses },
      },
    },
    async (request) => convertToModelInfo(findModel(fastify, request, request.params['*'])),
  );

  fastify.post(
    '/v1/messages/count_tokens',
    {
      config: { rateLimitClass: 'chat', cacheable: false, concurrencyLimited: true },
      schema: {
        tags: ['anthropic'],
        summary: 'Count the input tokens of a message (Anthropic Messages API)',
        description:
          'Exact, from Anthropic, for Anthropic models; for other models an estimate by tokenizer. ' +
          '`x-gateway-token-count` says which: `provider` or `estimated`.',
        body: CountTokensRequestSchema,
        response: { 200: documented(TokenCountSchema), ...errorResponses },
      },
    },
    async (request, reply) => {
      const body: CountTokensRequest = request.body;
      const state = request.gateway;
      state.model = body.model;
      const router = fastify.gatewayRouter;
      const plan = router.plan(body.model, 'chat', {
        requirements: messagesRequirements(body),
        strategy: request.headers['x-gateway-strategy'],
      });
      authorizeModel(request, body.model, plan);
      const first = plan.deployments[0]!;
      if (speaksMessages(first, 'count_tokens')) {
        const native: NativeRequest = {
          api: MESSAGES_API,
          operation: 'count_tokens',
          body: withoutGatewayBlocks(body) as Record<string, unknown>,
          stream: false,
          headers: forwardedHeaders(request.headers),
        };
        const counting = {
          ...plan,
          deployments: plan.deployments.filter((deployment) => speaksMessages(deployment, 'count_tokens')),
        };
        const answer = await callModel(
          router,
          counting,
          request,
          reply,
          async (deployment, context) => {
            const result = await deployment.instance.adapter.native!(native, deployment, context);
            if (isStreamResult(result)) throw wrongShape(deployment);
            return result;
          },
          callOptions,
        );
        answer.call.dispose();
        answer.release();
        return reply
          .header(TOKEN_COUNT_HEADER, 'provider')
          .type(answer.value.contentType)
          .send(answer.value.body);
      }
      const inputTokens = await estimateInputTokens(body, first.model?.tokenizer);
      return reply.header(TOKEN_COUNT_HEADER, 'estimated').send({ input_tokens: inputTokens });
    },
  );
};
