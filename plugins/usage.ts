/**
 * Usage, cost and budgets. Every model call's usage (as the provider reported it, or counted from
 * the stream) is accounted to the calling key and the model that answered, priced at the catalog's
 * rates, per UTC day; in Redis when replicas share state, in memory otherwise.
 *
 * A client key with a budget is refused with 429 `budget_exceeded` once its spending for the period
 * reaches the limit, and its answers carry `x-gateway-budget-warning` once they pass the configured
 * share. `GET /v1/usage` gives the calling key its own figures; `GET /v1/usage/keys` gives every
 * key's, to an admin key (GATEWAY_ADMIN_KEYS).
 */
import fp from 'fastify-plugin';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { commonErrorResponses } from '../schemas/common.js';
import { costOf } from '../src/catalog.js';
import { GatewayError } from '../src/errors.js';
import { KeyRing, presentedKey, type Identity } from '../src/identity.js';
import { RedisUsageStore } from '../src/usage/redis-usage-store.js';
import {
  MemoryUsageStore,
  addFigures,
  dayOf,
  emptyFigures,
  periodEnd,
  type UsageDay,
  type UsageFigures,
  type UsageStore,
} from '../src/usage/usage-store.js';

export interface UsagePluginOptions {
  budgetWarningShare: number;
  retentionDays: number;
  adminKeys: readonly string[];
}

declare module 'fastify' {
  interface FastifyInstance {
    gatewayUsage: UsageStore;
  }
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const RangeQuery = Type.Object({
  from: Type.Optional(
    Type.String({ pattern: DAY.source, description: 'First day, YYYY-MM-DD (UTC); default 30 days ago' }),
  ),
  to: Type.Optional(
    Type.String({ pattern: DAY.source, description: 'Last day, YYYY-MM-DD (UTC); default today' }),
  ),
});

function toWire(figures: UsageFigures) {
  return {
    requests: figures.requests,
    prompt_tokens: figures.promptTokens,
    completion_tokens: figures.completionTokens,
    reasoning_tokens: figures.reasoningTokens,
    cached_tokens: figures.cachedTokens,
    cost_usd: Math.round(figures.costUsd * 1e9) / 1e9,
  };
}

function summarize(days: UsageDay[]) {
  const byModel: Record<string, UsageFigures> = {};
  const total = emptyFigures();
  for (const day of days) {
    for (const [model, figures] of Object.entries(day.models)) {
      addFigures((byModel[model] ??= emptyFigures()), figures);
      addFigures(total, figures);
    }
  }
  return {
    total: toWire(total),
    by_model: Object.fromEntries(Object.entries(byModel).map(([model, figures]) => [model, toWire(figures)])),
    days: days.map((day) => ({
      day: day.day,
      models: Object.fromEntries(
        Object.entries(day.models).map(([model, figures]) => [model, toWire(figures)]),
      ),
    })),
  };
}

function rangeOf(query: { from?: string; to?: string }, now: Date): { from: string; to: string } {
  const to = query.to ?? dayOf(now);
  const from = query.from ?? dayOf(new Date(now.getTime() - 29 * 86_400_000));
  if (from > to) {
    throw new GatewayError('GW_ERR_REQUEST_VALIDATION', { message: "'from' is after 'to'.", param: 'from' });
  }
  if (Date.parse(to) - Date.parse(from) > 366 * 86_400_000) {
    throw new GatewayError('GW_ERR_REQUEST_VALIDATION', {
      message: 'The range is longer than 366 days.',
      param: 'from',
    });
  }
  return { from, to };
}

export const usagePlugin = fp<UsagePluginOptions>(
  async (fastify, options) => {
    const store: UsageStore = fastify.gatewayRedis
      ? new RedisUsageStore(fastify.gatewayRedis.client, options.retentionDays)
      : new MemoryUsageStore(options.retentionDays);
    fastify.decorate('gatewayUsage', store);
    const admins = new KeyRing(options.adminKeys);

    async function budgetState(identity: Identity, now: Date) {
      const budget = identity.budget!;
      // Redis down: budgets are not enforced rather than every request refused (fail open, as the
      // cache and, by default, rate limits).
      const spent = await store.spent(identity.id, budget.period, now).catch(() => null);
      return spent === null ? null : { budget, spent };
    }

    async function checkBudget(identity: Identity, reply: FastifyReply): Promise<void> {
      const now = new Date();
      const state = await budgetState(identity, now);
      if (!state) return;
      const { budget, spent } = state;
      if (spent >= budget.limitUsd) {
        const resetsAt = periodEnd(budget.period, now);
        throw new GatewayError('GW_ERR_BUDGET_EXCEEDED', {
          message:
            `The ${budget.period} budget of this key ($${budget.limitUsd.toFixed(2)}) is spent ($${spent.toFixed(4)}); ` +
            `it renews at ${resetsAt.toISOString()}.`,
          details: {
            budget_usd: budget.limitUsd,
            spent_usd: spent,
            period: budget.period,
            resets_at: resetsAt.toISOString(),
          },
          headers: {
            'retry-after': String(Math.max(1, Math.ceil((resetsAt.getTime() - now.getTime()) / 1000))),
          },
        });
      }
      if (budget.limitUsd > 0 && spent >= budget.limitUsd * options.budgetWarningShare) {
        reply.header(
          'x-gateway-budget-warning',
          `${Math.floor((spent / budget.limitUsd) * 100)}% of the ${budget.period} budget of $${budget.limitUsd.toFixed(2)} is spent`,
        );
      }
    }

    // Only a key with a budget waits on the store; every other request passes at once.
    fastify.addHook('onRequest', (request, reply, done) => {
      const identity = request.gateway?.identity;
      if (!identity?.budget || request.routeOptions.config?.concurrencyLimited !== true) return done();
      checkBudget(identity, reply).then(() => done(), done);
    });

    fastify.addHook('onResponse', (request, _reply, done) => {
      const state = request.gateway;
      if (!state?.usage || !state.identity) return done();
      const model = state.deployment?.model?.id ?? state.answeredModel ?? state.model ?? 'unknown';
      store
        .record({
          identity: state.identity.id,
          model,
          usage: state.usage,
          costUsd: costOf(state.deployment?.model, state.usage),
          at: new Date(),
        })
        .catch((error: unknown) => request.log.debug({ err: error }, 'usage not recorded'));
      done();
    });

    const fastifyTyped = fastify.withTypeProvider<TypeBoxTypeProvider>();
    fastifyTyped.get(
      '/v1/usage',
      {
        schema: {
          tags: ['usage'],
          summary: "The calling key's usage and cost, by model and day",
          querystring: RangeQuery,
          response: { 200: Type.Record(Type.String(), Type.Unknown()), ...commonErrorResponses },
        },
      },
      async (request) => {
        const identity = request.gateway.identity!;
        const now = new Date();
        const range = rangeOf(request.query, now);
        const body: Record<string, unknown> = {
          object: 'usage',
          key: identity.id,
          name: identity.name,
          ...range,
          ...summarize(await store.days(identity.id, range.from, range.to)),
        };
        if (identity.budget) {
          const state = await budgetState(identity, now);
          body['budget'] = {
            limit_usd: identity.budget.limitUsd,
            period: identity.budget.period,
            spent_usd: state?.spent ?? null,
            resets_at: periodEnd(identity.budget.period, now).toISOString(),
          };
        }
        return body;
      },
    );

    function requireAdmin(request: FastifyRequest): void {
      const key = presentedKey(request.headers);
      if (admins.size === 0) {
        throw new GatewayError('GW_ERR_AUTH_ADMIN_REQUIRED', {
          message: 'No admin key is configured: set GATEWAY_ADMIN_KEYS to read every key usage.',
        });
      }
      if (key === undefined || !admins.identify(key)) {
        request.log.warn({ event: 'auth_failure', reason: 'not_admin' }, 'security event');
        throw new GatewayError('GW_ERR_AUTH_ADMIN_REQUIRED');
      }
    }

    fastifyTyped.get(
      '/v1/usage/keys',
      {
        config: { auth: false },
        schema: {
          tags: ['usage'],
          summary: "Every key's usage and cost (admin key)",
          querystring: RangeQuery,
          response: { 200: Type.Record(Type.String(), Type.Unknown()), ...commonErrorResponses },
        },
      },
      async (request) => {
        requireAdmin(request);
        const range = rangeOf(request.query, new Date());
        const identities = await store.identities(range.from, range.to);
        const keys: Record<string, unknown> = {};
        for (const identity of identities)
          keys[identity] = summarize(await store.days(identity, range.from, range.to));
        return { object: 'usage.keys', ...range, keys };
      },
    );
  },
  { name: 'llm-gateway-usage', fastify: '5.x', dependencies: ['llm-gateway-request-state'] },
);
