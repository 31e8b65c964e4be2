/**
 * Overview: the gateway's traffic over a range (last hour, day, 7 or 30 days) as totals and series,
 * broken down by model, provider, key and team, with the top spenders; refreshed while it is open.
 * Days come from the spend summary (rollups); the last hour from the request log, which is finer.
 */
import { useMemo, useState } from 'preact/hooks';
import type { SpendFigures, SpendRow, SpendSummary, SpendSummaryRow, Page } from '../admin-types.js';
import { RANGES, buildQuery, rangeBounds, summaryDays, type RangeName } from '../build-admin-query.js';
import { EmptyState, ErrorMessage, Loading } from '../components/status-message.js';
import { TimeSeriesChart } from '../components/time-series-chart.js';
import { formatCompactCount, formatCount, formatDuration, formatRatio, formatUsd } from '../format.js';
import { useSession } from '../session.js';
import {
  breakdownRows,
  bucketRows,
  deriveFigures,
  summarizeRows,
  type BreakdownRow,
  type SeriesPoint,
} from '../summarize-spend.js';
import { useApi } from '../use-api.js';
import { TableScroll } from '../components/table-scroll.js';

const REFRESH_MS = 10_000;
const DIMENSIONS = [
  { field: 'model', label: 'Model' },
  { field: 'provider', label: 'Provider' },
  { field: 'key_id', label: 'Key' },
  { field: 'team_id', label: 'Team' },
] as const;

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

/**
 * Ranges read from the request log: finer than the summary's days, and with what the summary does
 * not keep (failures, cache hits, latency percentiles).
 */
function readsLog(range: RangeName): boolean {
  return range === 'hour' || range === 'day';
}

const LOG_LIMIT = 1000;

/** The summary's figures for one dimension: one request per dimension, from the rollups. */
function useSummary(range: RangeName, groupBy: string | null, now: Date) {
  const days = summaryDays(range, now);
  const path = readsLog(range) ? null : `/admin/spend/summary${buildQuery({ ...days, group_by: groupBy })}`;
  return useApi<SpendSummary>(path, REFRESH_MS);
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
  // A new "now" per range choice and per refresh of the log, so the hour's window moves with time.
  const now = useMemo(() => new Date(), [range]);
  const bounds = rangeBounds(range, now);

  const totals = useSummary(range, 'day', now);
  const byDimension = {
    model: useSummary(range, 'model', now),
    provider: useSummary(range, 'provider', now),
    key_id: useSummary(range, 'key', now),
    team_id: useSummary(range, 'team', now),
  };
  const log = useApi<Page<SpendRow>>(
    readsLog(range)
      ? `/admin/spend/requests${buildQuery({ from: bounds.from.toISOString(), limit: LOG_LIMIT })}`
      : null,
    REFRESH_MS,
  );

  let figures: SpendFigures | null = null;
  let series: SeriesPoint[] = [];
  let breakdowns: Record<string, BreakdownRow[]> = {};
  if (readsLog(range)) {
    const rows = log.data?.data ?? [];
    figures = log.data ? summarizeRows(rows) : null;
    series = bucketRows(rows, bounds.from, new Date(), range === 'hour' ? 12 : 24);
    breakdowns = Object.fromEntries(DIMENSIONS.map(({ field }) => [field, breakdownRows(rows, field)]));
  } else if (totals.data) {
    figures = totals.data.totals;
    series = totals.data.data
      .filter((row) => row.day)
      .map((row) => ({ time: Date.parse(`${row.day}T00:00:00Z`) / 1000, figures: row }));
    breakdowns = Object.fromEntries(
      DIMENSIONS.map(({ field }) => [field, toBreakdown(byDimension[field].data?.data, field)]),
    );
  }
  const derived = deriveFigures(figures);
  const error = readsLog(range) ? log.error : totals.error;
  const loading = readsLog(range) ? log.loading : totals.loading;
  const truncated = readsLog(range) && Boolean(log.data?.next_cursor);
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
        {truncated
          ? ` More than ${formatCount(LOG_LIMIT, locale)} calls in this range: the figures are those of the latest ${formatCount(LOG_LIMIT, locale)}.`
          : ''}
        {readsLog(range)
          ? ''
          : ' Over days, error and cache hit rates and latency percentiles show where the store keeps them.'}
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
            value={`${formatDuration(derived.latencyP50Ms, locale)} / ${formatDuration(derived.latencyP95Ms, locale)}`}
          />
          <Figure
            label="Gateway overhead p50 / p95"
            value={`${formatDuration(derived.overheadP50Ms, locale)} / ${formatDuration(derived.overheadP95Ms, locale)}`}
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
