import { describe, expect, it } from 'vitest';
import { randomHex } from '../../src/random-hex.js';

describe('randomHex', () => {
  it('gives the asked number of bytes as lowercase hex, never the same twice across pool refills', () => {
    const seen = new Set<string>();
    // 2,000 ids of 24 bytes are 48,000 bytes: the 6 KB pool is refilled several times over.
    for (let index = 0; index < 2000; index++) {
      const hex = randomHex(24);
      expect(hex).toMatch(/^[0-9a-f]{48}$/);
      seen.add(hex);
    }
    expect(seen.size).toBe(2000);
    expect(randomHex(1)).toMatch(/^[0-9a-f]{2}$/);
  });

  it('refuses more bytes than its pool holds', () => {
    expect(() => randomHex(10_000)).toThrow(RangeError);
  });
});
