/**
 * The admin API's query strings, built from what the pages' controls hold: empty fields left out,
 * ranges turned into the days or instants the API takes.
 */

export type RangeName = 'hour' | 'day' | '7d' | '30d';

export const RANGES: readonly { name: RangeName; label: string }[] = [
  { name: 'hour', label: 'Last hour' },
  { name: 'day', label: 'Last 24 hours' },
  { name: '7d', label: 'Last 7 days' },
  { name: '30d', label: 'Last 30 days' },
];

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** A query string of the non-empty values, in the order given ('' when none). */
export function buildQuery(values: Record<string, string | number | boolean | null | undefined>): string {
  const parameters = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined || value === null || value === '') continue;
    parameters.set(name, String(value));
  }
  const text = parameters.toString();
  return text ? `?${text}` : '';
}

/** A UTC day as the spend summary takes it. */
export function toDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** The instants a range covers, ending now. */
export function rangeBounds(range: RangeName, now: Date): { from: Date; to: Date } {
  const span = range === 'hour' ? HOUR : range === 'day' ? DAY : range === '7d' ? 7 * DAY : 30 * DAY;
  return { from: new Date(now.getTime() - span), to: now };
}

/** The rollups a range is read from: hours for the last hour and day, days beyond. */
export function grainOf(range: RangeName): 'hour' | 'day' {
  return range === 'hour' || range === 'day' ? 'hour' : 'day';
}

/**
 * The spend summary's range: the hours from the one an hour or a day ago to the current one (the
 * summary counts whole UTC hours), or the UTC days, today included, for 7 and 30 days.
 */
export function summaryRange(range: RangeName, now: Date): { grain?: 'hour'; from: string; to: string } {
  if (grainOf(range) === 'hour') {
    return { grain: 'hour', from: rangeBounds(range, now).from.toISOString(), to: now.toISOString() };
  }
  const days = range === '30d' ? 30 : 7;
  return { from: toDay(new Date(now.getTime() - (days - 1) * DAY)), to: toDay(now) };
}

export interface RequestFilters {
  from?: string;
  to?: string;
  key_id?: string;
  team_id?: string;
  model?: string;
  status?: string;
  outcome?: string;
  request_id?: string;
}

/** The request log's query: a request id alone finds that request, whatever the other filters say. */
export function buildRequestLogQuery(filters: RequestFilters, limit: number, cursor?: string | null): string {
  const requestId = filters.request_id?.trim();
  if (requestId) return buildQuery({ request_id: requestId, limit });
  const toInstant = (value: string | undefined) => {
    if (!value) return undefined;
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
  };
  const status = filters.status?.trim();
  return buildQuery({
    from: toInstant(filters.from),
    to: toInstant(filters.to),
    key_id: filters.key_id?.trim(),
    team_id: filters.team_id?.trim(),
    model: filters.model?.trim(),
    status: status && /^\d{3}$/.test(status) ? status : undefined,
    outcome: filters.outcome?.trim(),
    limit,
    cursor: cursor ?? undefined,
  });
}
