/**
 * A client key's secret, made once and shown once: `gwk_` and 32 random bytes (256 bits,
 * URL-safe, recognisable in a leak scanner). The store keeps its SHA-256 and a short prefix to
 * recognise it in a list, never the secret.
 */
import { randomBytes } from 'node:crypto';
import { hashKey } from '../identity.js';

export interface KeySecret {
  /** The secret, for the client; not kept anywhere. */
  key: string;
  /** SHA-256 of the secret, 64 lower-case hex digits: what the store keeps. */
  hash: string;
  /** The secret's first characters, for lists. */
  prefix: string;
}

/** Characters of a key shown in lists: `gwk_` and 4 of its 43 random characters (24 of 256 bits). */
const PREFIX_LENGTH = 8;

export function hashKeySecret(key: string): string {
  return hashKey(key).toString('hex');
}

export function prefixOfKeySecret(key: string): string {
  return key.slice(0, PREFIX_LENGTH);
}

export function createKeySecret(): KeySecret {
  const key = `gwk_${randomBytes(32).toString('base64url')}`;
  return { key, hash: hashKeySecret(key), prefix: prefixOfKeySecret(key) };
}
