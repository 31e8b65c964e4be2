import { describe, expect, it } from 'vitest';
import { hashedEmbedding, HASHED_DIMENSIONS } from '../../bench/hashed-embedding.js';
import { rateThresholds, readPairs, type LabelledPair } from '../../bench/measure-semantic.js';

describe('the semantic benchmark', () => {
  it('ships at least 200 labelled pairs, both labels, near misses among the different ones, no pair twice', () => {
    const pairs = readPairs();
    expect(pairs.length).toBeGreaterThanOrEqual(200);
    for (const pair of pairs) {
      expect(typeof pair.a === 'string' && typeof pair.b === 'string' && pair.a !== pair.b).toBe(true);
      expect(pair.same).toBe(pair.kind === 'paraphrase');
    }
    expect(pairs.filter((pair) => pair.same).length).toBeGreaterThanOrEqual(100);
    expect(pairs.filter((pair) => pair.kind === 'near-miss').length).toBeGreaterThanOrEqual(80);
    const keys = pairs.map((pair) => [pair.a, pair.b].sort().join('\n'));
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('rates hits among same-meaning pairs and wrong hits among the others, per threshold', () => {
    const pairs: LabelledPair[] = [
      { a: 'a', b: 'b', same: true, kind: 'paraphrase' },
      { a: 'c', b: 'd', same: true, kind: 'paraphrase' },
      { a: 'e', b: 'f', same: false, kind: 'near-miss' },
      { a: 'g', b: 'h', same: false, kind: 'unrelated' },
    ];
    expect(rateThresholds(pairs, [0.95, 0.85, 0.9, 0.2], [0.8, 0.9, 0.96])).toEqual([
      { threshold: 0.8, hitRate: 1, wrongHitRate: 0.5, nearMissWrongHitRate: 1 },
      { threshold: 0.9, hitRate: 0.5, wrongHitRate: 0.5, nearMissWrongHitRate: 1 },
      { threshold: 0.96, hitRate: 0, wrongHitRate: 0, nearMissWrongHitRate: 0 },
    ]);
  });

  it('embeds deterministically, as unit vectors, closer for shared words', () => {
    const first = hashedEmbedding('What is the capital of France?');
    expect(first).toHaveLength(HASHED_DIMENSIONS);
    expect(hashedEmbedding('What is the capital of France?')).toEqual(first);
    const dot = (left: number[], right: number[]) =>
      left.reduce((sum, value, index) => sum + value * right[index]!, 0);
    expect(dot(first, first)).toBeCloseTo(1, 6);
    expect(dot(first, hashedEmbedding('What is the capital of Germany?'))).toBeGreaterThan(
      dot(first, hashedEmbedding('Where is my parcel?')),
    );
  });
});
