/** The overview's figures: rates from the summary's counts, and series with every period. */
import { describe, expect, it } from 'vitest';
import type { SpendSummaryRow } from '../../ui/src/admin-types.js';
import { deriveFigures, seriesOfSummary } from '../../ui/src/summarize-spend.js';

function row(overrides: Partial<SpendSummaryRow>): SpendSummaryRow {
  return {
    requests: 4,
    prompt_tokens: 40,
    completion_tokens: 20,
    cached_tokens: 0,
    cost_usd: 0.04,
    errors: 1,
    cache_hits: 2,
    latency_p50_ms: 86.11,
    latency_p95_ms: 1377.79,
    overhead_p50_ms: 0.96,
    overhead_p95_ms: 1.35,
    ...overrides,
  };
}

describe('overview figures', () => {
  it('derives rates from counts, none without requests or without the count', () => {
    const figures = deriveFigures({
      requests: 200,
      prompt_tokens: 1000,
      completion_tokens: 500,
      cached_tokens: 0,
      cost_usd: 1.5,
      errors: 10,
      cache_hits: 50,
    });
    expect(figures).toMatchObject({ requests: 200, tokens: 1500, errorRate: 0.05, cacheHitRate: 0.25 });
    expect(deriveFigures(null)).toMatchObject({ requests: 0, errorRate: null, cacheHitRate: null });
    expect(
      deriveFigures({ requests: 5, prompt_tokens: 0, completion_tokens: 0, cached_tokens: 0, cost_usd: 0 })
        .errorRate,
    ).toBeNull();
  });

  it('takes the percentiles as the summary gives them, none when it has none', () => {
    expect(deriveFigures(row({}))).toMatchObject({
      errorRate: 0.25,
      cacheHitRate: 0.5,
      latencyP50Ms: 86.11,
      latencyP95Ms: 1377.79,
      overheadP50Ms: 0.96,
      overheadP95Ms: 1.35,
    });
    expect(deriveFigures(row({ latency_p50_ms: null, overhead_p95_ms: null }))).toMatchObject({
      latencyP50Ms: null,
      overheadP95Ms: null,
    });
  });

  it('makes an hourly series with every hour of the range, the quiet ones at zero', () => {
    const series = seriesOfSummary(
      [row({ hour: '2026-03-10T13:00:00.000Z' }), row({ hour: '2026-03-10T15:00:00.000Z', requests: 9 })],
      'hour',
      new Date('2026-03-10T12:00:00.000Z'),
      new Date('2026-03-10T15:00:00.000Z'),
    );
    expect(series.map((point) => new Date(point.time * 1000).toISOString())).toEqual([
      '2026-03-10T12:00:00.000Z',
      '2026-03-10T13:00:00.000Z',
      '2026-03-10T14:00:00.000Z',
      '2026-03-10T15:00:00.000Z',
    ]);
    expect(series.map((point) => point.figures.requests)).toEqual([0, 4, 0, 9]);
    expect(series[2]!.figures).toMatchObject({ errors: 0, latency_p50_ms: null, cost_usd: 0 });
    expect(series[1]!.figures.latency_p95_ms).toBe(1377.79);
  });

  it('makes a daily series from the first day to the last', () => {
    const series = seriesOfSummary(
      [row({ day: '2026-03-09', cost_usd: 2 })],
      'day',
      new Date('2026-03-08T00:00:00Z'),
      new Date('2026-03-10T00:00:00Z'),
    );
    expect(
      series.map((point) => [new Date(point.time * 1000).toISOString().slice(0, 10), point.figures.cost_usd]),
    ).toEqual([
      ['2026-03-08', 0],
      ['2026-03-09', 2],
      ['2026-03-10', 0],
    ]);
  });
});
