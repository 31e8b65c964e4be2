/**
 * Figures the overview derives from the admin API's: rates from counts, and, for the last hour
 * (finer than the summary's days), totals and a series made from the request log's rows.
 */
import type { SpendFigures, SpendRow } from './admin-types.js';

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

/** The value below which `share` of the sorted values lie (nearest rank), null for none. */
export function percentile(values: readonly number[], share: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((left, right) => left - right);
  const rank = Math.max(1, Math.ceil(share * sorted.length));
  return sorted[rank - 1] ?? null;
}

/** Outcomes of calls that failed (src/store/store.ts SPEND_OUTCOMES); a client leaving is not one. */
const FAILED_OUTCOMES = new Set(['upstream_error', 'timeout', 'gateway_error']);

/** A row counts as an error when the gateway answered one (400 and above) or the call failed. */
export function isErrorRow(row: SpendRow): boolean {
  return (row.status !== null && row.status >= 400) || FAILED_OUTCOMES.has(row.outcome);
}

export function summarizeRows(rows: readonly SpendRow[]): SpendFigures {
  const latencies = rows.flatMap((row) => (row.latency_ms === null ? [] : [row.latency_ms]));
  const overheads = rows.flatMap((row) => (row.overhead_ms === null ? [] : [row.overhead_ms]));
  return {
    requests: rows.length,
    prompt_tokens: rows.reduce((sum, row) => sum + row.prompt_tokens, 0),
    completion_tokens: rows.reduce((sum, row) => sum + row.completion_tokens, 0),
    cached_tokens: rows.reduce((sum, row) => sum + row.cached_tokens, 0),
    cost_usd: rows.reduce((sum, row) => sum + row.cost_usd, 0),
    errors: rows.filter(isErrorRow).length,
    cache_hits: rows.filter((row) => row.cache_result === 'hit').length,
    latency_p50_ms: percentile(latencies, 0.5),
    latency_p95_ms: percentile(latencies, 0.95),
    overhead_p50_ms: percentile(overheads, 0.5),
    overhead_p95_ms: percentile(overheads, 0.95),
  };
}

export interface SeriesPoint {
  /** The bucket's start, in seconds since the epoch (what uPlot takes). */
  time: number;
  figures: SpendFigures;
}

/** Rows in equal buckets from `from` to `to`: a series with every bucket, empty ones at zero. */
export function bucketRows(
  rows: readonly SpendRow[],
  from: Date,
  to: Date,
  bucketCount: number,
): SeriesPoint[] {
  const start = from.getTime();
  const width = Math.max(1, (to.getTime() - start) / bucketCount);
  const buckets: SpendRow[][] = Array.from({ length: bucketCount }, () => []);
  for (const row of rows) {
    const index = Math.floor((new Date(row.at).getTime() - start) / width);
    if (index >= 0 && index < bucketCount) buckets[index]!.push(row);
  }
  return buckets.map((bucket, index) => ({
    time: Math.round((start + index * width) / 1000),
    figures: summarizeRows(bucket),
  }));
}

export interface BreakdownRow {
  name: string;
  requests: number;
  tokens: number;
  costUsd: number;
}

/** Rows grouped by one field, largest cost first. */
export function breakdownRows(
  rows: readonly SpendRow[],
  field: 'key_id' | 'team_id' | 'model' | 'provider',
): BreakdownRow[] {
  const groups = new Map<string, BreakdownRow>();
  for (const row of rows) {
    const name = row[field] ?? '(none)';
    const group = groups.get(name) ?? { name, requests: 0, tokens: 0, costUsd: 0 };
    group.requests += 1;
    group.tokens += row.prompt_tokens + row.completion_tokens;
    group.costUsd += row.cost_usd;
    groups.set(name, group);
  }
  return [...groups.values()].sort(
    (left, right) => right.costUsd - left.costUsd || right.requests - left.requests,
  );
}
