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
