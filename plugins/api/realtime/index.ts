/**
 * OpenAI's Realtime API: `GET /v1/realtime?model=...` upgraded to a WebSocket whose events are
 * relayed to and from a WebSocket the gateway opens to the provider, and
 * `POST /v1/realtime/client_secrets` (`/v1/realtime/sessions`, the beta's) passed through for the
 * keys allowed to mint credentials for browsers. docs/openai-endpoints.md, "Realtime".
 *
 * Everything that can refuse a session does so before the upgrade, with the HTTP error envelope
 * (@fastify/websocket routes the upgrade request through Fastify's hooks first): the key (a header,
 * or the `openai-insecure-api-key.<key>` subprotocol a browser sends), the rate limit and budget,
 * the model and the key's allow-list, the key's number of open sessions, and the provider's own
 * WebSocket, opened through the router (retries and failover) before the client's upgrade is
 * accepted, so a provider that refuses or cannot be reached is a 502 or 504.
 *
 * The session then accounts for itself (the request is `detached`): each `response.done` is priced
 * at the catalog's text and audio prices and recorded like a chat call (usage per key and model,
 * budgets, one spend row in the store); at its end one access-log line says how long it lasted, the
 * events each way, the close codes and the usage.
 * @see https://platform.openai.com/docs/guides/realtime-websocket
 */
import { performance } from 'node:perf_hooks';
import fastifyWebsocket from '@fastify/websocket';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { WebSocket } from 'ws';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayOptions } from '../../../schemas/options.js';
import { commonErrorResponses } from '../../../schemas/common.js';
import { costOf, pricingOf } from '../../../src/catalog.js';
import { GatewayError } from '../../../src/errors.js';
import { callModel } from '../../../src/http/model-call.js';
import { sendModelResult } from '../../../src/http/send-model-result.js';
import { SUBPROTOCOL_KEY_PREFIX, compileModelPatterns } from '../../../src/identity.js';
import { authorizeModel } from '../../../src/model-access.js';
import type { RequestOutcome } from '../../../src/http/request-state.js';
import type { RealtimeConnection, Usage } from '../../../src/provider.js';
import type { Deployment } from '../../../src/routing/deployment.js';
import { ClientClosed } from '../../../src/upstream.js';
import { addUsage, convertRealtimeUsage, type RealtimeUsageWire } from './convert-realtime-usage.js';
import { RealtimeSession, type SessionSummary } from './realtime-session.js';

export interface RealtimeRouteOptions {
  requestTimeout: number;
  realtime: GatewayOptions['realtime'];
}

/** The model a client secret is minted for when the request names none, as OpenAI's API defaults. */
export const DEFAULT_REALTIME_MODEL = 'gpt-realtime';

/** Largest event a client may send: an `input_audio_buffer.append` of 15 MiB of audio, base64. */
const CLIENT_MAX_PAYLOAD = 24 * 1024 * 1024;

const ROUTE = '/v1/realtime';

/** A provider's WebSocket opened for a request whose client is being upgraded. */
interface Prepared {
  readonly connection: RealtimeConnection;
  readonly deployment: Deployment;
  readonly scope: string;
  release(): void;
  started: boolean;
}

/** The subprotocol by which a browser asks for the beta realtime protocol (`OpenAI-Beta: realtime=v1`). */
const BETA_SUBPROTOCOL = 'openai-beta.realtime-v1';

function offeredProtocols(request: FastifyRequest): string[] {
  const header = request.headers['sec-websocket-protocol'];
  return typeof header === 'string' ? header.split(',').map((protocol) => protocol.trim()) : [];
}

/** A session that ended with its provider's connection lost failed upstream; any other completed. */
function outcomeOf(summary: SessionSummary): RequestOutcome {
  return summary.reason === 'upstream_closed' && summary.closeCodes.upstream === 1006
    ? 'upstream_error'
    : 'completed';
}

export const realtimeRoutes: FastifyPluginAsync<RealtimeRouteOptions> = async (instance, options) => {
  const fastify = instance.withTypeProvider<TypeBoxTypeProvider>();
  const limits = options.realtime;
  const openByKey = new Map<string, number>();
  const live = new Set<RealtimeSession>();
  const prepared = new WeakMap<FastifyRequest, Prepared>();
  const mayMint = limits.clientSecretKeys.length > 0 ? compileModelPatterns(limits.clientSecretKeys) : null;
  const metrics = fastify.gatewayMetrics;
  let closing = false;

  await fastify.register(fastifyWebsocket, {
    options: {
      maxPayload: CLIENT_MAX_PAYLOAD,
      // A browser that offered subprotocols needs one chosen; never the one that carries its key.
      handleProtocols: (protocols) => {
        if (protocols.has('realtime')) return 'realtime';
        for (const protocol of protocols) if (!protocol.startsWith(SUBPROTOCOL_KEY_PREFIX)) return protocol;
        return false;
      },
    },
    preClose: (done) => {
      closing = true;
      for (const session of live) session.end('shutdown', 1001, 'the gateway is shutting down');
      done();
    },
  });

  // The 101 carries the request id, as every other answer does.
  const requestIds = new WeakMap<object, string>();
  fastify.websocketServer.on('headers', (headers: string[], raw: object) => {
    const id = requestIds.get(raw);
    if (id !== undefined) headers.push(`x-request-id: ${id}`);
  });

  // An upgrade refused by a hook that ran before @fastify/websocket's own (auth, rate limit) is not
  // known to it as one: its socket is closed here once the refusal is sent, as the library does.
  fastify.addHook('onResponse', (request, _reply, done) => {
    if (request.raw.headers.upgrade !== undefined && !request.raw.socket.destroyed)
      request.raw.socket.destroy();
    done();
  });

  function reserve(scope: string): void {
    const open = openByKey.get(scope) ?? 0;
    if (limits.maxSessionsPerKey > 0 && open >= limits.maxSessionsPerKey) {
      throw new GatewayError('GW_ERR_REALTIME_TOO_MANY_SESSIONS', {
        message:
          `This API key has ${open} realtime sessions open, the most it may (REALTIME_MAX_SESSIONS_PER_KEY): ` +
          'close one before opening another.',
      });
    }
    openByKey.set(scope, open + 1);
  }

  function unreserve(scope: string): void {
    const open = (openByKey.get(scope) ?? 1) - 1;
    if (open <= 0) openByKey.delete(scope);
    else openByKey.set(scope, open);
  }

  /** Everything that may refuse the session, and the provider's socket, before the client's upgrade. */
  async function prepare(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const state = request.gateway;
    // Validated by the route's querystring schema.
    const model = (request.query as { model: string }).model;
    state.model = model;
    const plan = fastify.gatewayRouter.plan(model, 'realtime');
    authorizeModel(request, model, plan);
    const scope = state.identity?.scope ?? 'anonymous';
    reserve(scope);
    const header = request.headers['openai-beta'];
    // A browser asks for the beta protocol by a subprotocol, as it cannot send the header.
    const beta =
      typeof header === 'string'
        ? header
        : offeredProtocols(request).includes(BETA_SUBPROTOCOL)
          ? 'realtime=v1'
          : undefined;
    let answer;
    try {
      // The reply answers only a refusal: once the provider accepted, the upgrade takes the socket.
      answer = await callModel(
        fastify.gatewayRouter,
        plan,
        request,
        reply,
        (deployment, context) => deployment.instance.adapter.realtime!({ beta }, deployment, context),
        { timeoutMs: options.requestTimeout },
      );
    } catch (error) {
      unreserve(scope);
      throw error;
    }
    answer.call.dispose();
    const entry: Prepared = {
      connection: answer.value,
      deployment: state.deployment!,
      scope,
      release: answer.release,
      started: false,
    };
    // A client gone while the provider was answering: its session never starts.
    const socket = request.raw.socket;
    const abandon = () => {
      if (entry.started) return;
      entry.connection.socket.terminate();
      entry.release();
      unreserve(scope);
    };
    if (socket.destroyed) {
      abandon();
      throw new ClientClosed('The client closed the connection');
    }
    socket.once('close', abandon);
    prepared.set(request, entry);
    requestIds.set(request.raw, request.id);
  }

  function account(request: FastifyRequest, entry: Prepared, usage: Usage, latencyMs: number | null): void {
    const state = request.gateway;
    const identity = state.identity;
    const deployment = entry.deployment;
    const model = deployment.model?.id ?? entry.connection.model;
    const costUsd = costOf(pricingOf(deployment), usage);
    const at = new Date();
    if (identity) {
      fastify.gatewayUsage
        .record({ identity: identity.id, model, usage, costUsd, at })
        .catch((error: unknown) => request.log.warn({ err: error }, 'usage not recorded'));
    }
    const store = fastify.gatewayStore;
    if (store) {
      store.spend.add({
        at,
        requestId: request.id,
        keyId: identity?.id ?? null,
        teamId: identity?.teamId ?? null,
        route: ROUTE,
        requestedModel: state.model,
        model,
        provider: deployment.instance.id,
        deployment: deployment.deploymentId,
        promptTokens: usage.promptTokens,
        completionTokens: usage.completionTokens,
        reasoningTokens: 0,
        cachedTokens: usage.cachedTokens,
        cacheWriteTokens: 0,
        costUsd,
        latencyMs: latencyMs === null ? null : Math.round(latencyMs * 100) / 100,
        overheadMs: null,
        status: 101,
        cacheResult: null,
        outcome: 'completed',
        estimated: false,
      });
      if (identity?.kind === 'store' && costUsd > 0) {
        store.budgets.add({ keyId: identity.id }, costUsd, at);
        if (identity.teamId) store.budgets.add({ teamId: identity.teamId }, costUsd, at);
      }
    }
    const labels = { provider: deployment.instance.id, model: deployment.model?.id ?? 'other' };
    metrics.tokens.inc({ ...labels, kind: 'prompt' }, usage.promptTokens);
    metrics.tokens.inc({ ...labels, kind: 'completion' }, usage.completionTokens);
    if (usage.cachedTokens) metrics.tokens.inc({ ...labels, kind: 'cached' }, usage.cachedTokens);
    if (costUsd > 0) metrics.cost.inc(labels, costUsd);
  }

  function start(client: WebSocket, request: FastifyRequest): void {
    const entry = prepared.get(request);
    prepared.delete(request);
    if (!entry) {
      client.close(1011, 'the session was not prepared');
      return;
    }
    entry.started = true;
    const state = request.gateway;
    // From here the session accounts for itself; the request's own end is not one.
    state.detached = true;
    const modelLabel = entry.deployment.model?.id ?? 'other';
    const total: Usage = {
      promptTokens: 0,
      completionTokens: 0,
      totalTokens: 0,
      reasoningTokens: 0,
      cachedTokens: 0,
    };
    let responses = 0;
    const createdAt = new Map<string, number>();
    metrics.realtimeSessionsOpened.inc({ model: modelLabel });
    metrics.realtimeSessionsActive.inc();
    const session = new RealtimeSession(client, entry.connection.socket, {
      maxBufferedBytes: limits.maxBufferedBytes,
      maxSessionMs: limits.maxSessionSeconds * 1000,
      onRelayed: (direction) => metrics.realtimeEvents.inc({ direction }),
      onUpstreamEvent(type, event) {
        const response = event['response'] as { id?: unknown; usage?: RealtimeUsageWire } | undefined;
        const id = typeof response?.id === 'string' ? response.id : '';
        if (type === 'response.created') {
          // Bounded: a response that never ends is forgotten with the session.
          if (createdAt.size < 1000) createdAt.set(id, performance.now());
          return;
        }
        if (type !== 'response.done') return;
        const started = createdAt.get(id);
        createdAt.delete(id);
        const usage = convertRealtimeUsage(response?.usage);
        if (!usage) return;
        responses++;
        addUsage(total, usage);
        account(request, entry, usage, started === undefined ? null : performance.now() - started);
      },
      onEnd(summary) {
        live.delete(session);
        entry.release();
        unreserve(entry.scope);
        metrics.realtimeSessionsActive.dec();
        metrics.realtimeSessionsClosed.inc({ model: modelLabel, reason: summary.reason });
        metrics.realtimeSessionDuration.observe({ reason: summary.reason }, summary.durationMs / 1000);
        writeAccessLine(request, entry, summary, total, responses);
        // The request's span, when tracing is on, ends with the session, carrying its usage.
        state.usage = total;
        fastify.gatewayTracing?.endRequest(request, { outcome: outcomeOf(summary), status: 101 });
      },
    });
    live.add(session);
    // A session whose provider answered while the gateway began to shut down ends at once.
    if (closing) session.end('shutdown', 1001, 'the gateway is shutting down');
  }

  function writeAccessLine(
    request: FastifyRequest,
    entry: Prepared,
    summary: SessionSummary,
    usage: Usage,
    responses: number,
  ): void {
    const state = request.gateway;
    const line: Record<string, unknown> = {
      method: 'GET',
      route: ROUTE,
      status: 101,
      outcome: outcomeOf(summary),
      latencyMs: Math.round((performance.now() - state.startedAt) * 100) / 100,
      key: state.identity?.id ?? null,
      model: state.model,
      answeredModel: entry.connection.model,
      provider: entry.deployment.instance.id,
      attempts: state.attempts,
      realtime: {
        durationMs: Math.round(summary.durationMs),
        endReason: summary.reason,
        eventsFromClient: summary.events.fromClient,
        eventsFromUpstream: summary.events.fromUpstream,
        closeCodeClient: summary.closeCodes.client,
        closeCodeUpstream: summary.closeCodes.upstream,
        responses,
      },
      promptTokens: usage.promptTokens,
      completionTokens: usage.completionTokens,
      audioPromptTokens: usage.audioPromptTokens ?? 0,
      audioCompletionTokens: usage.audioCompletionTokens ?? 0,
      costUsd: costOf(pricingOf(entry.deployment), usage),
    };
    if (usage.cachedTokens) line['cachedTokens'] = usage.cachedTokens;
    if (state.trace) {
      line['trace_id'] = state.trace.traceId;
      line['span_id'] = state.trace.spanId;
    }
    request.log.info(line, 'request completed');
  }

  fastify.route({
    method: 'GET',
    url: ROUTE,
    config: { rateLimitClass: 'realtime', apiKeyInSubprotocol: true, budgeted: true },
    schema: {
      tags: ['realtime'],
      summary: 'Open a realtime session (WebSocket)',
      description:
        'OpenAI-compatible. An upgrade to a WebSocket (`Connection: Upgrade`, `Upgrade: websocket`) whose ' +
        "events are relayed unchanged to and from the provider's realtime API. The key comes as " +
        '`Authorization: Bearer <key>`, `X-API-Key`, or, from a browser, the subprotocol ' +
        '`openai-insecure-api-key.<key>`. Refusals (key, model, limits, the provider) are answered before ' +
        'the upgrade with the error envelope; a request without an upgrade gets 426.',
      querystring: Type.Object(
        { model: Type.String({ minLength: 1, description: 'The realtime model (a catalog id or alias)' }) },
        { additionalProperties: true },
      ),
      response: {
        101: Type.Null({ description: 'Switching Protocols: the session is open' }),
        403: Type.Ref('ErrorResponse'),
        426: Type.Ref('ErrorResponse'),
        ...commonErrorResponses,
      },
    },
    preHandler: async (request, reply) => {
      if (request.ws) await prepare(request, reply);
    },
    handler: async (_request, reply) => {
      reply.header('upgrade', 'websocket');
      throw new GatewayError('GW_ERR_REALTIME_UPGRADE_REQUIRED');
    },
    wsHandler: (socket, request) => start(socket, request),
  });

  /** A client secret (or, in the beta, a session) for a browser, passed through for allowed keys. */
  function mintRoute(kind: 'client_secrets' | 'sessions', summary: string) {
    fastify.post(
      `${ROUTE}/${kind}`,
      {
        config: { rateLimitClass: 'realtime', cacheable: false, concurrencyLimited: true },
        schema: {
          tags: ['realtime'],
          summary,
          description:
            'OpenAI-compatible, passed through to the provider that serves the model, for the keys named in ' +
            'REALTIME_CLIENT_SECRET_KEYS (others get 403). A browser then talks to the provider directly: ' +
            'its usage does not pass through the gateway.',
          body: Type.Object({}, { additionalProperties: true }),
          response: {
            200: Type.Object({}, { additionalProperties: true }),
            403: Type.Ref('ErrorResponse'),
            ...commonErrorResponses,
          },
        },
      },
      async (request, reply) => {
        const identity = request.gateway.identity;
        if (!identity || mayMint === null || !mayMint(identity.id)) {
          request.log.warn(
            { event: 'auth_failure', reason: 'client_secrets_forbidden', key: identity?.id ?? null },
            'security event',
          );
          throw new GatewayError('GW_ERR_AUTH_CLIENT_SECRETS_FORBIDDEN');
        }
        const body = request.body as Record<string, unknown>;
        const named =
          kind === 'sessions' ? body['model'] : (body['session'] as { model?: unknown } | undefined)?.model;
        const model = typeof named === 'string' && named ? named : DEFAULT_REALTIME_MODEL;
        request.gateway.model = model;
        const plan = fastify.gatewayRouter.plan(model, 'realtime_secret');
        authorizeModel(request, model, plan);
        const answer = await callModel(
          fastify.gatewayRouter,
          plan,
          request,
          reply,
          (deployment, context) =>
            deployment.instance.adapter.realtimeSecret!({ kind, body }, deployment, context),
          { timeoutMs: options.requestTimeout },
        );
        return sendModelResult(request, reply, answer.value, answer.call, answer.release);
      },
    );
  }
  mintRoute('client_secrets', 'Create a realtime client secret');
  mintRoute('sessions', 'Create a realtime session (beta)');
};
