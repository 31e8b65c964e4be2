/**
 * Usage, cost and budgets. Every model call's usage (as the provider reported it, or counted from
 * the stream) is accounted to the calling key and the model that answered, priced at the catalog's
 * rates, per UTC day; in Redis when replicas share state, in memory otherwise.
 *
 * A client key with a budget is refused with 429 `budget_exceeded` once its spending for the period
 * reaches the limit, and its answers carry `x-gateway-budget-warning` once they pass the configured
 * share. The figures are read by the usage endpoints (plugins/api/usage.ts).
 *
 * With Redis, records written while it is unreachable are held in memory and written when it is
 * back (src/usage/buffered-usage-store.ts); days and periods past keeping are pruned every few hours.
 */
import fp from 'fastify-plugin';
import type { FastifyReply } from 'fastify';
import { costOf, pricingOf } from '../src/catalog.js';
import { GatewayError } from '../src/errors.js';
import type { Budget, Identity } from '../src/identity.js';
import { readBudget } from '../src/usage/budgets.js';
import { BufferedUsageStore, type UsageBufferFigures } from '../src/usage/buffered-usage-store.js';
import { RedisUsageStore } from '../src/usage/redis-usage-store.js';
import { MemoryUsageStore, periodEnd, type UsageStore } from '../src/usage/usage-store.js';

export interface UsagePluginOptions {
  budgetWarningShare: number;
  retentionDays: number;
  maxHeldRecords: number;
}

/** How often old days of usage are pruned from Redis. */
const PRUNE_INTERVAL_MS = 6 * 3_600_000;

declare module 'fastify' {
  interface FastifyInstance {
    gatewayUsage: UsageStore;
    /** Records held while Redis is unreachable, and dropped (zeros without Redis). */
    gatewayUsageBuffer(): UsageBufferFigures;
  }
}

export const usagePlugin = fp<UsagePluginOptions>(
  async (fastify, options) => {
    const redis = fastify.gatewayRedis;
    const buffered = redis
      ? new BufferedUsageStore(new RedisUsageStore(redis.client, options.retentionDays), redis, fastify.log, {
          maxRecords: options.maxHeldRecords,
        })
      : null;
    const store: UsageStore = buffered ?? new MemoryUsageStore(options.retentionDays);
    fastify.decorate('gatewayUsage', store);
    fastify.decorate('gatewayUsageBuffer', () => buffered?.figures() ?? { held: 0, dropped: 0 });
    if (buffered) {
      const prune = () =>
        buffered
          .prune(new Date())
          .catch((error: unknown) => fastify.log.warn({ err: error }, 'usage not pruned'));
      const pruning = setInterval(prune, PRUNE_INTERVAL_MS).unref();
      fastify.addHook('onReady', async () => void prune());
      fastify.addHook('onClose', async () => {
        clearInterval(pruning);
        await buffered.close();
      });
    }

    const ledger = fastify.gatewayStore?.budgets ?? null;

    /**
     * Spent in the period: a store key's or team's from the store's figures (they survive restarts
     * and are shared by replicas), any other key's from the usage store. Null when unknown.
     */
    async function spentBy(
      identity: Identity,
      owner: 'key' | 'team',
      budget: Budget,
      now: Date,
    ): Promise<number | null> {
      if (identity.kind === 'store' && ledger) {
        return ledger.spent(
          owner === 'team' ? { teamId: identity.teamId! } : { keyId: identity.id },
          budget.period,
          now,
        );
      }
      return (await readBudget(store, identity, now))?.spent ?? null;
    }

    async function checkBudget(
      identity: Identity,
      owner: 'key' | 'team',
      budget: Budget,
      reply: FastifyReply,
    ): Promise<void> {
      const now = new Date();
      const spent = await spentBy(identity, owner, budget, now);
      if (spent === null) return;
      const whose = owner === 'team' ? `team ${identity.teamId}` : 'key';
      if (spent >= budget.limitUsd) {
        const resetsAt = periodEnd(budget.period, now);
        throw new GatewayError('GW_ERR_BUDGET_EXCEEDED', {
          message:
            `The ${budget.period} budget of this ${whose} ($${budget.limitUsd.toFixed(2)}) is spent ($${spent.toFixed(4)}); ` +
            `it renews at ${resetsAt.toISOString()}.`,
          details: {
            budget_usd: budget.limitUsd,
            spent_usd: spent,
            period: budget.period,
            resets_at: resetsAt.toISOString(),
            ...(owner === 'team' ? { team_id: identity.teamId } : {}),
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

    async function checkBudgets(identity: Identity, reply: FastifyReply): Promise<void> {
      if (identity.budget) await checkBudget(identity, 'key', identity.budget, reply);
      if (identity.teamBudget) await checkBudget(identity, 'team', identity.teamBudget, reply);
    }

    // Only a key with a budget waits on the store; every other request passes at once.
    fastify.addHook('onRequest', (request, reply, done) => {
      const identity = request.gateway?.identity;
      const config = request.routeOptions.config;
      if (
        !(identity?.budget || identity?.teamBudget) ||
        (config?.budgeted ?? config?.concurrencyLimited) !== true
      )
        return done();
      checkBudgets(identity, reply).then(() => done(), done);
    });

    fastify.gatewayOnRequestEnd((request) => {
      const state = request.gateway;
      if (!state.usage || !state.identity) return;
      const model = state.deployment?.model?.id ?? state.answeredModel ?? state.model ?? 'unknown';
      store
        .record({
          identity: state.identity.id,
          model,
          usage: state.usage,
          costUsd: costOf(pricingOf(state.deployment), state.usage),
          at: new Date(),
        })
        .catch((error: unknown) => request.log.warn({ err: error }, 'usage not recorded'));
    });
  },
  { name: 'llm-gateway-usage', fastify: '5.x', dependencies: ['llm-gateway-request-state'] },
);
