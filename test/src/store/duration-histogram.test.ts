/** The rollups' duration buckets: where a duration falls, what a bucket reads as, percentiles of merged counts. */
import { describe, expect, it } from 'vitest';
import {
  DURATION_BUCKETS,
  addHistogram,
  bucketColumnsOf,
  bucketOfDuration,
  emptyHistogram,
  lowerBoundOfBucket,
  percentileOfHistogram,
  valueOfBucket,
} from '../../../src/store/duration-histogram.js';

describe('duration buckets', () => {
  it('are √2 wide from 0.1 ms, with one bucket below and one open-ended above', () => {
    expect(bucketOfDuration(0)).toBe(0);
    expect(bucketOfDuration(0.099)).toBe(0);
    expect(bucketOfDuration(0.1)).toBe(1);
    expect(bucketOfDuration(0.14)).toBe(1);
    expect(bucketOfDuration(0.15)).toBe(2);
    expect(bucketOfDuration(100)).toBe(20);
    expect(bucketOfDuration(1000)).toBe(27);
    expect(bucketOfDuration(0.1 * 2 ** 23 - 1)).toBe(DURATION_BUCKETS - 2);
    expect(bucketOfDuration(3_600_000)).toBe(DURATION_BUCKETS - 1);
    expect(bucketOfDuration(Number.NaN)).toBe(0);
    for (let bucket = 1; bucket < DURATION_BUCKETS; bucket++) {
      expect(bucketOfDuration(lowerBoundOfBucket(bucket) * 1.000001)).toBe(bucket);
      expect(lowerBoundOfBucket(bucket + 1) / lowerBoundOfBucket(bucket)).toBeCloseTo(Math.SQRT2, 12);
    }
    expect(bucketColumnsOf('latency')).toHaveLength(DURATION_BUCKETS);
    expect(bucketColumnsOf('overhead')[7]).toBe('overhead_07');
  });

  it('read as their geometric middle, within 19 % of any value in them', () => {
    for (let bucket = 1; bucket < DURATION_BUCKETS - 1; bucket++) {
      const value = valueOfBucket(bucket);
      expect(bucketOfDuration(value)).toBe(bucket);
      expect(value / lowerBoundOfBucket(bucket)).toBeLessThan(1.19);
      expect(lowerBoundOfBucket(bucket + 1) / value).toBeLessThan(1.19);
    }
  });

  it('merge by adding, and give percentiles by nearest rank over the merged counts', () => {
    const fast = emptyHistogram();
    const slow = emptyHistogram();
    for (let index = 0; index < 90; index++) fast[bucketOfDuration(50)]! += 1;
    for (let index = 0; index < 10; index++) slow[bucketOfDuration(4000)]! += 1;
    const merged = addHistogram(addHistogram(emptyHistogram(), fast), slow);
    expect(merged.reduce((sum, count) => sum + count, 0)).toBe(100);
    expect(bucketOfDuration(percentileOfHistogram(merged, 0.5)!)).toBe(bucketOfDuration(50));
    expect(bucketOfDuration(percentileOfHistogram(merged, 0.9)!)).toBe(bucketOfDuration(50));
    expect(bucketOfDuration(percentileOfHistogram(merged, 0.95)!)).toBe(bucketOfDuration(4000));
    expect(percentileOfHistogram(emptyHistogram(), 0.5)).toBeNull();
  });
});
