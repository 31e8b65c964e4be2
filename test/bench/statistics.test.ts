import { describe, expect, it } from 'vitest';
import { SampleBuffer, median, percentile, percentiles } from '../../bench/statistics.js';

describe('percentile', () => {
  const values = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];

  it('takes the nearest rank, so every percentile is a value that was observed', () => {
    expect(percentile(values, 50)).toBe(5);
    expect(percentile(values, 90)).toBe(9);
    expect(percentile(values, 99)).toBe(10);
    expect(percentile(values, 100)).toBe(10);
    expect(percentile(values, 0)).toBe(1);
    expect(percentile([0.25, 0.125, 0.5], 50)).toBe(0.25);
  });

  it('leaves its input unsorted and answers NaN for no samples', () => {
    percentile(values, 50);
    expect(values[0]).toBe(5);
    expect(percentile([], 50)).toBeNaN();
  });

  it('refuses a percentile outside 0–100', () => {
    expect(() => percentile(values, 101)).toThrow(RangeError);
    expect(() => percentile(values, Number.NaN)).toThrow(RangeError);
  });

  it('gives several percentiles in the order asked', () => {
    const samples = Array.from({ length: 1000 }, (_, index) => 1000 - index);
    expect(percentiles(samples, [99, 50] as const)).toEqual([990, 500]);
  });
});

describe('median', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('skips values that were not measured, and answers NaN when none was', () => {
    expect(median([Number.NaN, 7, 9])).toBe(8);
    expect(median([])).toBeNaN();
    expect(median([Number.NaN])).toBeNaN();
  });
});

describe('SampleBuffer', () => {
  it('keeps every value pushed, past its first allocation', () => {
    const buffer = new SampleBuffer();
    for (let index = 0; index < 10_000; index++) buffer.push(index / 4);
    expect(buffer.length).toBe(10_000);
    expect(buffer.values()[9_999]).toBe(9_999 / 4);
    expect(buffer.values().length).toBe(10_000);
  });
});
