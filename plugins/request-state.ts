/**
 * Per-request state and the access log: every request gets `request.gateway` (who called, what was
 * asked, what answered, usage, timings), its id echoed as `x-request-id`, and one log line when it
 * ends: request id, key id, model asked and answered, provider, status, latency, overhead, tokens,
 * cost, cache status, attempts. The line holds no key, and no prompt or completion unless
 * LOG_BODIES is set for debugging.
 */
import { performance } from 'node:perf_hooks';
import fp from 'fastify-plugin';
import { costOf } from '../src/catalog.js';
import { overheadMs, type RequestState } from '../src/http/request-state.js';

export { overheadMs, type RequestState };

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
      };
      reply.header('x-request-id', request.id);
      done();
    });

    fastify.addHook('onResponse', (request, reply, done) => {
      const state = request.gateway;
      if (!state) return done();
      const now = performance.now();
      const line: Record<string, unknown> = {
        method: request.method,
        route: request.routeOptions.url ?? 'not_found',
        status: reply.statusCode,
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
          line['costUsd'] = costOf(state.deployment?.model, state.usage);
        }
        if (state.cache) line['cache'] = state.cache;
      }
      if (state.errorCode) line['error'] = state.errorCode;
      if (logBodies && state.model !== null) {
        line['requestBody'] = request.body;
        if (state.loggedResponse !== undefined) line['responseBody'] = state.loggedResponse;
      }
      request.log.info(line, 'request completed');
      done();
    });
  },
  { name: 'llm-gateway-request-state', fastify: '5.x' },
);
