/**
 * The store's schema, as numbered migrations applied in order when a store opens. A migration is
 * never edited once released (each is written out in full, sharing nothing with later code): a
 * change is a new one at the end. `schema_migrations` records each
 * applied version; a database at a version past the last one here was migrated by newer code, and
 * the store refuses to open it (StoreVersionError).
 *
 * Both dialects hold the same columns. Times are TIMESTAMPTZ in PostgreSQL and ISO-8601 UTC text
 * (`Date.prototype.toISOString`, which sorts in time order) in SQLite; days are `YYYY-MM-DD`.
 * @see https://www.sqlite.org/lang_createtable.html
 * @see https://www.postgresql.org/docs/current/ddl.html
 */
import type { StoreBackend } from './store.js';

export interface Migration {
  version: number;
  description: string;
  statements: Record<StoreBackend, readonly string[]>;
}

// ----- migration 3, written out here so that later code can change without changing it -----

/** Buckets per duration distribution, and their bounds: 0.1 ms · √2^k for k = 0 … 46. */
const VERSION_3_BUCKETS = 48;
const VERSION_3_BOUNDS = Array.from({ length: VERSION_3_BUCKETS - 1 }, (_, k) => 0.1 * Math.SQRT2 ** k);

function version3BucketColumns(name: string): string[] {
  return Array.from({ length: VERSION_3_BUCKETS }, (_, index) => `${name}_${String(index).padStart(2, '0')}`);
}

const VERSION_3_NEW_COLUMNS = [
  'errors',
  'cache_hits',
  ...version3BucketColumns('latency'),
  ...version3BucketColumns('overhead'),
];

/** The bucket of a duration column (NULL when the duration is). */
function version3Bucket(column: string): string {
  const cases = VERSION_3_BOUNDS.map((bound, index) => `WHEN ${column} < ${bound} THEN ${index}`).join(' ');
  return `CASE WHEN ${column} IS NULL THEN NULL ${cases} ELSE ${VERSION_3_BUCKETS - 1} END`;
}

/**
 * The spend log's rows added up per period (`period` is the SQL of the row's day or hour) and
 * group, with every column of spend_daily's: the figures of versions 2 and 3.
 */
function version3Figures(period: string): string {
  const counts = (name: string, bucket: string) =>
    version3BucketColumns(name).map(
      (column, index) => `sum(CASE WHEN ${bucket} = ${index} THEN 1 ELSE 0 END) AS ${column}`,
    );
  return `SELECT period, key_id, team_id, model, provider, count(*) AS requests, sum(prompt_tokens) AS prompt_tokens,
      sum(completion_tokens) AS completion_tokens, sum(reasoning_tokens) AS reasoning_tokens,
      sum(cached_tokens) AS cached_tokens, sum(cache_write_tokens) AS cache_write_tokens,
      sum(cost_usd) AS cost_usd, sum(failed) AS errors, sum(hit) AS cache_hits,
      ${[...counts('latency', 'latency_bucket'), ...counts('overhead', 'overhead_bucket')].join(',\n      ')}
    FROM (
      SELECT ${period} AS period, coalesce(key_id, '') AS key_id, coalesce(team_id, '') AS team_id,
        coalesce(model, requested_model, '') AS model, coalesce(provider, '') AS provider,
        prompt_tokens, completion_tokens, reasoning_tokens, cached_tokens, cache_write_tokens, cost_usd,
        CASE WHEN status >= 400 OR outcome IN ('upstream_error', 'timeout', 'gateway_error') THEN 1 ELSE 0 END AS failed,
        CASE WHEN cache_result = 'hit' THEN 1 ELSE 0 END AS hit,
        ${version3Bucket('latency_ms')} AS latency_bucket,
        ${version3Bucket('overhead_ms')} AS overhead_bucket
      FROM spend_log
    ) AS logged_rows
    GROUP BY period, key_id, team_id, model, provider`;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'teams, keys and the spend log',
    statements: {
      sqlite: [
        `CREATE TABLE teams (
          id TEXT PRIMARY KEY,
          name TEXT NOT NULL UNIQUE,
          budget_usd REAL,
          budget_period TEXT CHECK (budget_period IN ('daily', 'monthly')),
          allowed_models TEXT,
          rate_limits TEXT,
          metadata TEXT NOT NULL DEFAULT '{}',
          created_at TEXT NOT NULL,
          updated_at TEXT NOT NULL
        )`,
        `CREATE TABLE api_keys (
          id TEXT PRIMARY KEY,
          name TEXT NOT NULL,
          hash TEXT NOT NULL UNIQUE,
          prefix TEXT NOT NULL,
          team_id TEXT REFERENCES teams (id) ON DELETE SET NULL,
          allowed_models TEXT,
          rate_limits TEXT,
          budget_usd REAL,
          budget_period TEXT CHECK (budget_period IN ('daily', 'monthly')),
          byok INTEGER NOT NULL DEFAULT 0,
          expires_at TEXT,
          metadata TEXT NOT NULL DEFAULT '{}',
          created_at TEXT NOT NULL,
          updated_at TEXT NOT NULL,
          rotated_at TEXT,
          revoked_at TEXT,
          previous_hash TEXT,
          previous_valid_until TEXT
        )`,
        'CREATE INDEX api_keys_previous_hash ON api_keys (previous_hash) WHERE previous_hash IS NOT NULL',
        'CREATE INDEX api_keys_team ON api_keys (team_id)',
        'CREATE INDEX api_keys_created ON api_keys (created_at, id)',
        `CREATE TABLE spend_log (
          id TEXT PRIMARY KEY,
          at TEXT NOT NULL,
          request_id TEXT NOT NULL,
          key_id TEXT,
          team_id TEXT,
          route TEXT NOT NULL,
          requested_model TEXT,
          model TEXT,
          provider TEXT,
          deployment TEXT,
          prompt_tokens INTEGER NOT NULL DEFAULT 0,
          completion_tokens INTEGER NOT NULL DEFAULT 0,
          reasoning_tokens INTEGER NOT NULL DEFAULT 0,
          cached_tokens INTEGER NOT NULL DEFAULT 0,
          cache_write_tokens INTEGER NOT NULL DEFAULT 0,
          cost_usd REAL NOT NULL DEFAULT 0,
          latency_ms REAL,
          overhead_ms REAL,
          status INTEGER,
          cache_result TEXT,
          outcome TEXT NOT NULL,
          estimated INTEGER NOT NULL DEFAULT 0
        )`,
        'CREATE INDEX spend_log_at ON spend_log (at, id)',
        'CREATE INDEX spend_log_key ON spend_log (key_id, at)',
        'CREATE INDEX spend_log_team ON spend_log (team_id, at)',
        'CREATE INDEX spend_log_request ON spend_log (request_id)',
      ],
      postgres: [
        `CREATE TABLE teams (
          id TEXT PRIMARY KEY,
          name TEXT NOT NULL UNIQUE,
          budget_usd DOUBLE PRECISION,
          budget_period TEXT CHECK (budget_period IN ('daily', 'monthly')),
          allowed_models JSONB,
          rate_limits JSONB,
          metadata JSONB NOT NULL DEFAULT '{}',
          created_at TIMESTAMPTZ NOT NULL,
          updated_at TIMESTAMPTZ NOT NULL
        )`,
        `CREATE TABLE api_keys (
          id TEXT PRIMARY KEY,
          name TEXT NOT NULL,
          hash TEXT NOT NULL UNIQUE,
          prefix TEXT NOT NULL,
          team_id TEXT REFERENCES teams (id) ON DELETE SET NULL,
          allowed_models JSONB,
          rate_limits JSONB,
          budget_usd DOUBLE PRECISION,
          budget_period TEXT CHECK (budget_period IN ('daily', 'monthly')),
          byok BOOLEAN NOT NULL DEFAULT FALSE,
          expires_at TIMESTAMPTZ,
          metadata JSONB NOT NULL DEFAULT '{}',
          created_at TIMESTAMPTZ NOT NULL,
          updated_at TIMESTAMPTZ NOT NULL,
          rotated_at TIMESTAMPTZ,
          revoked_at TIMESTAMPTZ,
          previous_hash TEXT,
          previous_valid_until TIMESTAMPTZ
        )`,
        'CREATE INDEX api_keys_previous_hash ON api_keys (previous_hash) WHERE previous_hash IS NOT NULL',
        'CREATE INDEX api_keys_team ON api_keys (team_id)',
        'CREATE INDEX api_keys_created ON api_keys (created_at, id)',
        `CREATE TABLE spend_log (
          id TEXT PRIMARY KEY,
          at TIMESTAMPTZ NOT NULL,
          request_id TEXT NOT NULL,
          key_id TEXT,
          team_id TEXT,
          route TEXT NOT NULL,
          requested_model TEXT,
          model TEXT,
          provider TEXT,
          deployment TEXT,
          prompt_tokens BIGINT NOT NULL DEFAULT 0,
          completion_tokens BIGINT NOT NULL DEFAULT 0,
          reasoning_tokens BIGINT NOT NULL DEFAULT 0,
          cached_tokens BIGINT NOT NULL DEFAULT 0,
          cache_write_tokens BIGINT NOT NULL DEFAULT 0,
          cost_usd DOUBLE PRECISION NOT NULL DEFAULT 0,
          latency_ms DOUBLE PRECISION,
          overhead_ms DOUBLE PRECISION,
          status INTEGER,
          cache_result TEXT,
          outcome TEXT NOT NULL,
          estimated BOOLEAN NOT NULL DEFAULT FALSE
        )`,
        'CREATE INDEX spend_log_at ON spend_log (at, id)',
        'CREATE INDEX spend_log_key ON spend_log (key_id, at)',
        'CREATE INDEX spend_log_team ON spend_log (team_id, at)',
        'CREATE INDEX spend_log_request ON spend_log (request_id)',
      ],
    },
  },
  {
    // Budgets and reports over months must not depend on the spend log's retention: the figures
    // per day are kept in a table of their own, filled from the rows already logged.
    version: 2,
    description: 'daily rollups per key, team, model and provider',
    statements: {
      sqlite: [
        `CREATE TABLE spend_daily (
          day TEXT NOT NULL,
          key_id TEXT NOT NULL,
          team_id TEXT NOT NULL,
          model TEXT NOT NULL,
          provider TEXT NOT NULL,
          requests INTEGER NOT NULL,
          prompt_tokens INTEGER NOT NULL,
          completion_tokens INTEGER NOT NULL,
          reasoning_tokens INTEGER NOT NULL,
          cached_tokens INTEGER NOT NULL,
          cache_write_tokens INTEGER NOT NULL,
          cost_usd REAL NOT NULL,
          PRIMARY KEY (day, key_id, team_id, model, provider)
        )`,
        'CREATE INDEX spend_daily_key ON spend_daily (key_id, day)',
        'CREATE INDEX spend_daily_team ON spend_daily (team_id, day)',
        `INSERT INTO spend_daily
          SELECT substr(at, 1, 10), coalesce(key_id, ''), coalesce(team_id, ''),
            coalesce(model, requested_model, ''), coalesce(provider, ''), count(*),
            sum(prompt_tokens), sum(completion_tokens), sum(reasoning_tokens), sum(cached_tokens), sum(cache_write_tokens), sum(cost_usd)
          FROM spend_log GROUP BY 1, 2, 3, 4, 5`,
      ],
      postgres: [
        `CREATE TABLE spend_daily (
          day DATE NOT NULL,
          key_id TEXT NOT NULL,
          team_id TEXT NOT NULL,
          model TEXT NOT NULL,
          provider TEXT NOT NULL,
          requests BIGINT NOT NULL,
          prompt_tokens BIGINT NOT NULL,
          completion_tokens BIGINT NOT NULL,
          reasoning_tokens BIGINT NOT NULL,
          cached_tokens BIGINT NOT NULL,
          cache_write_tokens BIGINT NOT NULL,
          cost_usd DOUBLE PRECISION NOT NULL,
          PRIMARY KEY (day, key_id, team_id, model, provider)
        )`,
        'CREATE INDEX spend_daily_key ON spend_daily (key_id, day)',
        'CREATE INDEX spend_daily_team ON spend_daily (team_id, day)',
        `INSERT INTO spend_daily
          SELECT (at AT TIME ZONE 'UTC')::date, coalesce(key_id, ''), coalesce(team_id, ''),
            coalesce(model, requested_model, ''), coalesce(provider, ''), count(*),
            sum(prompt_tokens), sum(completion_tokens), sum(reasoning_tokens), sum(cached_tokens), sum(cache_write_tokens), sum(cost_usd)
          FROM spend_log GROUP BY 1, 2, 3, 4, 5`,
      ],
    },
  },
  {
    // The dashboard's figures over any range from the rollups: failures, cache hits, and latency
    // and overhead distributions in buckets that add up (src/store/duration-histogram.ts), per day
    // and per hour. Both are filled from the rows still in the spend log.
    version: 3,
    description: 'errors, cache hits and duration buckets in the rollups; hourly rollups',
    statements: {
      sqlite: [
        ...VERSION_3_NEW_COLUMNS.map(
          (column) => `ALTER TABLE spend_daily ADD COLUMN ${column} INTEGER NOT NULL DEFAULT 0`,
        ),
        `CREATE TABLE spend_hourly (
          hour TEXT NOT NULL,
          key_id TEXT NOT NULL,
          team_id TEXT NOT NULL,
          model TEXT NOT NULL,
          provider TEXT NOT NULL,
          requests INTEGER NOT NULL,
          prompt_tokens INTEGER NOT NULL,
          completion_tokens INTEGER NOT NULL,
          reasoning_tokens INTEGER NOT NULL,
          cached_tokens INTEGER NOT NULL,
          cache_write_tokens INTEGER NOT NULL,
          cost_usd REAL NOT NULL,
          ${VERSION_3_NEW_COLUMNS.map((column) => `${column} INTEGER NOT NULL DEFAULT 0`).join(',\n          ')},
          PRIMARY KEY (hour, key_id, team_id, model, provider)
        )`,
        `UPDATE spend_daily SET ${VERSION_3_NEW_COLUMNS.map((column) => `${column} = logged.${column}`).join(', ')}
          FROM (${version3Figures('substr(at, 1, 10)')}) AS logged
          WHERE spend_daily.day = logged.period AND spend_daily.key_id = logged.key_id
            AND spend_daily.team_id = logged.team_id AND spend_daily.model = logged.model
            AND spend_daily.provider = logged.provider`,
        `INSERT INTO spend_hourly (hour, key_id, team_id, model, provider, requests, prompt_tokens,
            completion_tokens, reasoning_tokens, cached_tokens, cache_write_tokens, cost_usd,
            ${VERSION_3_NEW_COLUMNS.join(', ')})
          ${version3Figures("substr(at, 1, 13) || ':00:00.000Z'")}`,
      ],
      postgres: [
        `ALTER TABLE spend_daily ${VERSION_3_NEW_COLUMNS.map(
          (column) =>
            `ADD COLUMN ${column} ${column.startsWith('errors') || column.startsWith('cache') ? 'BIGINT' : 'INTEGER'} NOT NULL DEFAULT 0`,
        ).join(', ')}`,
        `CREATE TABLE spend_hourly (
          hour TIMESTAMPTZ NOT NULL,
          key_id TEXT NOT NULL,
          team_id TEXT NOT NULL,
          model TEXT NOT NULL,
          provider TEXT NOT NULL,
          requests BIGINT NOT NULL,
          prompt_tokens BIGINT NOT NULL,
          completion_tokens BIGINT NOT NULL,
          reasoning_tokens BIGINT NOT NULL,
          cached_tokens BIGINT NOT NULL,
          cache_write_tokens BIGINT NOT NULL,
          cost_usd DOUBLE PRECISION NOT NULL,
          ${VERSION_3_NEW_COLUMNS.map(
            (column) =>
              `${column} ${column.startsWith('errors') || column.startsWith('cache') ? 'BIGINT' : 'INTEGER'} NOT NULL DEFAULT 0`,
          ).join(',\n          ')},
          PRIMARY KEY (hour, key_id, team_id, model, provider)
        )`,
        `UPDATE spend_daily SET ${VERSION_3_NEW_COLUMNS.map((column) => `${column} = logged.${column}`).join(', ')}
          FROM (${version3Figures("(at AT TIME ZONE 'UTC')::date")}) AS logged
          WHERE spend_daily.day = logged.period AND spend_daily.key_id = logged.key_id
            AND spend_daily.team_id = logged.team_id AND spend_daily.model = logged.model
            AND spend_daily.provider = logged.provider`,
        `INSERT INTO spend_hourly (hour, key_id, team_id, model, provider, requests, prompt_tokens,
            completion_tokens, reasoning_tokens, cached_tokens, cache_write_tokens, cost_usd,
            ${VERSION_3_NEW_COLUMNS.join(', ')})
          ${version3Figures("date_trunc('hour', at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'")}`,
      ],
    },
  },
];

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** The table of applied versions, created before anything else. */
export const MIGRATIONS_TABLE: Record<StoreBackend, string> = {
  sqlite: `CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    description TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`,
  postgres: `CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    description TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL
  )`,
};
