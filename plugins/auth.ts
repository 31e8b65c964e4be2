/**
 * Authentication: every route whose config does not say `auth: false` needs a key
 * (`Authorization: Bearer <key>`, `X-API-Key: <key>` or `x-goog-api-key: <key>`; on routes whose
 * config says `apiKeyInQuery`, also `?key=<key>`), resolved to an identity (src/identity.ts).
 *
 * `auth.mode` says which keys count: `gateway` (GATEWAY_API_KEYS), `client` (the clients declared
 * in configuration, held as SHA-256 digests) or `hybrid` (both). With no key at all the gateway is
 * in protected mode, as Redis is: it answers clients on this machine only and tells others how to
 * set keys.
 *
 * Keys made at run time (the store, plugins/store.ts) count beside the configured ones in every
 * mode: a key the configuration does not know is looked up through the store's key cache, which
 * answers from memory for a key seen in the last seconds.
 *
 * A client allowed to bring its own key sends it in `x-provider-api-key`; it is used for that
 * request's upstream call only. Presented keys are never logged or forwarded: a failure is logged
 * as a security event with the key's id or the first 12 hex digits of its SHA-256.
 */
import fp from 'fastify-plugin';
import type { FastifyRequest } from 'fastify';
import type { GatewayOptions } from '../schemas/options.js';
import { GatewayError } from '../src/errors.js';
import { StoreUnavailableError } from '../src/store/store.js';
import {
  KeyRing,
  createIdentity,
  type Identity,
  hashKey,
  hashPrefixOf,
  isLoopbackAddress,
  presentedKey,
  queryKey,
} from '../src/identity.js';

export type AuthPluginOptions = Pick<GatewayOptions['auth'], 'apiKeys'> &
  Partial<Pick<GatewayOptions['auth'], 'mode' | 'clients'>>;

/** The header that carries a client's own provider key (bring-your-own-key). */
export const PROVIDER_KEY_HEADER = 'x-provider-api-key';

const LOCAL_IDENTITY = createIdentity({ id: 'local', kind: 'local' });

/** Builds the key ring `mode` calls for; contradictory settings fail at start, naming them. */
export function buildKeyRing(options: AuthPluginOptions): KeyRing {
  const mode = options.mode ?? 'hybrid';
  const clients = options.clients ?? [];
  if (mode === 'gateway' && clients.length > 0) {
    throw new Error(
      'Invalid configuration: auth.clients is set but AUTH_MODE (auth.mode) is gateway, which ignores it: ' +
        'set AUTH_MODE=client or hybrid, or remove the clients',
    );
  }
  if (mode === 'client' && options.apiKeys.length > 0) {
    throw new Error(
      'Invalid configuration: GATEWAY_API_KEYS (auth.apiKeys) is set but AUTH_MODE (auth.mode) is client, ' +
        'which ignores it: set AUTH_MODE=gateway or hybrid, or unset GATEWAY_API_KEYS',
    );
  }
  const ring = new KeyRing();
  if (mode !== 'client') for (const key of options.apiKeys) ring.addGatewayKey(key);
  if (mode !== 'gateway') for (const client of clients) ring.addClient(client);
  return ring;
}

export const authPlugin = fp<AuthPluginOptions>(
  async (fastify, options) => {
    const keys = buildKeyRing(options);

    const store = fastify.gatewayStore;
    const protectedMode = keys.size === 0;

    const accept = (request: FastifyRequest, identity: Identity): void => {
      request.gateway.identity = identity;
      const providerKey = request.headers[PROVIDER_KEY_HEADER];
      if (providerKey !== undefined) {
        if (!identity.byok) refuseProviderKey(providerKey, identity.id, request.log);
        else if (typeof providerKey === 'string' && providerKey.trim())
          request.gateway.providerApiKey = providerKey.trim();
      }
    };

    /** No configured key knows the caller: local on loopback in protected mode, else refused. */
    const fallBack = (request: FastifyRequest, digest: Buffer | null, reason: string): void => {
      if (protectedMode) {
        // The socket's own address, not X-Forwarded-For: a header cannot make a remote client local.
        if (isLoopbackAddress(request.raw.socket.remoteAddress)) {
          request.gateway.identity = LOCAL_IDENTITY;
          refuseProviderKey(request.headers[PROVIDER_KEY_HEADER], LOCAL_IDENTITY.id, request.log);
          return;
        }
        request.log.warn({ event: 'auth_failure', reason: 'protected_mode' }, 'security event');
        throw new GatewayError('GW_ERR_AUTH_PROTECTED_MODE');
      }
      if (digest === null) {
        request.log.warn({ event: 'auth_failure', reason: 'missing_key' }, 'security event');
        throw new GatewayError('GW_ERR_AUTH_MISSING_KEY');
      }
      request.log.warn(
        { event: 'auth_failure', reason, keyHashPrefix: hashPrefixOf(digest) },
        'security event',
      );
      throw new GatewayError('GW_ERR_AUTH_INVALID_KEY');
    };

    fastify.addHook('onRequest', (request, _reply, done) => {
      let digest: Buffer;
      try {
        if (request.routeOptions.config?.auth === false || request.is404) return done();
        const key =
          presentedKey(request.headers) ??
          (request.routeOptions.config.apiKeyInQuery === true ? queryKey(request.query) : undefined);
        if (key === undefined) {
          fallBack(request, null, 'missing_key');
          return done();
        }
        digest = hashKey(key);
        const identity = keys.identifyDigest(digest);
        if (identity) {
          accept(request, identity);
          return done();
        }
        if (store === null) {
          fallBack(request, digest, 'invalid_key');
          return done();
        }
      } catch (error) {
        return done(error as Error);
      }
      // A key the configuration does not know may be one made at run time: the key cache answers
      // from memory, reading the store only for a key not seen in the last few seconds.
      store.identify(digest.toString('hex')).then(
        (result) => {
          try {
            if (result.identity === null) {
              fallBack(request, digest, result.status === 'unknown' ? 'invalid_key' : `${result.status}_key`);
            } else accept(request, result.identity);
          } catch (error) {
            return done(error as Error);
          }
          done();
        },
        (error: unknown) => {
          // A key never seen while the store is down may well be valid: a 503, not a 401.
          done(
            error instanceof StoreUnavailableError
              ? new GatewayError('GW_ERR_STORE_UNAVAILABLE', { headers: { 'retry-after': '1' } })
              : (error as Error),
          );
        },
      );
    });
  },
  {
    name: 'llm-gateway-auth',
    fastify: '5.x',
    dependencies: ['llm-gateway-request-state', 'llm-gateway-store'],
  },
);

function refuseProviderKey(
  header: string | string[] | undefined,
  identityId: string,
  log: { warn(object: object, message: string): void },
): void {
  if (header === undefined) return;
  log.warn({ event: 'auth_failure', reason: 'byok_not_allowed', key: identityId }, 'security event');
  throw new GatewayError('GW_ERR_AUTH_BYOK_FORBIDDEN', { param: PROVIDER_KEY_HEADER });
}
