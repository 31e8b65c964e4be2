/**
 * The usage endpoints: `GET /v1/usage` gives the calling key its own figures and budget;
 * `GET /v1/usage/keys` gives every key's, to an admin key (GATEWAY_ADMIN_KEYS).
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { commonErrorResponses } from '../../schemas/common.js';
import { GatewayError } from '../../src/errors.js';
import { KeyRing, presentedKey } from '../../src/identity.js';
import { readBudget } from '../../src/usage/budgets.js';
import { RangeQuery, rangeOf, summarize } from '../../src/usage/usage-report.js';
import { periodEnd } from '../../src/usage/usage-store.js';

export interface UsageRouteOptions {
  adminKeys: readonly string[];
}

export const usageRoutes: FastifyPluginAsync<UsageRouteOptions> = async (instance, options) => {
  const fastify = instance.withTypeProvider<TypeBoxTypeProvider>();
  const admins = new KeyRing(options.adminKeys);

  fastify.get(
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
        ...summarize(await fastify.gatewayUsage.days(identity.id, range.from, range.to)),
      };
      if (identity.budget) {
        const state = await readBudget(fastify.gatewayUsage, identity, now);
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

  fastify.get(
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
      const identities = await fastify.gatewayUsage.identities(range.from, range.to);
      const keys: Record<string, unknown> = {};
      for (const identity of identities)
        keys[identity] = summarize(await fastify.gatewayUsage.days(identity, range.from, range.to));
      return { object: 'usage.keys', ...range, keys };
    },
  );
};
