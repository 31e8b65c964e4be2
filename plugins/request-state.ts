/**
 * Per-request state and the access log: every request gets `request.gateway` (who called, what was
 * asked, what answered, usage, timings), its id echoed as `x-request-id`, and one log line when it
 * ends. The line holds no prompt, completion or key.
 */
import { performance } from 'node:perf_hooks';
import fp from 'fastify-plugin';
import type { Identity } from '../src/identity.js';
import type { Usage } from '../src/provider.js';

export interface RequestState {
  readonly startedAt: number;
  identity: Identity | null;
  /** A provider key the client brought for this request (bring-your-own-key); never logged or cached. */
  providerApiKey: string | undefined;
  /** The model the client asked for. */
  model: string | null;
  /** The upstream model that answered, and where. */
  answeredModel: string | null;
  provider: string | null;
  deploymentId: string | null;
  attempts: number;
  /** Time spent waiting on upstreams, ms; the rest of the latency is the gateway's overhead. */
  upstreamMs: number;
  usage: Usage | undefined;
  cache: 'HIT' | 'MISS' | 'BYPASS' | null;
  stream: boolean;
  warnings: string[];
  errorCode: string | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    gateway: RequestState;
  }
}

export function overheadMs(state: RequestState, now = performance.now()): number {
  return Math.max(0, now - state.startedAt - state.upstreamMs);
}

export const requestStatePlugin = fp(
  async (fastify) => {
    fastify.decorateRequest('gateway', null as unknown as RequestState);
    fastify.addHook('onRequest', async (request, reply) => {
      request.gateway = {
        startedAt: performance.now(),
        identity: null,
        providerApiKey: undefined,
        model: null,
        answeredModel: null,
        provider: null,
        deploymentId: null,
        attempts: 0,
        upstreamMs: 0,
        usage: undefined,
        cache: null,
        stream: false,
        warnings: [],
        errorCode: null,
      };
      reply.header('x-request-id', request.id);
    });

    fastify.addHook('onResponse', async (request, reply) => {
      const state = request.gateway;
      if (!state) return;
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
        }
        if (state.cache) line['cache'] = state.cache;
      }
      if (state.errorCode) line['error'] = state.errorCode;
      request.log.info(line, 'request completed');
    });
  },
  { name: 'llm-gateway-request-state', fastify: '5.x' },
);
