import { describe, expect, it } from 'vitest';
import { judgeSoak, renderSoak, thinSamples, type SoakSample } from '../../bench/soak-report.js';

const MB = 1024 * 1024;

function samples(rssMb: number[]): SoakSample[] {
  const total = (rssMb.length - 2) * 1000;
  return rssMb.map((rss, index) => ({
    phase: index === 0 ? 'start' : index === rssMb.length - 1 ? 'end' : 'load',
    seconds: index * 2,
    completed: index === rssMb.length - 1 ? total : Math.max(0, (index - 1) * 1000),
    rssBytes: rss * MB,
    heapUsedBytes: (rss / 2) * MB,
  }));
}

describe('judgeSoak', () => {
  it('calls memory flat when the second half stays within the allowance, growth in the first half included', () => {
    const verdict = judgeSoak(samples([80, 120, 150, 160, 161, 162, 160, 161, 163, 162]), 170 * MB);
    expect(verdict.grew).toBe(false);
    expect(verdict.startRssBytes).toBe(80 * MB);
    expect(verdict.endRssBytes).toBe(162 * MB);
    expect(verdict.peakRssBytes).toBe(170 * MB);
  });

  it('calls memory grown when it keeps climbing', () => {
    const verdict = judgeSoak(samples([80, 100, 120, 140, 160, 180, 200, 220, 240, 260]), 260 * MB);
    expect(verdict.grew).toBe(true);
    expect(verdict.rssGrowthBytes).toBeGreaterThan(verdict.allowedGrowthBytes);
  });

  it('needs the start and end samples', () => {
    expect(() => judgeSoak([], 0)).toThrow(/start and end/);
  });

  it('renders the samples and the verdict', () => {
    const all = samples([80, 120, 150, 160, 161, 162, 160, 161, 163, 162]);
    const text = renderSoak(all, judgeSoak(all, 170 * MB));
    expect(text).toContain('| start | 0 | 0 | 80.0 | 40.0 |');
    expect(text).toContain('| end | 18 | 8000 | 162.0 | 81.0 |');
    expect(text).toMatch(/RSS growth: .* MB \(allowed 16\.2 MB\): flat$/m);
  });
});

describe('thinSamples', () => {
  it('keeps the first and last and spreads the rest evenly', () => {
    const values = Array.from({ length: 101 }, (_, index) => index);
    expect(thinSamples(values, 5)).toEqual([0, 25, 50, 75, 100]);
    expect(thinSamples([1, 2, 3], 5)).toEqual([1, 2, 3]);
  });
});
