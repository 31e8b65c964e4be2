/**
 * A batch of spend rows as SQL: each entry cleaned into a row of `spend_log`, the rows added up into
 * the hourly and daily rollups, and the statements that insert the one and add to the others, all
 * in one transaction. The same code runs for both databases: for PostgreSQL in the gateway's event
 * loop (the `pg` client sends the statements), for SQLite in the database's own thread
 * (src/store/sqlite-worker.ts), so that a batch costs the event loop only the posting of its
 * entries.
 *
 * The SQLite thread loads this file itself: Node strips its types in development, and its imports
 * name files as they are (`.ts`, rewritten to `.js` by the build), or only types.
 * @see https://nodejs.org/api/typescript.html#type-stripping
 */
import { bucketColumnsOf, bucketOfDuration, DURATION_BUCKETS } from './duration-histogram.ts';
import type { SqlConnection, SqlValue } from './sql-driver.ts';
import type { SpendEntry, SpendFigures, SpendGrain } from './store.ts';

const HOUR_MS = 3_600_000;

/**
 * Values per INSERT: under both databases' limits on parameters per statement (SQLite 32,766,
 * PostgreSQL 65,535), so that a batch of 500 rows is one statement, and its rollups one per table.
 */
const VALUES_PER_STATEMENT = 30_000;
/** Text columns are cut to this length: model names and request ids come from clients. */
const MAX_TEXT = 256;

export const SPEND_COLUMNS = [
  'id',
  'at',
  'request_id',
  'key_id',
  'team_id',
  'route',
  'requested_model',
  'model',
  'provider',
  'deployment',
  'prompt_tokens',
  'completion_tokens',
  'reasoning_tokens',
  'cached_tokens',
  'cache_write_tokens',
  'cost_usd',
  'latency_ms',
  'overhead_ms',
  'status',
  'cache_result',
  'outcome',
  'estimated',
] as const;

export const FIGURE_COLUMNS: readonly (readonly [keyof SpendFigures, string])[] = [
  ['requests', 'requests'],
  ['promptTokens', 'prompt_tokens'],
  ['completionTokens', 'completion_tokens'],
  ['reasoningTokens', 'reasoning_tokens'],
  ['cachedTokens', 'cached_tokens'],
  ['cacheWriteTokens', 'cache_write_tokens'],
  ['costUsd', 'cost_usd'],
  ['errors', 'errors'],
  ['cacheHits', 'cache_hits'],
];

export const LATENCY_COLUMNS = bucketColumnsOf('latency');
export const OVERHEAD_COLUMNS = bucketColumnsOf('overhead');

/** Every column of a rollup that is added to: the figures, then the two distributions' buckets. */
export const ROLLUP_COUNT_COLUMNS = [
  ...FIGURE_COLUMNS.map(([, column]) => column),
  ...LATENCY_COLUMNS,
  ...OVERHEAD_COLUMNS,
];

/** Where each part of a rollup's values begins: the group (5 columns), figures, buckets. */
const ROLLUP_GROUP_SIZE = 5;
const ROLLUP_FIGURES_AT = ROLLUP_GROUP_SIZE;
const ROLLUP_LATENCY_AT = ROLLUP_FIGURES_AT + FIGURE_COLUMNS.length;
const ROLLUP_OVERHEAD_AT = ROLLUP_LATENCY_AT + DURATION_BUCKETS;
const ROLLUP_SIZE = ROLLUP_OVERHEAD_AT + DURATION_BUCKETS;

export const ROLLUP_TABLES: Record<SpendGrain, { table: string; period: string }> = {
  day: { table: 'spend_daily', period: 'day' },
  hour: { table: 'spend_hourly', period: 'hour' },
};

/** Some of a batch's rows were in the log already: the batch is written again, asking which. */
class RowsStoredBefore extends Error {}

/** Statements kept of each kind: a handful of distinct ones recur. */
const MAX_STATEMENTS = 32;

/** Inserts of spend rows, by row count: a full batch's statement is made once. */
const spendInserts = new Map<string, string>();

function spendInsertOf(rows: number, returning: '' | ' RETURNING id'): string {
  const name = `${rows}${returning}`;
  let statement = spendInserts.get(name);
  if (statement === undefined) {
    statement =
      `INSERT INTO spend_log (${SPEND_COLUMNS.join(', ')}) VALUES ${placeholders(rows, SPEND_COLUMNS.length)} ` +
      `ON CONFLICT (id) DO NOTHING${returning}`;
    if (spendInserts.size >= MAX_STATEMENTS) spendInserts.clear();
    spendInserts.set(name, statement);
  }
  return statement;
}

/** Upserts of rollup rows, by table, row count and the bucket columns they name. */
const rollupStatements = new Map<string, string>();

/**
 * The upsert of `rows` rollup rows into one table, naming the group, the figures and only the
 * bucket columns at `buckets` (positions in a rollup): a batch's calls fall in a few buckets, and
 * a column left out is 0 in `excluded`, so the others are added to unchanged. The statement
 * carries a tenth of the values it would with every bucket.
 */
function rollupStatementOf(grain: SpendGrain, rows: number, buckets: readonly number[]): string {
  const name = `${grain}:${rows}:${buckets.join(',')}`;
  let statement = rollupStatements.get(name);
  if (statement === undefined) {
    const { table, period } = ROLLUP_TABLES[grain];
    const added = [
      ...FIGURE_COLUMNS.map(([, column]) => column),
      ...buckets.map((position) => ROLLUP_COUNT_COLUMNS[position - ROLLUP_FIGURES_AT]!),
    ];
    const columns = [period, 'key_id', 'team_id', 'model', 'provider', ...added];
    const additions = added.map((column) => `${column} = ${table}.${column} + excluded.${column}`);
    statement =
      `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${placeholders(rows, columns.length)} ` +
      `ON CONFLICT (${period}, key_id, team_id, model, provider) DO UPDATE SET ${additions.join(', ')}`;
    if (rollupStatements.size >= MAX_STATEMENTS) rollupStatements.clear();
    rollupStatements.set(name, statement);
  }
  return statement;
}

/** Adds rollup rows to a table: the buckets any of them counted, one statement per chunk. */
async function upsertRollups(
  connection: SqlConnection,
  grain: SpendGrain,
  rollups: readonly SqlValue[][],
): Promise<void> {
  const buckets: number[] = [];
  for (let position = ROLLUP_LATENCY_AT; position < ROLLUP_SIZE; position++) {
    if (rollups.some((rollup) => rollup[position] !== 0)) buckets.push(position);
  }
  const width = ROLLUP_FIGURES_AT + FIGURE_COLUMNS.length + buckets.length;
  for (const chunk of chunksOf(rollups, rowsPerStatement(width))) {
    const values: SqlValue[] = [];
    for (const rollup of chunk) {
      for (let position = 0; position < ROLLUP_LATENCY_AT; position++) values.push(rollup[position]!);
      for (const position of buckets) values.push(rollup[position]!);
    }
    await connection.query(rollupStatementOf(grain, chunk.length, buckets), values);
  }
}

/** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
export type InTransaction = <T>(work: (connection: SqlConnection) => Promise<T>) => Promise<T>;

/**
 * Writes spend entries and adds them to the rollups, in one transaction; resolves with how many
 * rows were new. A row already in the log (same id: a batch written again after an unclear
 * failure) is neither inserted again nor added to the rollups again.
 */
export async function writeSpendEntries(
  inTransaction: InTransaction,
  entries: readonly SpendEntry[],
): Promise<number> {
  const byId = new Map<string, SqlValue[]>();
  for (const entry of entries) {
    const values = valuesOfSpendEntry(entry);
    byId.set(values[0] as string, values);
  }
  if (byId.size === 0) return 0;
  const rows = [...byId.values()];
  try {
    // Nearly always every row is new: the rows go in without asking which were.
    return await inTransaction(async (connection) => {
      let inserted = 0;
      for (const chunk of chunksOf(rows, rowsPerStatement(SPEND_COLUMNS.length))) {
        inserted += await connection.execute(spendInsertOf(chunk.length, ''), chunk.flat());
      }
      if (inserted !== rows.length) throw new RowsStoredBefore();
      await addToRollups(connection, rows);
      return rows.length;
    });
  } catch (error) {
    if (!(error instanceof RowsStoredBefore)) throw error;
  }
  // A batch written again after an unclear failure: only the rows the database lacked count.
  return inTransaction(async (connection) => {
    const added: SqlValue[][] = [];
    for (const chunk of chunksOf(rows, rowsPerStatement(SPEND_COLUMNS.length))) {
      const inserted = await connection.query(spendInsertOf(chunk.length, ' RETURNING id'), chunk.flat());
      const ids = new Set(inserted.map((row) => row['id']));
      for (const values of chunk) if (ids.has(values[0])) added.push(values);
    }
    if (added.length > 0) await addToRollups(connection, added);
    return added.length;
  });
}

async function addToRollups(connection: SqlConnection, rows: readonly SqlValue[][]): Promise<void> {
  const hourly = rollupsOf(rows);
  await upsertRollups(connection, 'hour', hourly);
  await upsertRollups(connection, 'day', dailyRollupsOf(hourly));
}

/**
 * Text as the databases accept it: PostgreSQL refuses NUL characters, and a client's model name or
 * request id could be any length. A row the database refuses would fail its whole batch.
 */
function cleanText(value: string): string {
  const text = value.includes('\u0000') ? value.replaceAll('\u0000', '') : value;
  return text.length > MAX_TEXT ? text.slice(0, MAX_TEXT) : text;
}

function cleanTextOrNull(value: string | null | undefined): string | null {
  return value === null || value === undefined ? null : cleanText(value);
}

/** A count as a non-negative integer (BIGINT refuses 1.5, and NaN would fail the batch). */
function cleanCount(value: number): number {
  return Number.isFinite(value) && value > 0 ? Math.round(value) : 0;
}

function cleanNumberOrNull(value: number | null | undefined): number | null {
  return value === null || value === undefined || !Number.isFinite(value) ? null : value;
}

function cleanDate(value: Date): Date {
  return Number.isNaN(value.getTime()) ? new Date() : value;
}

function valuesOfSpendEntry(entry: SpendEntry): SqlValue[] {
  return [
    cleanText(entry.id),
    cleanDate(entry.at),
    cleanText(entry.requestId),
    cleanTextOrNull(entry.keyId),
    cleanTextOrNull(entry.teamId),
    cleanText(entry.route),
    cleanTextOrNull(entry.requestedModel),
    cleanTextOrNull(entry.model),
    cleanTextOrNull(entry.provider),
    cleanTextOrNull(entry.deployment),
    cleanCount(entry.promptTokens),
    cleanCount(entry.completionTokens),
    cleanCount(entry.reasoningTokens),
    cleanCount(entry.cachedTokens),
    cleanCount(entry.cacheWriteTokens),
    Number.isFinite(entry.costUsd) ? entry.costUsd : 0,
    cleanNumberOrNull(entry.latencyMs),
    cleanNumberOrNull(entry.overheadMs),
    cleanNumberOrNull(entry.status === null ? null : Math.trunc(entry.status)),
    cleanTextOrNull(entry.cacheResult),
    cleanText(entry.outcome),
    entry.estimated === true,
  ];
}

/** Where valuesOfSpendEntry puts each column. */
const SPEND_COLUMN_INDEX = Object.fromEntries(
  SPEND_COLUMNS.map((column, index) => [column, index]),
) as Record<(typeof SPEND_COLUMNS)[number], number>;

/** Outcomes of calls that failed (SPEND_OUTCOMES); a client going away is not a failure. */
const FAILED_OUTCOMES = new Set(['upstream_error', 'timeout', 'gateway_error']);

const AT = SPEND_COLUMN_INDEX.at;
const KEY = SPEND_COLUMN_INDEX.key_id;
const TEAM = SPEND_COLUMN_INDEX.team_id;
const MODEL = SPEND_COLUMN_INDEX.model;
const REQUESTED_MODEL = SPEND_COLUMN_INDEX.requested_model;
const PROVIDER = SPEND_COLUMN_INDEX.provider;
const STATUS = SPEND_COLUMN_INDEX.status;
const OUTCOME = SPEND_COLUMN_INDEX.outcome;
const CACHE_RESULT = SPEND_COLUMN_INDEX.cache_result;
const LATENCY = SPEND_COLUMN_INDEX.latency_ms;
const OVERHEAD = SPEND_COLUMN_INDEX.overhead_ms;
/** The spend columns added up, in FIGURE_COLUMNS' order after `requests` (errors and hits apart). */
const SUMMED = [
  SPEND_COLUMN_INDEX.prompt_tokens,
  SPEND_COLUMN_INDEX.completion_tokens,
  SPEND_COLUMN_INDEX.reasoning_tokens,
  SPEND_COLUMN_INDEX.cached_tokens,
  SPEND_COLUMN_INDEX.cache_write_tokens,
  SPEND_COLUMN_INDEX.cost_usd,
];

/** Sorted by the group's name, so that replicas writing at once lock rollup rows in one order. */
function sortedRollups(byGroup: Map<string, SqlValue[]>): SqlValue[][] {
  return [...byGroup.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, rollup]) => rollup);
}

/**
 * The rows' figures added up per hour, key, team, model and provider, as rows of spend_hourly's
 * columns (the hour, the group, ROLLUP_COUNT_COLUMNS).
 */
function rollupsOf(rows: readonly SqlValue[][]): SqlValue[][] {
  const byGroup = new Map<string, SqlValue[]>();
  // Rows of one batch nearly all fall in one hour: its start is made once.
  let hourNumber = Number.NaN;
  let hour = new Date(0);
  let hourText = '';
  for (const values of rows) {
    const time = (values[AT] as Date).getTime();
    if (Math.floor(time / HOUR_MS) !== hourNumber) {
      hourNumber = Math.floor(time / HOUR_MS);
      hour = new Date(hourNumber * HOUR_MS);
      hourText = String(hourNumber);
    }
    const key = (values[KEY] ?? '') as string;
    const team = (values[TEAM] ?? '') as string;
    const model = (values[MODEL] ?? values[REQUESTED_MODEL] ?? '') as string;
    const provider = (values[PROVIDER] ?? '') as string;
    const name = `${hourText}\u0000${key}\u0000${team}\u0000${model}\u0000${provider}`;
    let rollup = byGroup.get(name);
    if (rollup === undefined) {
      rollup = new Array<SqlValue>(ROLLUP_SIZE).fill(0);
      rollup[0] = hour;
      rollup[1] = key;
      rollup[2] = team;
      rollup[3] = model;
      rollup[4] = provider;
      byGroup.set(name, rollup);
    }
    (rollup[ROLLUP_FIGURES_AT] as number)++;
    for (let index = 0; index < SUMMED.length; index++) {
      (rollup[ROLLUP_FIGURES_AT + 1 + index] as number) += values[SUMMED[index]!] as number;
    }
    const status = values[STATUS] as number | null;
    if ((status !== null && status >= 400) || FAILED_OUTCOMES.has(values[OUTCOME] as string)) {
      (rollup[ROLLUP_FIGURES_AT + 7] as number)++;
    }
    if (values[CACHE_RESULT] === 'hit') (rollup[ROLLUP_FIGURES_AT + 8] as number)++;
    const latency = values[LATENCY] as number | null;
    if (latency !== null) (rollup[ROLLUP_LATENCY_AT + bucketOfDuration(latency)] as number)++;
    const overhead = values[OVERHEAD] as number | null;
    if (overhead !== null) (rollup[ROLLUP_OVERHEAD_AT + bucketOfDuration(overhead)] as number)++;
  }
  return sortedRollups(byGroup);
}

/** Hourly rollups added up per UTC day, as rows of spend_daily's columns. */
function dailyRollupsOf(hourly: readonly SqlValue[][]): SqlValue[][] {
  const byGroup = new Map<string, SqlValue[]>();
  for (const hourRollup of hourly) {
    const day = (hourRollup[0] as Date).toISOString().slice(0, 10);
    const name = `${day}\u0000${hourRollup.slice(1, ROLLUP_GROUP_SIZE).join('\u0000')}`;
    const rollup = byGroup.get(name);
    if (rollup === undefined) {
      byGroup.set(name, [day, ...hourRollup.slice(1)]);
      continue;
    }
    for (let index = ROLLUP_GROUP_SIZE; index < ROLLUP_SIZE; index++) {
      (rollup[index] as number) += hourRollup[index] as number;
    }
  }
  return sortedRollups(byGroup);
}

/** `(?, ?, ?), (?, ?, ?)` for `rows` rows of `columns` values. */
function placeholders(rows: number, columns: number): string {
  const row = `(${new Array(columns).fill('?').join(', ')})`;
  return new Array(rows).fill(row).join(', ');
}

/** Rows of `columns` values that one statement takes. */
function rowsPerStatement(columns: number): number {
  return Math.floor(VALUES_PER_STATEMENT / columns);
}

function chunksOf<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}
