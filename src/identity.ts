/**
 * Who is calling: the identity a key resolves to. Keys are held as SHA-256 digests and compared in
 * constant time; an identity's id is derived from the digest, so it can be logged.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export interface Identity {
  /** Stable and safe to log: `key_<first 12 hex of the key's SHA-256>`, or `local` in protected mode. */
  readonly id: string;
  readonly kind: 'gateway' | 'local';
}

export function hashKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

export function identityIdOf(digest: Buffer): string {
  return `key_${digest.toString('hex', 0, 6)}`;
}

/** A set of keys that answers "which identity is this key" without keeping the plaintext. */
export class KeyRing {
  // Indexed by digest so a lookup does not depend on the number of keys; the final comparison is
  // constant-time so it does not leak how much of a digest matched.
  readonly #byDigest = new Map<string, { digest: Buffer; identity: Identity }>();

  constructor(keys: readonly string[], kind: Identity['kind'] = 'gateway') {
    for (const key of keys) {
      const digest = hashKey(key);
      this.#byDigest.set(digest.toString('hex'), { digest, identity: { id: identityIdOf(digest), kind } });
    }
  }

  get size(): number {
    return this.#byDigest.size;
  }

  identify(presented: string): Identity | undefined {
    const digest = hashKey(presented);
    const entry = this.#byDigest.get(digest.toString('hex'));
    if (!entry || !timingSafeEqual(entry.digest, digest)) return undefined;
    return entry.identity;
  }
}

/** The key a request presents: `Authorization: Bearer <key>` or `X-API-Key: <key>`. */
export function presentedKey(headers: Record<string, string | string[] | undefined>): string | undefined {
  const authorization = headers['authorization'];
  if (typeof authorization === 'string') {
    const space = authorization.indexOf(' ');
    if (space > 0 && authorization.slice(0, space).toLowerCase() === 'bearer') {
      const key = authorization.slice(space + 1).trim();
      if (key) return key;
    }
  }
  const apiKey = headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey.trim()) return apiKey.trim();
  return undefined;
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/;

export function isLoopbackAddress(address: string | undefined): boolean {
  return address !== undefined && LOOPBACK.test(address);
}
