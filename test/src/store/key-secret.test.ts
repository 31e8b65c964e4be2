import { createHash } from 'node:crypto';
import { expect, it } from 'vitest';
import { createKeySecret, hashKeySecret } from '../../../src/store/key-secret.js';

it('makes key secrets shown once: 256 random bits, kept as their SHA-256 and a short prefix', () => {
  const secret = createKeySecret();
  expect(secret.key).toMatch(/^gwk_[A-Za-z0-9_-]{43}$/);
  expect(secret.hash).toBe(createHash('sha256').update(secret.key).digest('hex'));
  expect(hashKeySecret(secret.key)).toBe(secret.hash);
  expect(secret.prefix).toBe(secret.key.slice(0, 8));
  expect(createKeySecret().key).not.toBe(secret.key);
});
