/**
 * Authentication: every route whose config does not say `auth: false` needs a key
 * (`Authorization: Bearer <key>`, `X-API-Key: <key>` or `x-goog-api-key: <key>`; on routes whose
 * config says `apiKeyInQuery`, also `?key=<key>`; on those that say `apiKeyInSubprotocol`, also the
 * WebSocket subprotocol `openai-insecure-api-key.<key>`), resolved to an identity (src/identity.ts).
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
import { LogSampler } from '../src/log-sampler.js';
import {
  createRequestCounterStore,
  type RedisFailurePolicy,
} from '../src/rate-limit/request-counter-store.js';
import { StoreUnavailableError } from '../src/store/store.js';
import {
  KeyRing,
  type IdentityKind,
  createIdentity,
  type Identity,
  hashKey,
  hashPrefixOf,
  isLoopbackAddress,
  presentedKey,
  queryKey,
  subprotocolKey,
} from '../src/identity.js';

export type AuthPluginOptions = Pick<GatewayOptions['auth'], 'apiKeys'> &
  Partial<Pick<GatewayOptions['auth'], 'mode' | 'clients' | 'adminKeys' | 'metricsKeys'>> & {
    /** How many requests without a valid key a client address may make per minute; null: no bound. */
    unauthenticatedLimit?: { perMinute: number; onRedisError: RedisFailurePolicy } | null;
  };

/** The header that carries a client's own provider key (bring-your-own-key). */
export const PROVIDER_KEY_HEADER = 'x-provider-api-key';

export const LOCAL_IDENTITY = createIdentity({ id: 'local', kind: 'local' });

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

/** Identities that are the operator's: GATEWAY_API_KEYS, admin and metrics keys, and the local caller. */
const OPERATOR_KINDS: ReadonlySet<IdentityKind> = new Set(['gateway', 'operator', 'local']);

/**
 * Headers a reverse proxy, a load balancer or a service-mesh sidecar adds. A client on this machine
 * that calls the gateway directly does not send them, so in protected mode they mean that the
 * loopback peer is a proxy relaying someone else.
 */
export function proxyHeaderOf(headers: Record<string, unknown>): string | undefined {
  for (const name of Object.keys(headers)) {
    if (
      name === 'forwarded' ||
      name === 'x-real-ip' ||
      name.startsWith('x-forwarded-') ||
      name.startsWith('x-envoy-')
    ) {
      return name;
    }
  }
  return undefined;
}

/** A request the gateway does not know the caller of: why, and the answer it gets. */
interface Refusal {
  /** Why, as the security log line says: `revoked_key`, `expired_key`, ... for a key of the store. */
  reason: 'missing_key' | 'invalid_key' | 'protected_mode' | 'proxied_in_protected_mode' | `${string}_key`;
  error: GatewayError;
  keyHashPrefix?: string;
}

/** The minute over which requests without a valid key are counted and their log lines sampled. */
const UNAUTHENTICATED_WINDOW_MS = 60_000;

export const authPlugin = fp<AuthPluginOptions>(
  async (fastify, options) => {
    const keys = buildKeyRing(options);

    const store = fastify.gatewayStore;
    const protectedMode = keys.size === 0;
    const operators = buildOperatorRing(options);
    const sampler = new LogSampler({ windowMs: UNAUTHENTICATED_WINDOW_MS, maxKeys: 10_000 });
    const limit = options.unauthenticatedLimit ?? null;
    const counters = limit
      ? new (createRequestCounterStore(fastify.gatewayRedis, limit.onRedisError))()
      : null;

    /** A known caller: its identity, an operator route checked, its own provider key taken. */
    function accept(request: FastifyRequest, identity: Identity): void {
      const state = request.gateway;
      state.identity = identity;
      if (request.routeOptions.config.operatorOnly === true && !OPERATOR_KINDS.has(identity.kind)) {
        request.log.warn(
          { event: 'auth_failure', reason: 'not_operator', key: identity.id },
          'security event',
        );
        throw new GatewayError('GW_ERR_AUTH_OPERATOR_REQUIRED');
      }
      const providerKey = request.headers[PROVIDER_KEY_HEADER];
      if (providerKey !== undefined) {
        if (!identity.byok) refuseProviderKey(providerKey, identity.id, request.log);
        else if (typeof providerKey === 'string' && providerKey.trim())
          state.providerApiKey = providerKey.trim();
      }
    }

    /**
     * Who is calling; a refusal when the caller is not known, `lookup` when only the store can say
     * (a key made at run time), a thrown error when known but not allowed.
     */
    function authenticate(request: FastifyRequest): Refusal | { lookup: Buffer } | undefined {
      const state = request.gateway;
      const config = request.routeOptions.config;
      const key =
        presentedKey(request.headers) ??
        (config.apiKeyInQuery === true ? queryKey(request.query) : undefined) ??
        (config.apiKeyInSubprotocol === true ? subprotocolKey(request.headers) : undefined);
      const digest = key === undefined ? undefined : hashKey(key);
      if (config.operatorOnly === true && digest) {
        const operator = operators.identifyDigest(digest);
        if (operator) {
          state.identity = operator;
          return undefined;
        }
      }
      if (protectedMode) {
        // The socket's own address, not X-Forwarded-For: a header cannot make a remote client local.
        if (!isLoopbackAddress(request.raw.socket.remoteAddress)) {
          return { reason: 'protected_mode', error: new GatewayError('GW_ERR_AUTH_PROTECTED_MODE') };
        }
        const proxyHeader = proxyHeaderOf(request.headers);
        if (proxyHeader !== undefined) {
          return {
            reason: 'proxied_in_protected_mode',
            error: new GatewayError('GW_ERR_AUTH_PROTECTED_MODE_PROXIED', {
              message:
                `The gateway is in protected mode and this request came through a proxy (it carries ` +
                `${proxyHeader}): protected mode answers only clients on this machine that call it directly. ` +
                "Start the gateway with GATEWAY_API_KEYS=<key>[,<key>...] and send 'Authorization: Bearer <key>'.",
            }),
          };
        }
        state.identity = LOCAL_IDENTITY;
        refuseProviderKey(request.headers[PROVIDER_KEY_HEADER], LOCAL_IDENTITY.id, request.log);
        return undefined;
      }
      if (digest === undefined) {
        return { reason: 'missing_key', error: new GatewayError('GW_ERR_AUTH_MISSING_KEY') };
      }
      const identity = keys.identifyDigest(digest);
      if (!identity) {
        if (store !== null) return { lookup: digest };
        return invalidKey(digest, 'invalid_key');
      }
      accept(request, identity);
      return undefined;
    }

    function invalidKey(digest: Buffer, reason: Refusal['reason']): Refusal {
      return {
        reason,
        error: new GatewayError('GW_ERR_AUTH_INVALID_KEY'),
        keyHashPrefix: hashPrefixOf(digest),
      };
    }

    /**
     * A request without a valid key: its warning line sampled per client address and reason (the
     * first a minute, with how many were left out), and, past the limit per address and minute, a
     * 429 instead of the 401 (an answer that costs no key lookup and no log line).
     */
    function refuse(request: FastifyRequest, refusal: Refusal, done: (error: Error) => void): void {
      const address = request.ip;
      const suppressed = sampler.take(`${address} ${refusal.reason}`);
      if (suppressed !== undefined) {
        const line: Record<string, unknown> = { event: 'auth_failure', reason: refusal.reason, address };
        if (refusal.keyHashPrefix) line['keyHashPrefix'] = refusal.keyHashPrefix;
        if (suppressed > 0) line['suppressed'] = suppressed;
        request.log.warn(line, 'security event');
      }
      if (!counters || !limit) return done(refusal.error);
      counters.incr(
        `unauthenticated:${address}`,
        (error, result) => {
          // A counter that cannot be read refuses the request as it would have anyway.
          if (error || !result || result.current <= limit.perMinute) return done(refusal.error);
          const retryAfter = Math.max(1, Math.ceil(result.ttl / 1000));
          done(
            new GatewayError('GW_ERR_AUTH_TOO_MANY_ATTEMPTS', {
              message:
                `Too many requests without a valid API key from this address (${limit.perMinute} a minute ` +
                `are answered). Retry in ${retryAfter} seconds with a valid key.`,
              headers: { 'retry-after': String(retryAfter) },
            }),
          );
        },
        UNAUTHENTICATED_WINDOW_MS,
        limit.perMinute,
      );
    }

    fastify.addHook('onRequest', (request, _reply, done) => {
      if (request.routeOptions.config?.auth === false || request.is404) return done();
      let outcome: Refusal | { lookup: Buffer } | undefined;
      try {
        outcome = authenticate(request);
      } catch (error) {
        return done(error as Error);
      }
      if (outcome === undefined) return done();
      if (!('lookup' in outcome)) return refuse(request, outcome, done);
      const digest = outcome.lookup;
      // A key the configuration does not know may be one made at run time: the key cache answers
      // from memory, reading the store only for a key not seen in the last few seconds.
      store!.identify(digest.toString('hex')).then(
        (result) => {
          if (result.identity === null) {
            const reason: Refusal['reason'] =
              result.status === 'unknown' ? 'invalid_key' : `${result.status}_key`;
            return refuse(request, invalidKey(digest, reason), done);
          }
          try {
            accept(request, result.identity);
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
    dependencies: ['llm-gateway-request-state', 'llm-gateway-redis', 'llm-gateway-store'],
  },
);

/** Keys of the operator's tools: admin keys and metrics keys, each its own `operator` identity. */
export function buildOperatorRing(options: Pick<AuthPluginOptions, 'adminKeys' | 'metricsKeys'>): KeyRing {
  const ring = new KeyRing();
  for (const key of new Set([...(options.adminKeys ?? []), ...(options.metricsKeys ?? [])])) {
    ring.addOperatorKey(key);
  }
  return ring;
}

function refuseProviderKey(
  header: string | string[] | undefined,
  identityId: string,
  log: { warn(object: object, message: string): void },
): void {
  if (header === undefined) return;
  log.warn({ event: 'auth_failure', reason: 'byok_not_allowed', key: identityId }, 'security event');
  throw new GatewayError('GW_ERR_AUTH_BYOK_FORBIDDEN', { param: PROVIDER_KEY_HEADER });
}
