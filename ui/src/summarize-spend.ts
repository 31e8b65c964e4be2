/**
 * Figures the overview derives from the spend summary's: rates from counts, and series with every
 * hour or day of the range, those without calls at zero.
 */
import type { SpendFigures, SpendSummaryRow } from './admin-types.js';

export interface DerivedFigures {
  requests: number;
  tokens: number;
  costUsd: number;
  errorRate: number | null;
  cacheHitRate: number | null;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  overheadP50Ms: number | null;
  overheadP95Ms: number | null;
}

function ratio(part: number | null | undefined, whole: number): number | null {
  if (part === null || part === undefined || whole <= 0) return null;
  return part / whole;
}

export function deriveFigures(figures: SpendFigures | null | undefined): DerivedFigures {
  const requests = figures?.requests ?? 0;
  return {
    requests,
    tokens: (figures?.prompt_tokens ?? 0) + (figures?.completion_tokens ?? 0),
    costUsd: figures?.cost_usd ?? 0,
    errorRate: ratio(figures?.errors, requests),
    cacheHitRate: ratio(figures?.cache_hits, requests),
    latencyP50Ms: figures?.latency_p50_ms ?? null,
    latencyP95Ms: figures?.latency_p95_ms ?? null,
    overheadP50Ms: figures?.overhead_p50_ms ?? null,
    overheadP95Ms: figures?.overhead_p95_ms ?? null,
  };
}

export interface SeriesPoint {
  /** The period's start, in seconds since the epoch (what uPlot takes). */
  time: number;
  figures: SpendFigures;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

const NO_CALLS: SpendFigures = {
  requests: 0,
  prompt_tokens: 0,
  completion_tokens: 0,
  cached_tokens: 0,
  cost_usd: 0,
  errors: 0,
  cache_hits: 0,
  latency_p50_ms: null,
  latency_p95_ms: null,
  overhead_p50_ms: null,
  overhead_p95_ms: null,
};

/**
 * The summary's rows grouped by `hour` or `day` as a series from the period holding `from` to the
 * one holding `to`: one point per period, those the summary has no row for at zero (percentiles
 * absent), so a quiet hour is a dip in the chart rather than a line drawn across it.
 */
export function seriesOfSummary(
  rows: readonly SpendSummaryRow[],
  grain: 'hour' | 'day',
  from: Date,
  to: Date,
): SeriesPoint[] {
  const width = grain === 'hour' ? HOUR_MS : DAY_MS;
  const byStart = new Map<number, SpendSummaryRow>();
  for (const row of rows) {
    const start = grain === 'hour' ? Date.parse(row.hour ?? '') : Date.parse(`${row.day ?? ''}T00:00:00Z`);
    if (!Number.isNaN(start)) byStart.set(start, row);
  }
  const first = Math.floor(from.getTime() / width) * width;
  const last = Math.floor(to.getTime() / width) * width;
  const points: SeriesPoint[] = [];
  for (let start = first; start <= last; start += width) {
    points.push({ time: start / 1000, figures: byStart.get(start) ?? NO_CALLS });
  }
  return points;
}
