/**
 * The spend log and spend summaries as CSV, a line at a time, so an export of months of rows is
 * streamed and never held whole.
 *
 * RFC 4180: comma-separated, CRLF line ends, a field quoted when it holds a comma, a quote or a
 * line break, quotes doubled. Text a client chose (a model name, a request id) can begin with `=`,
 * `+`, `-` or `@`, which a spreadsheet would run as a formula: such a field is prefixed with `'`.
 * @see https://www.rfc-editor.org/rfc/rfc4180
 * @see https://owasp.org/www-community/attacks/CSV_Injection
 */
import { percentileOfHistogram } from './duration-histogram.js';
import type { SpendDimension, SpendRow, SpendSummaryRow } from './store.js';

type CsvValue = string | number | boolean | Date | null | undefined;

interface Column<Row> {
  header: string;
  value: (row: Row) => CsvValue;
}

export const SPEND_CSV_COLUMNS: readonly Column<SpendRow>[] = [
  { header: 'time', value: (row) => row.at },
  { header: 'request_id', value: (row) => row.requestId },
  { header: 'key_id', value: (row) => row.keyId },
  { header: 'team_id', value: (row) => row.teamId },
  { header: 'route', value: (row) => row.route },
  { header: 'requested_model', value: (row) => row.requestedModel },
  { header: 'model', value: (row) => row.model },
  { header: 'provider', value: (row) => row.provider },
  { header: 'deployment', value: (row) => row.deployment },
  { header: 'prompt_tokens', value: (row) => row.promptTokens },
  { header: 'completion_tokens', value: (row) => row.completionTokens },
  { header: 'reasoning_tokens', value: (row) => row.reasoningTokens },
  { header: 'cached_tokens', value: (row) => row.cachedTokens },
  { header: 'cache_write_tokens', value: (row) => row.cacheWriteTokens },
  { header: 'cost_usd', value: (row) => row.costUsd },
  { header: 'latency_ms', value: (row) => row.latencyMs },
  { header: 'overhead_ms', value: (row) => row.overheadMs },
  { header: 'status', value: (row) => row.status },
  { header: 'cache_result', value: (row) => row.cacheResult },
  { header: 'outcome', value: (row) => row.outcome },
  { header: 'estimated', value: (row) => row.estimated },
  { header: 'id', value: (row) => row.id },
];

const DIMENSION_COLUMNS: Record<SpendDimension, Column<SpendSummaryRow>> = {
  day: { header: 'day', value: (row) => row.day },
  hour: { header: 'hour', value: (row) => row.hour },
  key: { header: 'key_id', value: (row) => row.keyId },
  team: { header: 'team_id', value: (row) => row.teamId },
  model: { header: 'model', value: (row) => row.model },
  provider: { header: 'provider', value: (row) => row.provider },
};

const FIGURE_COLUMNS: readonly Column<SpendSummaryRow>[] = [
  { header: 'requests', value: (row) => row.requests },
  { header: 'prompt_tokens', value: (row) => row.promptTokens },
  { header: 'completion_tokens', value: (row) => row.completionTokens },
  { header: 'reasoning_tokens', value: (row) => row.reasoningTokens },
  { header: 'cached_tokens', value: (row) => row.cachedTokens },
  { header: 'cache_write_tokens', value: (row) => row.cacheWriteTokens },
  { header: 'cost_usd', value: (row) => row.costUsd },
  { header: 'errors', value: (row) => row.errors },
  { header: 'cache_hits', value: (row) => row.cacheHits },
  { header: 'latency_p50_ms', value: (row) => percentileOfHistogram(row.latency, 0.5) },
  { header: 'latency_p95_ms', value: (row) => percentileOfHistogram(row.latency, 0.95) },
  { header: 'overhead_p50_ms', value: (row) => percentileOfHistogram(row.overhead, 0.5) },
  { header: 'overhead_p95_ms', value: (row) => percentileOfHistogram(row.overhead, 0.95) },
];

const NEEDS_QUOTES = /[",\r\n]/;
const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV field. */
export function formatCsvField(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (typeof value !== 'string') return String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function lineOf<Row>(columns: readonly Column<Row>[], row: Row): string {
  return `${columns.map((column) => formatCsvField(column.value(row))).join(',')}\r\n`;
}

function headerOf(columns: readonly Column<unknown>[]): string {
  return `${columns.map((column) => column.header).join(',')}\r\n`;
}

/** The header line, then one line per row of the request log. */
export async function* convertSpendRowsToCsv(
  rows: AsyncIterable<SpendRow> | Iterable<SpendRow>,
): AsyncIterable<string> {
  yield headerOf(SPEND_CSV_COLUMNS as readonly Column<unknown>[]);
  for await (const row of rows) yield lineOf(SPEND_CSV_COLUMNS, row);
}

/** The header line, then one line per group: the dimensions grouped by, then the figures. */
export function* convertSpendSummaryToCsv(
  rows: Iterable<SpendSummaryRow>,
  groupBy: readonly SpendDimension[] = [],
): Iterable<string> {
  const columns = [...new Set(groupBy)]
    .map((dimension) => DIMENSION_COLUMNS[dimension])
    .concat(FIGURE_COLUMNS);
  yield headerOf(columns as readonly Column<unknown>[]);
  for (const row of rows) yield lineOf(columns, row);
}
