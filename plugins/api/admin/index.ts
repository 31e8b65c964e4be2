/**
 * The admin API under /admin/ (docs/admin.md): keys, teams and spend, for an admin key
 * (GATEWAY_ADMIN_KEYS) only. Keys and teams made here live in the store; keys from the
 * configuration are listed beside them, read-only (source `config`). The routes are TypeBox
 * validated like every route, in the OpenAPI document under the `admin` tag, and answer errors in
 * the OpenAI envelope (GW_ERR_ADMIN_*, docs/errors.md).
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { GatewayOptions } from '../../../schemas/options.js';
import { GatewayError } from '../../../src/errors.js';
import { KeyRing, identityIdOf, hashKey, isLoopbackAddress, presentedKey } from '../../../src/identity.js';
import { LOCAL_IDENTITY, buildKeyRing, proxyHeaderOf } from '../../auth.js';
import type { Store } from '../../../src/store/store.js';
import type { ConfigKey } from './convert-admin-records.js';
import { adminKeyRoutes } from './admin-keys.js';
import { adminTeamRoutes } from './admin-teams.js';
import { adminSpendRoutes } from './admin-spend.js';

export type AdminRouteOptions = Pick<GatewayOptions['auth'], 'adminKeys' | 'apiKeys' | 'clients' | 'mode'>;

/** What the admin routes share. */
export interface AdminContext {
  /** The store, or a 503 naming STORE_ENABLED when it is off. */
  requireStore(): Store;
  /** Keys the configuration declares, as they count under AUTH_MODE. */
  readonly configKeys: readonly ConfigKey[];
}

export const adminRoutes: FastifyPluginAsync<AdminRouteOptions> = async (fastify, options) => {
  const admins = new KeyRing(options.adminKeys);

  fastify.addHook('onRoute', (route) => {
    // The gateway's own key check is replaced by the admin key check below.
    route.config = { ...route.config, auth: false };
  });

  // Protected mode (no client or gateway key configured) answers the caller on this machine, which
  // calling directly (no proxy header) may use the admin API too, unless admin keys are set: the
  // newcomer's `npm start` lets the dashboard in from the same machine, as it lets chat in.
  const protectedMode = buildKeyRing(options).size === 0;

  fastify.addHook('onRequest', (request: FastifyRequest, _reply, done) => {
    if (admins.size === 0) {
      if (
        protectedMode &&
        isLoopbackAddress(request.raw.socket.remoteAddress) &&
        proxyHeaderOf(request.headers) === undefined
      ) {
        request.gateway.identity = LOCAL_IDENTITY;
        return done();
      }
      return done(
        new GatewayError('GW_ERR_AUTH_ADMIN_REQUIRED', {
          message: 'No admin key is configured: set GATEWAY_ADMIN_KEYS to use the admin API.',
        }),
      );
    }
    const key = presentedKey(request.headers);
    if (key === undefined || !admins.identify(key)) {
      request.log.warn({ event: 'auth_failure', reason: 'not_admin' }, 'security event');
      return done(new GatewayError('GW_ERR_AUTH_ADMIN_REQUIRED'));
    }
    done();
  });

  const mode = options.mode ?? 'hybrid';
  const configKeys: ConfigKey[] = [];
  if (mode !== 'client') {
    for (const key of options.apiKeys) configKeys.push({ id: identityIdOf(hashKey(key)), name: null });
  }
  if (mode !== 'gateway') {
    for (const client of options.clients ?? []) {
      configKeys.push({
        id: client.id,
        name: client.name,
        allowedModels: client.allowedModels,
        rateLimits: client.rateLimits,
        budget: client.budget,
        byok: client.byok,
      });
    }
  }

  const store = fastify.gatewayStore?.store ?? null;
  const context: AdminContext = {
    requireStore() {
      if (store === null) throw new GatewayError('GW_ERR_ADMIN_STORE_DISABLED');
      return store;
    },
    configKeys,
  };

  await fastify.register(adminKeyRoutes, { context });
  await fastify.register(adminTeamRoutes, { context });
  await fastify.register(adminSpendRoutes, { context });
};
