/**
 * Per-request state and the end of every request: each request gets `request.gateway` (who called,
 * what was asked, what answered, usage, timings) and its id echoed as `x-request-id`, and ends
 * exactly once, however it ends: answered, refused, failed, or left by its client mid-way (Fastify
 * runs `onResponse` only for an answer that was sent whole; the response's `close` before it finished
 * says the client went away). At its end the accounting listeners run (usage and budgets, token limits, metrics), with
 * the tokens seen so far (estimated, and marked so, when a stream was cut before its usage came),
 * then one access-log line is written: request id, key id, model asked and answered, provider,
 * status, outcome, latency, overhead, tokens, cost, cache status, attempts. The line holds no key, and
 * no prompt or completion unless LOG_BODIES is set for debugging.
 */
import { performance } from 'node:perf_hooks';
import fp from 'fastify-plugin';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { costOf, pricingOf } from '../src/catalog.js';
import { overheadMs, type RequestOutcome, type RequestState } from '../src/http/request-state.js';
import { estimateTokens } from '../src/tokens.js';

export { overheadMs, type RequestState };

/** How a request ended, as the accounting listeners see it. */
export interface RequestEnd {
  readonly outcome: RequestOutcome;
  /** The status the client got; 499 when it left before any was sent. */
  readonly status: number;
}

export type RequestEndListener = (request: FastifyRequest, end: RequestEnd) => void;

declare module 'fastify' {
  interface FastifyInstance {
    /** Runs `listener` once at the end of every request of the gateway, however it ends. */
    gatewayOnRequestEnd(listener: RequestEndListener): void;
  }
}

/** Status a client that left before any answer is logged with (nginx's "client closed request"). */
export const CLIENT_CLOSED_STATUS = 499;

function outcomeOf(state: RequestState, status: number, aborted: boolean): RequestOutcome {
  if (aborted) return 'client_closed';
  const code = state.errorCode;
  if (code === 'GW_ERR_CLIENT_CLOSED') return 'client_closed';
  if (code === 'GW_ERR_UPSTREAM_TIMEOUT') return 'timeout';
  if (code?.startsWith('GW_ERR_UPSTREAM_')) return 'upstream_error';
  if (code !== null || status >= 400) return status >= 500 ? 'upstream_error' : 'rejected';
  return 'completed';
}

/**
 * A model call that ended before its provider reported usage: the prompt as estimated from its
 * length, and the completion from the text the client was sent (about four characters a token).
 */
function estimateUsage(state: RequestState): void {
  if (state.usage || state.deployment === null || state.usageFollows === true) return;
  const promptTokens = state.promptTokensEstimate;
  const completionTokens = estimateTokens(state.streamedCharacters + (state.streamedText?.characters() ?? 0));
  state.usage = {
    promptTokens,
    completionTokens,
    totalTokens: promptTokens + completionTokens,
    reasoningTokens: 0,
    cachedTokens: 0,
    estimated: true,
  };
}

export interface RequestStatePluginOptions {
  /** Debug only: put request bodies and unary answers in the access log (prompts and completions). */
  logBodies?: boolean;
}

const LOGGED_BODY_LIMIT = 16 * 1024;

export const requestStatePlugin = fp<RequestStatePluginOptions>(
  async (fastify, options) => {
    const logBodies = options.logBodies === true;
    if (logBodies) {
      fastify.log.warn('LOG_BODIES is on: prompts and completions are written to the logs');
      fastify.addHook('onSend', async (request, reply, payload) => {
        if (
          request.gateway?.model !== undefined &&
          request.gateway.model !== null &&
          !request.gateway.stream
        ) {
          const text =
            typeof payload === 'string'
              ? payload
              : Buffer.isBuffer(payload)
                ? payload.toString('utf8')
                : null;
          if (text !== null) request.gateway.loggedResponse = text.slice(0, LOGGED_BODY_LIMIT);
        }
        return payload;
      });
    }
    fastify.decorateRequest('gateway', null as unknown as RequestState);
    fastify.addHook('onRequest', (request, reply, done) => {
      request.gateway = {
        startedAt: performance.now(),
        identity: null,
        providerApiKey: undefined,
        model: null,
        answeredModel: null,
        provider: null,
        deploymentId: null,
        deployment: null,
        timeToFirstByteMs: null,
        attempts: 0,
        upstreamMs: 0,
        usage: undefined,
        cache: null,
        stream: false,
        warnings: [],
        errorCode: null,
        promptTokensEstimate: 0,
        streamedCharacters: 0,
        streamedText: null,
        outcome: null,
        trace: null,
      };
      reply.header('x-request-id', request.id);
      // A client that goes away before its answer is complete (a chat UI's stop button) ends its
      // request here: the response never finishes, so onResponse does not run for it.
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) endRequest(request, reply, true);
      });
      done();
    });

    const listeners: RequestEndListener[] = [];
    fastify.decorate('gatewayOnRequestEnd', (listener: RequestEndListener) => {
      listeners.push(listener);
    });

    const endRequest = (request: FastifyRequest, reply: FastifyReply, aborted: boolean) => {
      const state = request.gateway;
      if (!state || state.outcome !== null || state.detached === true) return;
      const status = aborted && !reply.raw.headersSent ? CLIENT_CLOSED_STATUS : reply.statusCode;
      const outcome = outcomeOf(state, status, aborted);
      state.outcome = outcome;
      if (outcome !== 'completed' && outcome !== 'rejected') estimateUsage(state);
      const end: RequestEnd = { outcome, status };
      for (const listener of listeners) {
        try {
          listener(request, end);
        } catch (error) {
          request.log.error({ err: error }, 'request accounting failed');
        }
      }
      writeAccessLine(request, end);
    };

    fastify.addHook('onResponse', (request, reply, done) => {
      endRequest(request, reply, false);
      done();
    });

    function writeAccessLine(request: FastifyRequest, end: RequestEnd): void {
      const state = request.gateway;
      const now = performance.now();
      const line: Record<string, unknown> = {
        method: request.method,
        route: request.routeOptions.url ?? 'not_found',
        status: end.status,
        outcome: end.outcome,
        latencyMs: Math.round((now - state.startedAt) * 100) / 100,
        key: state.identity?.id ?? null,
      };
      if (state.model !== null) {
        line['model'] = state.model;
        line['answeredModel'] = state.answeredModel;
        line['provider'] = state.provider;
        line['attempts'] = state.attempts;
        line['overheadMs'] = Math.round(overheadMs(state, now) * 100) / 100;
        line['stream'] = state.stream;
        if (state.usage) {
          line['promptTokens'] = state.usage.promptTokens;
          line['completionTokens'] = state.usage.completionTokens;
          if (state.usage.reasoningTokens) line['reasoningTokens'] = state.usage.reasoningTokens;
          if (state.usage.cachedTokens) line['cachedTokens'] = state.usage.cachedTokens;
          if (state.usage.estimated) line['usageEstimated'] = true;
          line['costUsd'] = costOf(pricingOf(state.deployment), state.usage);
        }
        if (state.cache) line['cache'] = state.cache;
      }
      if (state.moderation) line['moderation'] = state.moderation;
      if (state.errorCode) line['error'] = state.errorCode;
      // The same ids as the request's spans, so that logs and traces join.
      if (state.trace) {
        line['trace_id'] = state.trace.traceId;
        line['span_id'] = state.trace.spanId;
      }
      if (logBodies && state.model !== null) {
        line['requestBody'] = request.body;
        if (state.loggedResponse !== undefined) line['responseBody'] = state.loggedResponse;
      }
      request.log.info(line, 'request completed');
    }
  },
  { name: 'llm-gateway-request-state', fastify: '5.x' },
);
