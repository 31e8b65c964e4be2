/**
 * Making and rotating store keys, shared by the admin API (plugins/api/admin/) and
 * `npm run keys` (scripts/keys.ts): a new secret is minted here, its SHA-256 and prefix go to the
 * store, and the secret is handed back once, to be shown once.
 */
import { createKeySecret } from './key-secret.js';
import type { NewKey, Store, StoredKey } from './store.js';

/** How long a rotated-out secret keeps working when the caller does not say. */
export const DEFAULT_ROTATION_GRACE_SECONDS = 3600;

export interface KeyWithSecret {
  key: StoredKey;
  /** The secret, for the client; not kept anywhere. */
  secret: string;
}

export async function createStoreKey(
  store: Pick<Store, 'createKey'>,
  input: Omit<NewKey, 'hash' | 'prefix'>,
): Promise<KeyWithSecret> {
  const secret = createKeySecret();
  const key = await store.createKey({ ...input, hash: secret.hash, prefix: secret.prefix });
  return { key, secret: secret.key };
}

/** A new secret for the key; the old one keeps working for `graceSeconds` (0: not at all). */
export async function rotateStoreKey(
  store: Pick<Store, 'rotateKey'>,
  id: string,
  graceSeconds: number,
  now: Date,
): Promise<KeyWithSecret> {
  const secret = createKeySecret();
  const key = await store.rotateKey(id, {
    hash: secret.hash,
    prefix: secret.prefix,
    previousValidUntil: graceSeconds > 0 ? new Date(now.getTime() + graceSeconds * 1000) : null,
  });
  return { key, secret: secret.key };
}
