/**
 * The Responses API door: POST /v1/responses (unary, or typed server-sent events), GET and DELETE
 * /v1/responses/{id}, for every provider.
 * @see https://platform.openai.com/docs/api-reference/responses
 *
 * Per attempt (a group may mix providers): a deployment whose adapter speaks the Responses API gets
 * the client's request as it came and its answer goes back unchanged (the gateway reads the id and
 * the usage); any other gets the request translated to the internal chat request
 * (convert-to-chat-request.ts, then the parameter policy) and its answer translated back
 * (convert-chat-answer.ts).
 *
 * State (response-store.ts), always scoped to the key that made it: a translated response with
 * `store` (the default) is kept by the gateway, with the conversation up to it, for GET, DELETE and
 * `previous_response_id`; a passed-through response is kept by its provider, and the gateway records
 * which key created it and where, so that another key gets a 404 for it everywhere.
 */
import { performance } from 'node:perf_hooks';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { ChatCompletion } from '../../../schemas/chat.js';
import { commonErrorResponses } from '../../../schemas/common.js';
import type { GatewayOptions } from '../../../schemas/options.js';
import { ResponsesRequestSchema, type ResponsesRequest } from '../../../schemas/responses.js';
import { costOf, pricingOf } from '../../../src/catalog.js';
import { authorizeModel } from '../../../src/model-access.js';
import { startCall } from '../../../src/http/call-context.js';
import { setGatewayHeaders } from '../../../src/http/gateway-headers.js';
import { callModel, callModelStream } from '../../../src/http/model-call.js';
import { createChatInputModeration } from '../../../src/http/moderate-chat-input.js';
import { sendModelResult } from '../../../src/http/send-model-result.js';
import { GatewayError, renderError } from '../../../src/errors.js';
import { applyParameterPolicy, refuseOrDropParameters } from '../../../src/parameters.js';
import type {
  ChatStream,
  ProviderInstance,
  ResponsesStream,
  ResponsesStreamEvent,
  UnaryResult,
  Usage,
} from '../../../src/provider.js';
import {
  usageFromChatCompletion,
  usageFromResponsesApi,
  type ChatUsageWire,
  type ResponsesUsageWire,
} from '../../../src/provider-toolkit.js';
import type { Deployment } from '../../../src/routing/deployment.js';
import { chatRequirements, unfitReason } from '../../../src/routing/requirements.js';
import { adapterServes, type OrderedPlan } from '../../../src/routing/router.js';
import { SSE_HEADERS, convertEvents, typedEventStreamBody, withFirst } from '../../../src/sse.js';
import { ClientClosed } from '../../../src/upstream.js';
import { ResponseBuilder, convertChatCompletion } from './convert-chat-answer.js';
import { convertInputItems, inputItemsOf } from './convert-input-items.js';
import { RESPONSES_NAMES, convertToChatRequest, type ChatTranslation } from './convert-to-chat-request.js';
import { newResponseId } from './response-object.js';
import {
  MemoryResponseStore,
  RedisResponseStore,
  type ResponseStore,
  type StoredResponse,
} from './response-store.js';
import { decodeTurnState } from './turn-state.js';
import { BackgroundUsage, isPending } from './background-usage.js';

export interface ResponsesRouteOptions {
  requestTimeout: number;
  unsupportedParameters: GatewayOptions['unsupportedParameters'];
  responses: GatewayOptions['responses'];
  /** Chat input moderation (absent: none). */
  moderation?: GatewayOptions['moderation'];
}

/**
 * How long a provider that speaks the Responses API keeps a stored response, and so how long the
 * gateway remembers which key created it.
 * @see https://platform.openai.com/docs/guides/your-data#v1-responses
 */
const PROVIDER_RETENTION_SECONDS = 30 * 86_400;

/** The usage of the response a terminal event carries, in the gateway's terms. */
function usageOfTerminalEvent(event: ResponsesStreamEvent): Usage | undefined {
  if (event.type !== 'response.completed' && event.type !== 'response.incomplete') return undefined;
  try {
    return usageFromResponsesApi(
      (JSON.parse(event.data) as { response?: { usage?: ResponsesUsageWire } }).response?.usage,
    );
  } catch {
    return undefined;
  }
}

/** The `id` of a response object (JSON text), or undefined. */
function responseIdOf(json: string | Buffer, nested: boolean): string | undefined {
  try {
    const parsed = JSON.parse(json.toString()) as { id?: unknown; response?: { id?: unknown } };
    const id = nested ? parsed.response?.id : parsed.id;
    return typeof id === 'string' && id.length > 0 ? id : undefined;
  } catch {
    return undefined;
  }
}

function serveNatively(deployment: Deployment): boolean {
  return adapterServes(deployment.instance.adapter, 'responses');
}

/** Where the conversation a request continues lives. */
type Previous =
  | { kind: 'none' }
  /** Kept by the gateway: its items. */
  | { kind: 'gateway'; conversation: readonly unknown[] }
  /** Kept by a provider: the instance that holds it (undefined: any, for a client's own provider key). */
  | { kind: 'provider'; instance: string | undefined };

/**
 * The request a provider that speaks the Responses API gets when it continues a conversation the
 * gateway kept: the conversation inline instead of a `previous_response_id` it never saw. The
 * gateway's own reasoning items (provider state it alone reads) and item ids are left out.
 */
function inlineConversation(body: ResponsesRequest, conversation: readonly unknown[]): ResponsesRequest {
  const history: unknown[] = [];
  for (const entry of conversation) {
    const item = entry as Record<string, unknown>;
    if (item['type'] === 'reasoning' && decodeTurnState(item['encrypted_content'])) continue;
    const { id: _id, ...rest } = item;
    history.push(rest);
  }
  const { previous_response_id: _previous, ...rest } = body;
  return { ...rest, input: [...history, ...inputItemsOf(body.input)] } as ResponsesRequest;
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
  // Absent when the routes are registered without the gateway's infrastructure (tests of the routes).
  const redis = (fastify as { gatewayRedis?: typeof fastify.gatewayRedis }).gatewayRedis ?? null;
  const store: ResponseStore = redis
    ? new RedisResponseStore(redis)
    : new MemoryResponseStore({ maxBytes: options.responses.maxMemoryBytes });
  const retention = options.responses.retentionSeconds;
  const callOptions = { timeoutMs: options.requestTimeout };
  const moderation = options.moderation
    ? createChatInputModeration(options.moderation, fastify.gatewayRouter, options.requestTimeout)
    : undefined;
  // Absent, as Redis is, when the routes are registered without the gateway's infrastructure.
  const usageStore = (fastify as { gatewayUsage?: typeof fastify.gatewayUsage }).gatewayUsage ?? null;
  const background = new BackgroundUsage({
    pollIntervalMs: options.responses.backgroundPollInterval,
    maxWatched: options.responses.backgroundMaxWatched,
    maxWatchMs: options.responses.backgroundMaxWatchSeconds * 1000,
    log: fastify.log,
    record(response, usage) {
      const costUsd = costOf(pricingOf(response.deployment), usage);
      fastify.log.info(
        {
          event: 'background_usage',
          responseId: response.responseId,
          key: response.owner,
          model: response.model,
          promptTokens: usage.promptTokens,
          completionTokens: usage.completionTokens,
          costUsd,
        },
        'background response ended: usage recorded',
      );
      usageStore
        ?.record({ identity: response.owner, model: response.model, usage, costUsd, at: new Date() })
        .catch((error: unknown) =>
          fastify.log.warn({ err: error, responseId: response.responseId }, 'background usage not recorded'),
        );
    },
  });
  fastify.addHook('onClose', async () => background.close());

  /**
   * A background response the provider is still generating: its usage is recorded when it ends
   * (background-usage.ts), not now, so the request itself accounts none.
   */
  function watchIfPending(
    request: FastifyRequest,
    id: string | undefined,
    response: { status?: unknown },
  ): boolean {
    const state = request.gateway;
    const deployment = state.deployment;
    if (!id || !deployment || !isPending(response)) return false;
    return watchBackground(request, id, deployment);
  }

  function watchBackground(request: FastifyRequest, id: string, deployment: Deployment): boolean {
    const state = request.gateway;
    if (!deployment.instance.adapter.storedResponse) {
      request.log.warn(
        { responseId: id },
        'background response of a provider that cannot be asked for it: usage not recorded',
      );
      return false;
    }
    state.usage = undefined;
    background.watch({
      responseId: id,
      instance: deployment.instance,
      providerApiKey: state.providerApiKey,
      owner: state.identity?.id ?? 'anonymous',
      model: deployment.model?.id ?? state.answeredModel ?? state.model ?? 'unknown',
      deployment,
    });
    return true;
  }

  const ownerOf = (request: FastifyRequest): string => request.gateway.identity?.scope ?? 'anonymous';

  /** A store operation whose failure the client must hear about (a read that decides an answer). */
  async function read<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw new GatewayError('GW_ERR_RESPONSE_STORE_UNAVAILABLE', {
        message: `The store of Responses API responses is unreachable (${(error as Error).message}); retry shortly.`,
        headers: { 'retry-after': '1' },
        cause: error,
      });
    }
  }

  /** A write after the answer was made: a failure loses the state, never the answer. */
  async function remember(
    request: FastifyRequest,
    id: string,
    record: StoredResponse,
    ttlSeconds: number,
    warnings: string[],
  ): Promise<void> {
    try {
      await store.put(ownerOf(request), id, record, ttlSeconds);
    } catch (error) {
      request.log.warn({ err: error, responseId: id }, 'response not stored');
      warnings.push(`response '${id}' was not stored: ${(error as Error).message}`);
    }
  }

  async function previousOf(request: FastifyRequest, body: ResponsesRequest): Promise<Previous> {
    const id = body.previous_response_id;
    if (id === undefined || id === null) return { kind: 'none' };
    const record = await read(() => store.get(ownerOf(request), id));
    if (record?.conversation) return { kind: 'gateway', conversation: record.conversation };
    if (record?.instance) return { kind: 'provider', instance: record.instance };
    // A response made with the client's own provider key is that key's business at the provider.
    if (!record && request.gateway.providerApiKey) return { kind: 'provider', instance: undefined };
    throw new GatewayError('GW_ERR_RESPONSE_PREVIOUS_NOT_FOUND', {
      message: `Previous response with id '${id}' not found.`,
      param: 'previous_response_id',
    });
  }

  /** The chat request one deployment gets: the translation after the parameter policy. */
  function chatRequestFor(translation: ChatTranslation, deployment: Deployment, warnings: string[]) {
    const adapter = deployment.instance.adapter;
    refuseOrDropParameters(translation.untranslatable, deployment, options.unsupportedParameters, warnings);
    return applyParameterPolicy(
      translation.request,
      deployment,
      adapter.chatParametersFor?.(deployment) ?? adapter.chatParameters,
      options.unsupportedParameters,
      warnings,
      RESPONSES_NAMES,
    );
  }

  /**
   * The deployments that may answer, and the translation for those that do not speak the Responses
   * API. A request the translation cannot carry (a built-in tool, say) may still go to one that does;
   * what the translation needs of a model (tools, vision, room in its context) is checked for the
   * deployments it goes to, while a passed-through request goes as it always did.
   */
  function planRequest(
    request: FastifyRequest,
    body: ResponsesRequest,
    previous: Previous,
    history: readonly unknown[],
  ): { routed: OrderedPlan; translation: ChatTranslation | undefined } {
    let translation: ChatTranslation | undefined;
    let refusal: unknown;
    if (previous.kind !== 'provider') {
      try {
        translation = convertToChatRequest(body, history);
      } catch (error) {
        if (!(error instanceof GatewayError)) throw error;
        refusal = error;
      }
    }
    const requirements = translation ? chatRequirements(translation.request) : undefined;
    const plan = fastify.gatewayRouter.plan(body.model, 'chat', {
      // The estimate orders the deployments (cost, latency) whichever way they are called.
      requirements: requirements && { ...requirements, capabilities: [], maxOutputTokens: undefined },
      strategy: request.headers['x-gateway-strategy'],
    });
    authorizeModel(request, body.model, plan);
    const unfit: string[] = [];
    const deployments = plan.deployments.filter((deployment) => {
      if (previous.kind === 'provider') {
        return (
          serveNatively(deployment) &&
          (previous.instance === undefined || deployment.instance.id === previous.instance)
        );
      }
      if (serveNatively(deployment)) return true;
      if (!requirements) return false;
      const reason = unfitReason(deployment, requirements);
      if (reason) unfit.push(`${deployment.deploymentId}: ${reason}`);
      return reason === undefined;
    });
    if (deployments.length > 0) return { routed: { ...plan, deployments }, translation };
    if (previous.kind === 'provider') {
      throw new GatewayError('GW_ERR_ROUTING_NO_CAPABLE_DEPLOYMENT', {
        message:
          `The previous response '${body.previous_response_id}' is kept by the provider instance ` +
          `'${previous.instance ?? 'of your provider key'}', which serves no deployment of '${body.model}'. ` +
          'Continue it with a model of that provider.',
        param: 'previous_response_id',
      });
    }
    if (unfit.length > 0) {
      throw new GatewayError('GW_ERR_ROUTING_NO_CAPABLE_DEPLOYMENT', {
        message: `No deployment of '${body.model}' can take this request: ${unfit.join('; ')}.`,
        param: 'model',
        details: { refused: unfit },
      });
    }
    throw refusal;
  }

  fastify.post(
    '/v1/responses',
    {
      config: { rateLimitClass: 'chat', cacheable: false, concurrencyLimited: true },
      schema: {
        tags: ['responses'],
        summary: 'Create a model response (Responses API)',
        description:
          'Any chat model. Providers that speak the Responses API get the request unchanged; the others ' +
          'a translation (docs/inbound/responses.md). With `stream: true` the answer is typed ' +
          'server-sent events (`event: response.created`, …, `event: response.completed`).',
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
      const store = body.store !== false;
      const previous = await previousOf(request, body);
      const history = previous.kind === 'gateway' ? previous.conversation : [];

      const { routed, translation } = planRequest(request, body, previous, history);
      // Before any model call, and before a stream starts: a flagged input is a plain 400. A request
      // that is passed through only (a provider's stored conversation, a built-in tool) is judged on
      // the messages of its own input.
      if (moderation?.applies(request, body.model)) {
        const messages =
          translation?.request.messages ??
          convertInputItems(inputItemsOf(body.input), (index) => `input[${index}]`);
        await moderation.check(request, reply, messages, 'input');
      }
      const nativeBody = previous.kind === 'gateway' ? inlineConversation(body, history) : body;
      const conversationOf = (response: Record<string, unknown>) => [
        ...history,
        ...inputItemsOf(body.input),
        ...(response['output'] as unknown[]),
      ];

      if (!state.stream) {
        const answer = await callModel(
          fastify.gatewayRouter,
          routed,
          request,
          reply,
          async (deployment, context): Promise<{ native: boolean; result: UnaryResult }> => {
            const adapter = deployment.instance.adapter;
            if (serveNatively(deployment)) {
              return { native: true, result: await adapter.responses!(nativeBody, deployment, context) };
            }
            const chat = chatRequestFor(translation!, deployment, context.warnings);
            return { native: false, result: await adapter.chat(chat, deployment, context) };
          },
          callOptions,
        );
        answer.call.dispose();
        answer.release();
        const { native, result } = answer.value;
        state.usage = result.usage;
        if (native) {
          if (body.background === true) {
            const created = JSON.parse(result.body.toString()) as { id?: unknown; status?: unknown };
            watchIfPending(request, typeof created.id === 'string' ? created.id : undefined, created);
          }
          const id = store ? responseIdOf(result.body, false) : undefined;
          if (id) {
            await remember(
              request,
              id,
              { instance: state.provider! },
              PROVIDER_RETENTION_SECONDS,
              state.warnings,
            );
            setGatewayHeaders(reply, state);
          }
          return reply.type(result.contentType).send(result.body);
        }
        const response = convertChatCompletion(
          JSON.parse(result.body.toString()) as ChatCompletion,
          result.usage,
          { request: body, id: newResponseId('resp'), createdAt: Math.floor(Date.now() / 1000) },
        );
        if (store) {
          const record = { response, conversation: conversationOf(response) };
          await remember(request, response['id'] as string, record, retention, state.warnings);
          setGatewayHeaders(reply, state);
        }
        return reply.type('application/json').send(JSON.stringify(response));
      }

      /** A native stream whose response id is recorded (for its key) before the client sees it. */
      async function* recordingOwner(
        events: ResponsesStream,
        instanceId: string,
        warnings: string[],
      ): AsyncGenerator<ResponsesStreamEvent, void, undefined> {
        for await (const event of events) {
          if (event.type === 'response.created') {
            const id = responseIdOf(event.data, true);
            if (id)
              await remember(request, id, { instance: instanceId }, PROVIDER_RETENTION_SECONDS, warnings);
          }
          yield event;
        }
      }

      /**
       * A chat stream as Responses API events. Nothing is sent before the provider's first chunk, so
       * that until then the router may still fail over; the response is stored before the terminal
       * event goes out, so that a client who saw it complete can continue it.
       */
      function translateStream(chat: ChatStream): AsyncIterable<ResponsesStreamEvent> {
        const builder = new ResponseBuilder({
          request: body,
          id: newResponseId('resp'),
          createdAt: Math.floor(Date.now() / 1000),
        });
        let usage: Usage | undefined;
        let started = false;
        return convertEvents(
          chat,
          (event) => {
            if (event.mayCarryUsage !== false && event.chunk.usage) {
              usage = usageFromChatCompletion(event.chunk.usage as ChatUsageWire) ?? usage;
            }
            const opening = started ? undefined : builder.start(event.chunk.model);
            started = true;
            if (event.hidden === true) return opening ?? [];
            const pushed = builder.push(event.chunk);
            return opening ? [...opening, ...pushed] : pushed;
          },
          async () => {
            const opening = started ? [] : builder.start(undefined);
            const closing = builder.finish(usage);
            state.usage = usage;
            if (store) {
              const response = builder.response;
              const record = { response, conversation: conversationOf(response) };
              await remember(request, response['id'] as string, record, retention, []);
            }
            return [...opening, ...closing];
          },
        );
      }

      const started = await callModelStream(
        fastify.gatewayRouter,
        routed,
        request,
        reply,
        async (deployment, context): Promise<AsyncIterable<ResponsesStreamEvent>> => {
          const adapter = deployment.instance.adapter;
          if (serveNatively(deployment)) {
            const events = await adapter.responsesStream!(nativeBody, deployment, context);
            return store ? recordingOwner(events, deployment.instance.id, context.warnings) : events;
          }
          const chat = chatRequestFor(translation!, deployment, context.warnings);
          return translateStream(await adapter.chatStream(chat, deployment, context));
        },
        callOptions,
      );
      // Usage of a passed-through stream is read from its terminal event; a translated stream sets it.
      const passedThrough = state.deployment !== null && serveNatively(state.deployment);
      return relayEvents(request, reply, started, passedThrough, body.background === true);
    },
  );

  /** Frames the stream for the client and frees the call and the deployment however it ends. */
  function relayEvents(
    request: FastifyRequest,
    reply: FastifyReply,
    started: Awaited<ReturnType<typeof callModelStream<ResponsesStreamEvent>>>,
    passedThrough: boolean,
    background: boolean,
  ): FastifyReply {
    const state = request.gateway;
    const streamingSince = performance.now();
    // A background response goes on at its provider when its stream ends early (the client left,
    // the connection was cut): until the terminal event is relayed, its usage is the watcher's.
    const first = started.value.first;
    const backgroundId =
      passedThrough && background && first.done !== true && first.value.type === 'response.created'
        ? responseIdOf(first.value.data, true)
        : undefined;
    if (backgroundId) state.usageFollows = true;
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      // Streaming time is upstream time: the overhead is what the gateway spent before it.
      state.upstreamMs += performance.now() - streamingSince;
      started.call.dispose();
      started.release();
      if (backgroundId && state.usageFollows === true && state.deployment) {
        watchBackground(request, backgroundId, state.deployment);
      }
    };
    // A client that leaves before the first frame is pulled never starts the body below.
    reply.raw.once('close', end);
    const body = typedEventStreamBody(withFirst(started.value.first, started.value.iterator), {
      onEvent(event) {
        if (!passedThrough) return;
        state.usage = usageOfTerminalEvent(event) ?? state.usage;
        if (state.usage) state.usageFollows = false;
      },
      onError(error, sequence) {
        if (!(error instanceof ClientClosed))
          request.log.warn({ err: error }, 'stream failed after it started');
        const rendered = renderError(error);
        state.errorCode = rendered.gatewayCode;
        const { message, code, param } = rendered.envelope.error;
        return JSON.stringify({ type: 'error', code, message, param, sequence_number: sequence });
      },
      onEnd: end,
    });
    reply.headers(SSE_HEADERS);
    return reply.send(body);
  }

  /** The instance that holds a provider's stored responses when the client names no model. */
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
      config: { rateLimitClass: 'chat', cacheable: false, concurrencyLimited: true },
      schema: {
        tags: ['responses'],
        summary: method === 'GET' ? 'Retrieve a stored response' : 'Delete a stored response',
        description:
          'Only the key that created a response finds it. A response the gateway translated is ' +
          'answered from its own store; one a provider keeps, from that provider.',
        params: ResponseIdParams,
        querystring: StoredResponseQuery,
        response: {
          200: method === 'GET' ? Type.Ref('Response') : Type.Ref('DeletedResponse'),
          ...commonErrorResponses,
        },
      },
      handler: async (request, reply) => {
        const state = request.gateway;
        const id = request.params.id;
        const model = request.query.model;
        let named: ProviderInstance | undefined;
        if (model !== undefined) {
          state.model = model;
          const plan = fastify.gatewayRouter.plan(model, 'chat');
          authorizeModel(request, model, plan);
          named = plan.deployments.find(serveNatively)?.instance;
        }
        const owner = ownerOf(request);
        const record = await read(() => store.get(owner, id));

        if (record?.response) {
          state.model ??= String(record.response['model']);
          if (method === 'DELETE') {
            await read(() => store.delete(owner, id));
            return reply.type('application/json').send({ id, object: 'response', deleted: true });
          }
          const ignored = Object.keys(request.query).filter((name) => name !== 'model');
          for (const name of ignored) {
            state.warnings.push(
              `ignored query parameter '${name}': the gateway answers this response itself`,
            );
          }
          if (ignored.length > 0) setGatewayHeaders(reply, state);
          return reply.type('application/json').send(JSON.stringify(record.response));
        }

        let holder: ProviderInstance | undefined;
        if (record?.instance) holder = fastify.gatewayProviders.get(record.instance);
        // A response made with the client's own provider key is that key's business at the provider.
        else if (state.providerApiKey) holder = named ?? defaultInstance();
        else {
          throw new GatewayError('GW_ERR_RESPONSE_NOT_FOUND', {
            message: `Response with id '${id}' not found.`,
          });
        }
        if (!holder?.configured || !holder.adapter.storedResponse) {
          throw new GatewayError('GW_ERR_MODEL_PROVIDER_NOT_CONFIGURED', {
            message: record?.instance
              ? `The provider instance '${record.instance}' that keeps this response is not configured.`
              : 'No configured provider serves the Responses API.',
            param: model ? 'model' : null,
          });
        }
        return passStoredResponseThrough(request, reply, holder, method, id, () =>
          record ? store.delete(owner, id).then(() => undefined) : Promise.resolve(),
        );
      },
    });
  }

  /** GET or DELETE at the provider that keeps the response; a deletion there is forgotten here too. */
  async function passStoredResponseThrough(
    request: FastifyRequest,
    reply: FastifyReply,
    holder: ProviderInstance,
    method: 'GET' | 'DELETE',
    id: string,
    forget: () => Promise<void>,
  ): Promise<FastifyReply> {
    const state = request.gateway;
    const search = new URLSearchParams(request.url.slice(request.url.indexOf('?') + 1));
    if (request.url.includes('?')) search.delete('model');
    const query = request.url.includes('?') && search.size > 0 ? `?${search.toString()}` : '';
    const call = startCall(request, reply, options.requestTimeout, state.warnings);
    const started = performance.now();
    try {
      const result = await holder.adapter.storedResponse!({ method, responseId: id, query }, call.context);
      state.provider = holder.id;
      state.attempts = 1;
      state.upstreamMs = performance.now() - started;
      if (method === 'DELETE') {
        await forget().catch((error: unknown) =>
          request.log.warn({ err: error, responseId: id }, 'deleted response not forgotten'),
        );
      }
      setGatewayHeaders(reply, state);
      return sendModelResult(request, reply, result, call);
    } catch (error) {
      call.dispose();
      state.attempts = 1;
      state.upstreamMs = performance.now() - started;
      throw error;
    }
  }
};
