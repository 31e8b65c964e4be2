import { describe, expect, it } from 'vitest';
import { LogSampler } from '../../src/log-sampler.js';

function samplerAt(start: number) {
  const clock = { now: start };
  const sampler = new LogSampler({ windowMs: 60_000, maxKeys: 3, now: () => clock.now });
  return { sampler, clock };
}

describe('LogSampler', () => {
  it('writes the first line of a key per window, then how many were left out', () => {
    const { sampler, clock } = samplerAt(0);
    expect(sampler.take('10.0.0.1 invalid_key')).toBe(0);
    for (let index = 0; index < 5; index++) expect(sampler.take('10.0.0.1 invalid_key')).toBeUndefined();
    // Another key has its own line.
    expect(sampler.take('10.0.0.2 invalid_key')).toBe(0);
    clock.now = 60_000;
    expect(sampler.take('10.0.0.1 invalid_key')).toBe(5);
    expect(sampler.take('10.0.0.1 invalid_key')).toBeUndefined();
    clock.now = 120_000;
    expect(sampler.take('10.0.0.1 invalid_key')).toBe(1);
  });

  it('remembers a bounded number of keys, forgetting the least recently written', () => {
    const { sampler } = samplerAt(0);
    for (const key of ['a', 'b', 'c']) expect(sampler.take(key)).toBe(0);
    expect(sampler.take('a')).toBeUndefined();
    expect(sampler.take('d')).toBe(0);
    // 'a' was the oldest written: forgotten, so it is written again at once.
    expect(sampler.take('a')).toBe(0);
    expect(sampler.take('c')).toBeUndefined();
  });
});
