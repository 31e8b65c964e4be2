/** The overview's figures: rates from the summary's counts, and the last hour from log rows. */
import { describe, expect, it } from 'vitest';
import type { SpendRow } from '../../ui/src/admin-types.js';
import {
  breakdownRows,
  bucketRows,
  deriveFigures,
  percentile,
  summarizeRows,
} from '../../ui/src/summarize-spend.js';

function row(overrides: Partial<SpendRow>): SpendRow {
  return {
    id: 'r',
    at: '2026-03-10T15:00:00Z',
    request_id: 'q',
    key_id: 'key-a',
    team_id: null,
    route: '/v1/chat/completions',
    requested_model: 'gpt-4o-mini',
    model: 'gpt-4o-mini',
    provider: 'openai',
    deployment: 'openai/gpt-4o-mini',
    prompt_tokens: 10,
    completion_tokens: 5,
    reasoning_tokens: 0,
    cached_tokens: 0,
    cost_usd: 0.01,
    latency_ms: 100,
    overhead_ms: 1,
    status: 200,
    cache_result: null,
    outcome: 'completed',
    estimated: false,
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

  it('takes percentiles by nearest rank', () => {
    expect(percentile([], 0.5)).toBeNull();
    expect(percentile([5, 1, 3, 2, 4], 0.5)).toBe(3);
    expect(
      percentile(
        Array.from({ length: 100 }, (_, index) => index + 1),
        0.95,
      ),
    ).toBe(95);
  });

  it('sums log rows, counting failures and cache hits', () => {
    const figures = summarizeRows([
      row({ latency_ms: 100 }),
      row({ latency_ms: 300, status: 502, outcome: 'upstream_error', cost_usd: 0 }),
      row({ latency_ms: 5, cache_result: 'hit', cost_usd: 0 }),
    ]);
    expect(figures).toMatchObject({
      requests: 3,
      prompt_tokens: 30,
      completion_tokens: 15,
      errors: 1,
      cache_hits: 1,
      latency_p50_ms: 100,
      latency_p95_ms: 300,
    });
    expect(figures.cost_usd).toBeCloseTo(0.01);
  });

  it('puts rows in equal buckets, empty ones included', () => {
    const from = new Date('2026-03-10T15:00:00Z');
    const to = new Date('2026-03-10T16:00:00Z');
    const series = bucketRows(
      [
        row({ at: '2026-03-10T15:01:00Z' }),
        row({ at: '2026-03-10T15:02:00Z' }),
        row({ at: '2026-03-10T15:59:00Z' }),
        row({ at: '2026-03-10T14:00:00Z' }),
      ],
      from,
      to,
      12,
    );
    expect(series).toHaveLength(12);
    expect(series[0]).toMatchObject({ time: from.getTime() / 1000, figures: { requests: 2 } });
    expect(series[11]!.figures.requests).toBe(1);
    expect(series.slice(1, 11).every((point) => point.figures.requests === 0)).toBe(true);
  });

  it('breaks rows down by a field, largest cost first', () => {
    const rows = [
      row({ key_id: 'a', cost_usd: 1 }),
      row({ key_id: 'b', cost_usd: 3 }),
      row({ key_id: 'a', cost_usd: 1 }),
      row({ key_id: null }),
    ];
    expect(breakdownRows(rows, 'key_id').map((entry) => [entry.name, entry.requests])).toEqual([
      ['b', 1],
      ['a', 2],
      ['(none)', 1],
    ]);
  });
});
