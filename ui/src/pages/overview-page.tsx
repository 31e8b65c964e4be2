/**
 * Overview: the gateway's traffic over a range (last hour, day, 7 or 30 days) as totals and series,
 * broken down by model, provider, key and team, with the top spenders; refreshed while it is open.
 * Everything comes from the spend summary: its hourly rollups for the last hour and day, its daily
 * ones beyond.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { SpendFigures, SpendSummary, SpendSummaryRow } from '../admin-types.js';
import { RANGES, buildQuery, grainOf, summaryRange, type RangeName } from '../build-admin-query.js';
import { EmptyState, ErrorMessage, Loading } from '../components/status-message.js';
import { TimeSeriesChart } from '../components/time-series-chart.js';
import {
  formatCompactCount,
  formatCount,
  formatDuration,
  formatPercentiles,
  formatRatio,
  formatUsd,
} from '../format.js';
import { useSession } from '../session.js';
import { deriveFigures, seriesOfSummary, type SeriesPoint } from '../summarize-spend.js';
import { useApi } from '../use-api.js';
import { TableScroll } from '../components/table-scroll.js';

const REFRESH_MS = 10_000;
const DIMENSIONS = [
  { field: 'model', label: 'Model' },
  { field: 'provider', label: 'Provider' },
  { field: 'key_id', label: 'Key' },
  { field: 'team_id', label: 'Team' },
] as const;

interface BreakdownRow {
  name: string;
  requests: number;
  tokens: number;
  costUsd: number;
}

function toBreakdown(
  rows: SpendSummaryRow[] | undefined,
  field: (typeof DIMENSIONS)[number]['field'],
): BreakdownRow[] {
  return (rows ?? [])
    .map((row) => ({
      name: row[field] ?? '(none)',
      requests: row.requests,
      tokens: row.prompt_tokens + row.completion_tokens,
      costUsd: row.cost_usd,
    }))
    .sort((left, right) => right.costUsd - left.costUsd || right.requests - left.requests);
}

/** The summary's figures for one dimension: one request per dimension, from the rollups. */
function useSummary(range: RangeName, groupBy: string | null, now: Date) {
  // The breakdowns show no percentiles: without them the summary reads a tenth of the columns.
  const percentiles = groupBy === 'hour' || groupBy === 'day' ? undefined : false;
  const path = `/admin/spend/summary${buildQuery({ ...summaryRange(range, now), group_by: groupBy, percentiles })}`;
  return useApi<SpendSummary>(path, REFRESH_MS);
}

/** The time the range ends, moved on to the minute while the page is shown, and at once for a new range. */
function useMinute(range: RangeName): Date {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => setNow(new Date()), [range]);
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') setNow(new Date());
    }, REFRESH_MS);
    return () => clearInterval(timer);
  }, []);
  return new Date(Math.floor(now.getTime() / 60_000) * 60_000);
}

function Figure({ label, value, detail }: { label: string; value: string; detail?: string }) {
  return (
    <div class="figure">
      <dt>{label}</dt>
      <dd>
        <span class="figure-value">{value}</span>
        {detail ? <span class="figure-detail">{detail}</span> : null}
      </dd>
    </div>
  );
}

function BreakdownTable({ title, rows }: { title: string; rows: BreakdownRow[] }) {
  const { locale } = useSession();
  const largest = Math.max(0, ...rows.map((row) => row.costUsd));
  return (
    <div class="breakdown">
      <h3>{title}</h3>
      {rows.length === 0 ? (
        <p class="hint">No calls in this range.</p>
      ) : (
        <TableScroll label={title}>
          <table>
            <thead>
              <tr>
                <th scope="col">{title.replace(/^By /, '')}</th>
                <th scope="col" class="number">
                  Requests
                </th>
                <th scope="col" class="number">
                  Tokens
                </th>
                <th scope="col" class="number">
                  Cost
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.slice(0, 10).map((row) => (
                <tr key={row.name}>
                  <th scope="row">{row.name}</th>
                  <td class="number">{formatCount(row.requests, locale)}</td>
                  <td class="number">{formatCount(row.tokens, locale)}</td>
                  <td class="number">
                    {formatUsd(row.costUsd, locale)}
                    {largest > 0 ? (
                      <span class="bar" aria-hidden="true">
                        <span style={{ width: `${(row.costUsd / largest) * 100}%` }} />
                      </span>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </div>
  );
}

export function OverviewPage() {
  const { locale } = useSession();
  const [range, setRange] = useState<RangeName>('day');
  const now = useMinute(range);
  const grain = grainOf(range);

  const totals = useSummary(range, grain, now);
  const byDimension = {
    model: useSummary(range, 'model', now),
    provider: useSummary(range, 'provider', now),
    key_id: useSummary(range, 'key', now),
    team_id: useSummary(range, 'team', now),
  };

  let figures: SpendFigures | null = null;
  let series: SeriesPoint[] = [];
  let breakdowns: Record<string, BreakdownRow[]> = {};
  if (totals.data) {
    const { from, to } = totals.data;
    const instant = (value: string) => new Date(grain === 'hour' ? value : `${value}T00:00:00Z`);
    figures = totals.data.totals;
    series = seriesOfSummary(totals.data.data, grain, instant(from), instant(to));
    breakdowns = Object.fromEntries(
      DIMENSIONS.map(({ field }) => [field, toBreakdown(byDimension[field].data?.data, field)]),
    );
  }
  const derived = deriveFigures(figures);
  const { error, loading } = totals;
  const formatTime = useMemo(
    () => (seconds: number) =>
      new Intl.DateTimeFormat(
        locale,
        range === 'hour'
          ? { timeStyle: 'short' }
          : range === 'day'
            ? { weekday: 'short', hour: 'numeric', minute: '2-digit' }
            : { dateStyle: 'medium' },
      ).format(new Date(seconds * 1000)),
    [locale, range],
  );
  const times = series.map((point) => point.time);
  const charts = useMemo(
    () => ({
      traffic: [
        {
          label: 'Requests',
          values: series.map((point) => point.figures.requests),
          format: (value: number | null) => formatCount(value, locale),
        },
        {
          label: 'Errors',
          values: series.map((point) => point.figures.errors ?? null),
          format: (value: number | null) => formatCount(value, locale),
        },
      ],
      cost: [
        {
          label: 'Cost',
          values: series.map((point) => point.figures.cost_usd),
          format: (value: number | null) => formatUsd(value, locale),
        },
      ],
      latency: [
        {
          label: 'Latency p50',
          values: series.map((point) => point.figures.latency_p50_ms ?? null),
          format: (value: number | null) => formatDuration(value, locale),
        },
        {
          label: 'Latency p95',
          values: series.map((point) => point.figures.latency_p95_ms ?? null),
          format: (value: number | null) => formatDuration(value, locale),
        },
        {
          label: 'Overhead p95',
          values: series.map((point) => point.figures.overhead_p95_ms ?? null),
          format: (value: number | null) => formatDuration(value, locale),
        },
      ],
    }),
    // The figures change with every refresh; the series follow them, not the array's identity.
    [JSON.stringify(series), locale],
  );
  const topSpenders = (breakdowns['key_id'] ?? []).slice(0, 5);

  return (
    <section aria-labelledby="overview-title">
      <div class="page-head">
        <h1 id="overview-title">Overview</h1>
        <fieldset class="segmented">
          <legend>Range</legend>
          {RANGES.map((entry) => (
            <label key={entry.name}>
              <input
                type="radio"
                name="range"
                value={entry.name}
                checked={range === entry.name}
                onChange={() => setRange(entry.name)}
              />
              {entry.label}
            </label>
          ))}
        </fieldset>
      </div>
      <p class="hint" role="status">
        Live: refreshed every {REFRESH_MS / 1000} seconds.
        {grain === 'hour' ? ' Counted by whole hours (UTC), the current one included.' : ''}
      </p>
      {error ? <ErrorMessage error={error} /> : null}
      {!figures && loading ? <Loading /> : null}
      {figures ? (
        <dl class="figures" aria-label="Totals">
          <Figure
            label="Requests"
            value={formatCompactCount(derived.requests, locale)}
            detail={formatCount(derived.requests, locale)}
          />
          <Figure
            label="Tokens"
            value={formatCompactCount(derived.tokens, locale)}
            detail={formatCount(derived.tokens, locale)}
          />
          <Figure label="Cost" value={formatUsd(derived.costUsd, locale)} />
          <Figure label="Error rate" value={formatRatio(derived.errorRate, locale)} />
          <Figure label="Cache hit rate" value={formatRatio(derived.cacheHitRate, locale)} />
          <Figure
            label="Latency p50 / p95"
            value={formatPercentiles(derived.latencyP50Ms, derived.latencyP95Ms, locale)}
          />
          <Figure
            label="Gateway overhead p50 / p95"
            value={formatPercentiles(derived.overheadP50Ms, derived.overheadP95Ms, locale)}
          />
        </dl>
      ) : null}
      {figures && derived.requests === 0 ? (
        <EmptyState title="No traffic in this range yet">
          Send a request from the <a href="#/playground">playground</a>, or point a client at this gateway
          with a key from <a href="#/keys">Keys and teams</a>.
        </EmptyState>
      ) : null}
      {figures && derived.requests > 0 ? (
        <>
          <div class="charts">
            <TimeSeriesChart
              title="Requests and errors"
              times={times}
              series={charts.traffic}
              formatTime={formatTime}
            />
            <TimeSeriesChart title="Cost" times={times} series={charts.cost} formatTime={formatTime} />
            <TimeSeriesChart title="Latency" times={times} series={charts.latency} formatTime={formatTime} />
          </div>
          <h2>Top spenders</h2>
          <ol class="top-spenders">
            {topSpenders.map((row) => (
              <li key={row.name}>
                <strong>{row.name}</strong> {formatUsd(row.costUsd, locale)} (
                {formatCount(row.requests, locale)} requests)
              </li>
            ))}
          </ol>
          <h2>Breakdowns</h2>
          <div class="breakdowns">
            {DIMENSIONS.map(({ field, label }) => (
              <BreakdownTable
                key={field}
                title={`By ${label.toLowerCase()}`}
                rows={breakdowns[field] ?? []}
              />
            ))}
          </div>
        </>
      ) : null}
    </section>
  );
}
