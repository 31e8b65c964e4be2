/** The admin API's query strings as the dashboard's pages build them. */
import { describe, expect, it } from 'vitest';
import {
  buildQuery,
  buildRequestLogQuery,
  grainOf,
  rangeBounds,
  summaryRange,
} from '../../ui/src/build-admin-query.js';

const NOW = new Date('2026-03-10T15:30:00Z');

function grainsOfRanges() {
  return Object.fromEntries((['hour', 'day', '7d', '30d'] as const).map((range) => [range, grainOf(range)]));
}

describe('admin API queries', () => {
  it('leaves out empty values and encodes the rest', () => {
    expect(buildQuery({ a: '', b: null, c: undefined })).toBe('');
    expect(buildQuery({ model: 'openai/gpt 4', limit: 10, include: true })).toBe(
      '?model=openai%2Fgpt+4&limit=10&include=true',
    );
  });

  it('turns ranges into the hours or the UTC days the summary covers', () => {
    expect(rangeBounds('hour', NOW).from.toISOString()).toBe('2026-03-10T14:30:00.000Z');
    expect(rangeBounds('7d', NOW).from.toISOString()).toBe('2026-03-03T15:30:00.000Z');
    expect(grainsOfRanges()).toEqual({ hour: 'hour', day: 'hour', '7d': 'day', '30d': 'day' });
    expect(summaryRange('hour', NOW)).toEqual({
      grain: 'hour',
      from: '2026-03-10T14:30:00.000Z',
      to: '2026-03-10T15:30:00.000Z',
    });
    expect(summaryRange('day', NOW)).toEqual({
      grain: 'hour',
      from: '2026-03-09T15:30:00.000Z',
      to: '2026-03-10T15:30:00.000Z',
    });
    expect(summaryRange('7d', NOW)).toEqual({ from: '2026-03-04', to: '2026-03-10' });
    expect(summaryRange('30d', NOW)).toEqual({ from: '2026-02-09', to: '2026-03-10' });
  });

  it('filters the request log, a request id alone finding its request', () => {
    expect(
      buildRequestLogQuery(
        { key_id: ' team-a-key ', status: '429', outcome: 'failed', model: '', from: '2026-03-10T10:00Z' },
        50,
        'cursor-1',
      ),
    ).toBe(
      '?from=2026-03-10T10%3A00%3A00.000Z&key_id=team-a-key&status=429&outcome=failed&limit=50&cursor=cursor-1',
    );
    expect(buildRequestLogQuery({ request_id: 'req-1', key_id: 'k' }, 50, 'c')).toBe(
      '?request_id=req-1&limit=50',
    );
    expect(buildRequestLogQuery({ status: 'abc', from: 'not a date' }, 20)).toBe('?limit=20');
  });
});
