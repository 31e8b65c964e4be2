import { describe, expect, it } from 'vitest';
import { timeOrderedUuid } from '../../src/time-ordered-uuid.js';

const VERSION_7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('timeOrderedUuid', () => {
  it('is a UUID of version 7 and variant 10 whose first 48 bits are the time in milliseconds', () => {
    const at = Date.UTC(2026, 11, 3, 12, 0, 0, 123);
    const id = timeOrderedUuid(at);
    expect(id).toMatch(VERSION_7);
    expect(Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(at);
  });

  it('sorts ids of later milliseconds after earlier ones, as text', () => {
    const ids = [0, 1, 255, 256, 4096, 1_000_000, Date.now()].map((at) => timeOrderedUuid(at));
    expect([...ids].sort()).toEqual(ids);
  });

  it('differs between ids of the same millisecond', () => {
    const at = Date.now();
    const ids = new Set(Array.from({ length: 1000 }, () => timeOrderedUuid(at)));
    expect(ids.size).toBe(1000);
  });
});
