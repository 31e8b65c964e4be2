/**
 * Who is calling: the identity a key resolves to, with everything the gateway decides per caller
 * (rate limits, cache scope, allowed models, budget, bring-your-own-key). Keys are held as SHA-256
 * digests and compared in constant time; an identity's id is derived from the digest or set in
 * configuration, so it can be logged.
 */
import { hash, timingSafeEqual } from 'node:crypto';
import picomatch from 'picomatch';
import type { ClientKeyOptions } from '../schemas/options.js';
import type { RateLimitClass } from './route-config.js';

/**
 * `gateway`: GATEWAY_API_KEYS; `client`: a client declared in configuration; `store`: a client key
 * made at run time (the admin API), held in the store; `operator`: an admin or metrics key, which
 * reaches the operator's endpoints only; `local`: the caller on this machine in protected mode.
 */
export type IdentityKind = 'gateway' | 'client' | 'store' | 'operator' | 'local';

/** The classes with request limits; routes of class `default` are not limited. */
export type LimitedClass = Exclude<RateLimitClass, 'default'>;
export const RATE_LIMIT_CLASSES: readonly LimitedClass[] = [
  'chat',
  'embeddings',
  'audio',
  'moderations',
  'files',
  'images',
  'realtime',
];

export interface Budget {
  readonly limitUsd: number;
  readonly period: 'daily' | 'monthly';
}

export interface Identity {
  /**
   * Stable and safe to log: `key_<first 12 hex of the key's SHA-256>` for GATEWAY_API_KEYS, the
   * configured id for a client key, `local` in protected mode.
   */
  readonly id: string;
  readonly kind: IdentityKind;
  /** The client's name from configuration, or null. */
  readonly name: string | null;
  /** Unique across kinds: scopes rate-limit counters and cache entries (`<kind>:<id>`). */
  readonly scope: string;
  /**
   * What rate-limit counters (requests and tokens) are kept under: the scope, or the team's for a
   * key whose limits are its team's, so that the team's keys share them.
   */
  readonly limitScope: string;
  /** Rate-limit counter key per class, made once so a request builds no string. */
  readonly rateLimitKeys: Readonly<Record<LimitedClass, string>>;
  /** Whether a model name may be called; null when every model may. */
  readonly allowsModel: ((model: string) => boolean) | null;
  /** Per-class requests per minute replacing the gateway's defaults. */
  readonly requestsPerMinute: Readonly<Partial<Record<LimitedClass, number>>>;
  /** Tokens per minute replacing the gateway's default; undefined = the default. */
  readonly tokensPerMinute: number | undefined;
  readonly budget: Budget | null;
  /** Whether the caller may send its own provider key (x-provider-api-key). */
  readonly byok: boolean;
  /** The team of a store key, or null. */
  readonly teamId: string | null;
  /** The team's budget, shared by its keys, on top of the key's own. */
  readonly teamBudget: Budget | null;
}

export function hashKey(key: string): Buffer {
  return hash('sha256', key, 'buffer');
}

export function identityIdOf(digest: Buffer): string {
  return `key_${digest.toString('hex', 0, 6)}`;
}

/** The first 12 hex digits of a key's digest: enough to correlate log lines, useless to an attacker. */
export function hashPrefixOf(digest: Buffer): string {
  return digest.toString('hex', 0, 6);
}

/** `sha256:<hex>`, the form configuration holds a client key in. */
export function formatKeyHash(key: string): string {
  return `sha256:${hashKey(key).toString('hex')}`;
}

/** Compiles model globs once: `*` matches any run of characters, slashes included. */
export function compileModelPatterns(patterns: readonly string[]): (model: string) => boolean {
  return picomatch([...patterns], { bash: true, dot: true });
}

interface IdentityInput {
  id: string;
  kind: IdentityKind;
  name?: string | null;
  allowedModels?: readonly string[] | undefined;
  rateLimits?: ClientKeyOptions['rateLimits'];
  budget?: Budget | undefined;
  byok?: boolean | undefined;
  /** A second allow-list (a team's): a model must be allowed by both. */
  teamAllowedModels?: readonly string[] | undefined;
  teamId?: string | null;
  teamBudget?: Budget | undefined;
  /** Rate-limit counters shared with others (a team's); the identity's own scope when absent. */
  limitScope?: string;
}

export function createIdentity(input: IdentityInput): Identity {
  const scope = input.kind === 'local' ? 'local' : `${input.kind}:${input.id}`;
  const limitScope = input.limitScope ?? scope;
  const rateLimitKeys = Object.fromEntries(
    RATE_LIMIT_CLASSES.map((name) => [name, `${limitScope}:${name}`]),
  ) as Record<LimitedClass, string>;
  const requestsPerMinute: Partial<Record<LimitedClass, number>> = {};
  for (const name of RATE_LIMIT_CLASSES) {
    const value = input.rateLimits?.[name];
    if (value !== undefined) requestsPerMinute[name] = value;
  }
  return Object.freeze({
    id: input.id,
    kind: input.kind,
    name: input.name ?? null,
    scope,
    limitScope,
    rateLimitKeys: Object.freeze(rateLimitKeys),
    allowsModel: allowsBoth(input.allowedModels, input.teamAllowedModels),
    requestsPerMinute: Object.freeze(requestsPerMinute),
    tokensPerMinute: input.rateLimits?.tokensPerMinute,
    budget: input.budget ? Object.freeze({ ...input.budget }) : null,
    byok: input.byok === true,
    teamId: input.teamId ?? null,
    teamBudget: input.teamBudget ? Object.freeze({ ...input.teamBudget }) : null,
  });
}

function allowsBoth(
  own: readonly string[] | undefined,
  team: readonly string[] | undefined,
): ((model: string) => boolean) | null {
  const allowsOwn = own ? compileModelPatterns(own) : null;
  const allowsTeam = team ? compileModelPatterns(team) : null;
  if (allowsOwn && allowsTeam) return (model) => allowsOwn(model) && allowsTeam(model);
  return allowsOwn ?? allowsTeam;
}

export class KeyRingError extends Error {
  override name = 'KeyRingError';
}

/** A set of keys that answers "which identity is this key" without keeping the plaintext. */
export class KeyRing {
  // Indexed by digest so a lookup does not depend on the number of keys; the final comparison is
  // constant-time so it does not leak how much of a digest matched.
  readonly #byDigest = new Map<string, { digest: Buffer; identity: Identity }>();
  readonly #clientIds = new Set<string>();

  constructor(keys: readonly string[] = []) {
    for (const key of keys) this.addGatewayKey(key);
  }

  get size(): number {
    return this.#byDigest.size;
  }

  /** A key from GATEWAY_API_KEYS: its own identity, named after its digest. */
  addGatewayKey(key: string): Identity {
    const digest = hashKey(key);
    return this.#add(
      digest,
      createIdentity({ id: identityIdOf(digest), kind: 'gateway' }),
      'GATEWAY_API_KEYS',
    );
  }

  /** An admin or metrics key (GATEWAY_ADMIN_KEYS, METRICS_API_KEYS): the operator's tools. */
  addOperatorKey(key: string): Identity {
    const digest = hashKey(key);
    return this.#add(
      digest,
      createIdentity({ id: identityIdOf(digest), kind: 'operator' }),
      'GATEWAY_ADMIN_KEYS or METRICS_API_KEYS',
    );
  }

  /** A client declared in configuration, known by the SHA-256 of its key only. */
  addClient(client: ClientKeyOptions): Identity {
    const digest = Buffer.from(client.keyHash.slice('sha256:'.length), 'hex');
    if (this.#clientIds.has(client.id)) {
      throw new KeyRingError(`Invalid configuration: auth.clients: the id ${client.id} is used twice`);
    }
    this.#clientIds.add(client.id);
    const identity = createIdentity({
      id: client.id,
      kind: 'client',
      name: client.name,
      allowedModels: client.allowedModels,
      rateLimits: client.rateLimits,
      budget: client.budget,
      byok: client.byok,
    });
    return this.#add(digest, identity, `auth.clients (${client.id})`);
  }

  #add(digest: Buffer, identity: Identity, where: string): Identity {
    const hex = digest.toString('hex');
    if (this.#byDigest.has(hex)) {
      throw new KeyRingError(`Invalid configuration: ${where}: the same key is configured twice`);
    }
    this.#byDigest.set(hex, { digest, identity });
    return identity;
  }

  identify(presented: string): Identity | undefined {
    return this.identifyDigest(hashKey(presented));
  }

  /** The identity of a key whose SHA-256 is `digest`. */
  identifyDigest(digest: Buffer): Identity | undefined {
    const entry = this.#byDigest.get(digest.toString('hex'));
    if (!entry || !timingSafeEqual(entry.digest, digest)) return undefined;
    return entry.identity;
  }
}

/**
 * The key a request presents: `Authorization: Bearer <key>`, `X-API-Key: <key>`, or
 * `x-goog-api-key: <key>` (the header Google's SDKs send, so their clients need no other change).
 */
export function presentedKey(headers: Record<string, string | string[] | undefined>): string | undefined {
  const authorization = headers['authorization'];
  if (typeof authorization === 'string') {
    const space = authorization.indexOf(' ');
    if (space > 0 && authorization.slice(0, space).toLowerCase() === 'bearer') {
      const key = authorization.slice(space + 1).trim();
      if (key) return key;
    }
  }
  const apiKey = headers['x-api-key'] ?? headers['x-goog-api-key'];
  if (typeof apiKey === 'string' && apiKey.trim()) return apiKey.trim();
  return undefined;
}

/**
 * The key of a route that also takes it in the URL (`?key=<key>`, as Google's APIs do). Never logged:
 * the access log and the metrics name the route template, and request lines drop the query string.
 */
export function queryKey(query: unknown): string | undefined {
  const value = (query as Record<string, unknown> | null | undefined)?.['key'];
  const key = Array.isArray(value) ? value[0] : value;
  return typeof key === 'string' && key.trim() ? key.trim() : undefined;
}

/** The WebSocket subprotocol prefix that carries a key from a browser (OpenAI's realtime API takes it). */
export const SUBPROTOCOL_KEY_PREFIX = 'openai-insecure-api-key.';

/**
 * The key of a WebSocket route that also takes it as a subprotocol (`Sec-WebSocket-Protocol:
 * realtime, openai-insecure-api-key.<key>`), as browsers must send it. Never logged: the header is
 * redacted (src/logger.ts) and never chosen as the answered subprotocol.
 */
export function subprotocolKey(headers: Record<string, string | string[] | undefined>): string | undefined {
  const header = headers['sec-websocket-protocol'];
  if (typeof header !== 'string') return undefined;
  for (const protocol of header.split(',')) {
    const trimmed = protocol.trim();
    if (trimmed.startsWith(SUBPROTOCOL_KEY_PREFIX)) {
      const key = trimmed.slice(SUBPROTOCOL_KEY_PREFIX.length);
      if (key) return key;
    }
  }
  return undefined;
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/;

export function isLoopbackAddress(address: string | undefined): boolean {
  return address !== undefined && LOOPBACK.test(address);
}
