/**
 * Provider keys encrypted at rest: a configuration value `enc:v1:<base64url>` is AES-256-GCM
 * ciphertext (12-byte IV, 16-byte tag, then the ciphertext) under a 32-byte master key that only
 * the environment holds (GATEWAY_MASTER_KEY). GCM authenticates, so a wrong master key is detected
 * instead of yielding garbage. `npm run keys -- encrypt` makes such values.
 * @see https://nodejs.org/api/crypto.html#class-cipheriv
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export const ENCRYPTED_PREFIX = 'enc:';
const VERSION_PREFIX = 'enc:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

export class SecretError extends Error {
  override name = 'SecretError';
}

export function isEncryptedSecret(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(ENCRYPTED_PREFIX);
}

/** A master key written as 64 hex digits or as base64 of 32 bytes. */
export function parseMasterKey(text: string): Buffer {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  const bytes = Buffer.from(trimmed, 'base64');
  if (bytes.length === KEY_BYTES && /^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) return bytes;
  throw new SecretError(
    'The master key must be 32 bytes written as 64 hex digits or as base64 ' +
      '(npm run keys -- master-key prints a new one)',
  );
}

export function generateMasterKey(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}

export function encryptSecret(plaintext: string, masterKey: Buffer): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', masterKey, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return VERSION_PREFIX + Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64url');
}

export function decryptSecret(value: string, masterKey: Buffer): string {
  if (!value.startsWith(VERSION_PREFIX)) {
    throw new SecretError(`unknown encrypted value format (expected ${VERSION_PREFIX}...)`);
  }
  const packed = Buffer.from(value.slice(VERSION_PREFIX.length), 'base64url');
  if (packed.length < IV_BYTES + TAG_BYTES) throw new SecretError('the encrypted value is truncated');
  const decipher = createDecipheriv('aes-256-gcm', masterKey, packed.subarray(0, IV_BYTES));
  decipher.setAuthTag(packed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(packed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    throw new SecretError('it does not decrypt with this master key (wrong key, or the value was altered)');
  }
}
