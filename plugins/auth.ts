/**
 * Authentication: every route whose config does not say `auth: false` needs a gateway key
 * (`Authorization: Bearer <key>` or `X-API-Key: <key>`). With no keys configured the gateway is in
 * protected mode, as Redis is: it answers clients on this machine only and tells others how to set
 * keys. The presented key is never logged or forwarded.
 */
import fp from 'fastify-plugin';
import { GatewayError } from '../src/errors.js';
import { KeyRing, isLoopbackAddress, presentedKey, type Identity } from '../src/identity.js';

export interface AuthPluginOptions {
  apiKeys: readonly string[];
}

const LOCAL_IDENTITY: Identity = Object.freeze({ id: 'local', kind: 'local' });

export const authPlugin = fp<AuthPluginOptions>(
  async (fastify, options) => {
    const keys = new KeyRing(options.apiKeys);
    const protectedMode = keys.size === 0;

    fastify.addHook('onRequest', async (request) => {
      if (request.routeOptions.config?.auth === false || request.is404) return;
      const key = presentedKey(request.headers);
      if (protectedMode) {
        // The socket's own address, not X-Forwarded-For: a header cannot make a remote client local.
        if (isLoopbackAddress(request.raw.socket.remoteAddress)) {
          request.gateway.identity = LOCAL_IDENTITY;
          return;
        }
        request.log.warn({ event: 'auth_failure', reason: 'protected_mode' }, 'security event');
        throw new GatewayError('GW_ERR_AUTH_PROTECTED_MODE');
      }
      if (key === undefined) {
        request.log.warn({ event: 'auth_failure', reason: 'missing_key' }, 'security event');
        throw new GatewayError('GW_ERR_AUTH_MISSING_KEY');
      }
      const identity = keys.identify(key);
      if (!identity) {
        request.log.warn({ event: 'auth_failure', reason: 'invalid_key' }, 'security event');
        throw new GatewayError('GW_ERR_AUTH_INVALID_KEY');
      }
      request.gateway.identity = identity;
    });
  },
  { name: 'llm-gateway-auth', fastify: '5.x', dependencies: ['llm-gateway-request-state'] },
);
