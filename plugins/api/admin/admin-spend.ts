/**
 * /admin/spend: totals and series from the daily or hourly rollups (`summary`, grouped by day or
 * hour, key, team, model and provider over a range of days or hours), the request log
 * (`requests`, filtered, paginated), and both as CSV, streamed a line at a time.
 */
import { Readable } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import {
  AdminSpendRequestsQuery,
  AdminSpendSummaryQuery,
  type AdminSpendRequestsQueryType,
  type AdminSpendSummaryQueryType,
} from '../../../schemas/admin.js';
import { GatewayError } from '../../../src/errors.js';
import { convertSpendRowsToCsv, convertSpendSummaryToCsv } from '../../../src/store/convert-spend-to-csv.js';
import type { SpendDimension, SpendFilter, SpendSummaryQuery } from '../../../src/store/store.js';
import { withStore } from './admin-errors.js';
import {
  addSpendFigures,
  convertSpendFiguresToWire,
  convertSpendRowToWire,
  convertSpendSummaryRowToWire,
} from './convert-admin-records.js';
import type { AdminContext } from './index.js';

const errors = {
  400: Type.Ref('ErrorResponse'),
  403: Type.Ref('ErrorResponse'),
  503: Type.Ref('ErrorResponse'),
};

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** The range a summary covers when none is given: the last 30 days, today included. */
const DEFAULT_RANGE_DAYS = 30;
/** Ten years of days at most, so a typo in a year is a 400 and not a scan of everything. */
const MAX_RANGE_DAYS = 3660;
/** At the hourly grain: the last 24 hours by default, 31 days of hours at most. */
const DEFAULT_RANGE_HOURS = 24;
const MAX_RANGE_HOURS = 31 * 24;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

const CSV_TYPE = 'text/csv; charset=utf-8';

function dayOf(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function invalid(message: string, param: string): GatewayError {
  return new GatewayError('GW_ERR_ADMIN_INVALID', { message, param });
}

/** A day as given, checked to exist (2026-02-30 does not). */
function checkedDay(day: string, name: string): string {
  if (
    !DAY.test(day) ||
    Number.isNaN(Date.parse(`${day}T00:00:00Z`)) ||
    dayOf(new Date(`${day}T00:00:00Z`)) !== day
  ) {
    throw invalid(`${day} is not a day (YYYY-MM-DD).`, name);
  }
  return day;
}

/** The start of the hour of an instant, or of a day's first (`from`) or last (`to`) hour. */
function checkedHour(value: string, name: 'from' | 'to'): number {
  const time = DAY.test(value)
    ? Date.parse(`${checkedDay(value, name)}T00:00:00Z`) + (name === 'to' ? DAY_MS - HOUR_MS : 0)
    : Date.parse(value);
  if (Number.isNaN(time)) throw invalid(`${value} is not an instant (ISO 8601).`, name);
  return Math.floor(time / HOUR_MS) * HOUR_MS;
}

function summaryQueryOf(query: AdminSpendSummaryQueryType, now: Date): SpendSummaryQuery {
  const grain = query.grain ?? 'day';
  let from: string;
  let to: string;
  if (grain === 'hour') {
    const last =
      query.to !== undefined ? checkedHour(query.to, 'to') : Math.floor(now.getTime() / HOUR_MS) * HOUR_MS;
    const first =
      query.from !== undefined ? checkedHour(query.from, 'from') : last - (DEFAULT_RANGE_HOURS - 1) * HOUR_MS;
    const hours = (last - first) / HOUR_MS + 1;
    if (hours < 1) throw invalid(`from (${query.from}) is after to (${query.to ?? 'now'}).`, 'from');
    if (hours > MAX_RANGE_HOURS) {
      throw invalid(
        `The range covers ${hours} hours; at most ${MAX_RANGE_HOURS} are summarised at once.`,
        'from',
      );
    }
    from = new Date(first).toISOString();
    to = new Date(last).toISOString();
  } else {
    to = checkedDay(query.to ?? dayOf(now), 'to');
    from = checkedDay(
      query.from ?? dayOf(new Date(Date.parse(`${to}T00:00:00Z`) - (DEFAULT_RANGE_DAYS - 1) * DAY_MS)),
      'from',
    );
    const days = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS + 1;
    if (days < 1) throw invalid(`from (${from}) is after to (${to}).`, 'from');
    if (days > MAX_RANGE_DAYS) {
      throw invalid(
        `The range covers ${days} days; at most ${MAX_RANGE_DAYS} are summarised at once.`,
        'from',
      );
    }
  }
  const groupBy = query.group_by ? ([...new Set(query.group_by.split(','))] as SpendDimension[]) : [];
  const series = grain === 'hour' ? 'day' : 'hour';
  if (groupBy.includes(series)) {
    throw invalid(
      `group_by=${series} needs grain=${series}; the ${grain}ly series is group_by=${grain}.`,
      'group_by',
    );
  }
  return {
    from,
    to,
    grain,
    groupBy,
    durations: query.percentiles !== false,
    ...(query.key_id !== undefined ? { keyId: query.key_id } : {}),
    ...(query.team_id !== undefined ? { teamId: query.team_id } : {}),
    ...(query.model !== undefined ? { model: query.model } : {}),
    ...(query.provider !== undefined ? { provider: query.provider } : {}),
  };
}

/** A day as it is, an hour as 2026-03-01T10 (no colons in a file name). */
function fileNamePart(value: string): string {
  return value.length > 10 ? value.slice(0, 13) : value;
}

function spendFilterOf(query: AdminSpendRequestsQueryType): SpendFilter {
  const filter: SpendFilter = {};
  if (query.from !== undefined) filter.from = new Date(query.from);
  if (query.to !== undefined) filter.to = new Date(query.to);
  if (query.key_id !== undefined) filter.keyId = query.key_id;
  if (query.team_id !== undefined) filter.teamId = query.team_id;
  if (query.model !== undefined) filter.model = query.model;
  if (query.provider !== undefined) filter.provider = query.provider;
  if (query.status !== undefined) filter.status = query.status;
  if (query.outcome !== undefined) filter.outcome = query.outcome;
  if (query.request_id !== undefined) filter.requestId = query.request_id;
  return filter;
}

export const adminSpendRoutes: FastifyPluginAsync<{ context: AdminContext }> = async (
  instance,
  { context },
) => {
  const fastify = instance.withTypeProvider<TypeBoxTypeProvider>();

  fastify.get(
    '/admin/spend/summary',
    {
      schema: {
        tags: ['admin'],
        summary:
          'Spend totals, and series by day or hour, key, team, model or provider, over a range of days or hours',
        querystring: AdminSpendSummaryQuery,
        response: { 200: Type.Ref('AdminSpendSummary'), ...errors },
      },
    },
    async (request) => {
      const store = context.requireStore();
      const query = summaryQueryOf(request.query, new Date());
      const rows = await withStore(request.log, () => store.summarizeSpend(query));
      return {
        object: 'admin.spend.summary' as const,
        grain: query.grain ?? 'day',
        from: query.from,
        to: query.to,
        group_by: query.groupBy ?? [],
        totals: convertSpendFiguresToWire(addSpendFigures(rows)),
        data: rows.map(convertSpendSummaryRowToWire),
      };
    },
  );

  fastify.get(
    '/admin/spend/summary.csv',
    {
      schema: {
        tags: ['admin'],
        summary: 'The spend summary as CSV (one line per group)',
        querystring: AdminSpendSummaryQuery,
        produces: ['text/csv'],
        response: { 200: Type.String({ description: 'text/csv' }), ...errors },
      },
    },
    async (request, reply) => {
      const store = context.requireStore();
      const query = summaryQueryOf(request.query, new Date());
      const rows = await withStore(request.log, () => store.summarizeSpend(query));
      return reply
        .type(CSV_TYPE)
        .header(
          'content-disposition',
          `attachment; filename="spend-${fileNamePart(query.from)}-${fileNamePart(query.to)}.csv"`,
        )
        .send([...convertSpendSummaryToCsv(rows, query.groupBy)].join(''));
    },
  );

  fastify.get(
    '/admin/spend/requests',
    {
      schema: {
        tags: ['admin'],
        summary: 'The request log, newest first, filtered and paginated',
        querystring: AdminSpendRequestsQuery,
        response: { 200: Type.Ref('AdminSpendRequestList'), ...errors },
      },
    },
    async (request) => {
      const store = context.requireStore();
      const { limit, cursor } = request.query;
      const page = await withStore(request.log, () =>
        store.listSpend({
          ...spendFilterOf(request.query),
          ...(limit !== undefined ? { limit } : {}),
          cursor: cursor ?? null,
        }),
      );
      return {
        object: 'list' as const,
        data: page.items.map(convertSpendRowToWire),
        next_cursor: page.nextCursor,
      };
    },
  );

  fastify.get(
    '/admin/spend/requests.csv',
    {
      schema: {
        tags: ['admin'],
        summary: 'Every row of the request log that matches, as CSV, streamed',
        querystring: Type.Omit(AdminSpendRequestsQuery, ['limit', 'cursor'], { additionalProperties: false }),
        produces: ['text/csv'],
        response: { 200: Type.String({ description: 'text/csv' }), ...errors },
      },
    },
    async (request, reply) => {
      const store = context.requireStore();
      const filter = spendFilterOf(request.query);
      // The first page is read before the answer starts, so a failing store is a 503, not a cut file.
      const rows = store.iterateSpend(filter)[Symbol.asyncIterator]();
      const first = await withStore(request.log, () => rows.next());
      async function* all() {
        if (!first.done) yield first.value;
        for (let next = await rows.next(); !next.done; next = await rows.next()) yield next.value;
      }
      return reply
        .type(CSV_TYPE)
        .header('content-disposition', 'attachment; filename="spend-requests.csv"')
        .send(Readable.from(convertSpendRowsToCsv(all())));
    },
  );
};
