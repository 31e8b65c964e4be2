/**
 * The two stores the shared suites run against: a SQLite file in a temporary folder, and the
 * machine's PostgreSQL in a schema of this run's own (dropped at the end).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { openPostgresStore, type PostgresStoreOptions } from '../../../src/store/postgres-store.js';
import { DEFAULT_SQLITE_FILE, openSqliteStore } from '../../../src/store/sqlite-store.js';
import type { SqlStore, SqlStoreOptions } from '../../../src/store/sql-store.js';
import type { StoreBackend } from '../../../src/store/store.js';
import {
  SHARED_POSTGRES_URL,
  dropPostgresSchema,
  onPostgres,
  uniquePostgresSchema,
} from '../../helpers/shared-postgres.js';

export interface TestBackend {
  readonly name: StoreBackend;
  /** Opens (and on first call creates) this backend's database; each call a new store. */
  open(options?: SqlStoreOptions & Partial<PostgresStoreOptions>): Promise<SqlStore>;
  /** Runs SQL on the database directly (several statements allowed), beside any store. */
  execute(sql: string): Promise<void>;
  /** The rows of one query run directly on the database. */
  select(sql: string): Promise<Record<string, unknown>[]>;
  /** Deletes the database. */
  remove(): Promise<void>;
}

export async function sqliteBackend(): Promise<TestBackend> {
  const folder = await mkdtemp(join(tmpdir(), 'llm-gateway-store-'));
  const dataDir = join(folder, 'data');
  const onFile = async <T>(work: (database: DatabaseSync) => T): Promise<T> => {
    await mkdir(dataDir, { recursive: true });
    const database = new DatabaseSync(join(dataDir, DEFAULT_SQLITE_FILE));
    try {
      return work(database);
    } finally {
      database.close();
    }
  };
  return {
    name: 'sqlite',
    open: (options = {}) => openSqliteStore({ ...options, dataDir }),
    execute: (sql) => onFile((database) => database.exec(sql)),
    select: (sql) => onFile((database) => database.prepare(sql).all() as Record<string, unknown>[]),
    remove: () => rm(folder, { recursive: true, force: true }),
  };
}

export async function postgresBackend(label: string): Promise<TestBackend> {
  const schema = uniquePostgresSchema(label);
  const inSchema = `CREATE SCHEMA IF NOT EXISTS "${schema}"; SET search_path TO "${schema}";`;
  return {
    name: 'postgres',
    open: (options = {}) => openPostgresStore({ url: SHARED_POSTGRES_URL, schema, ...options }),
    execute: (sql) =>
      onPostgres(SHARED_POSTGRES_URL, async (client) => void (await client.query(`${inSchema} ${sql}`))),
    select: (sql) =>
      onPostgres(SHARED_POSTGRES_URL, async (client) => {
        await client.query(inSchema);
        return (await client.query(sql)).rows as Record<string, unknown>[];
      }),
    remove: () => dropPostgresSchema(schema),
  };
}

export const BACKENDS: readonly { name: StoreBackend; create: (label: string) => Promise<TestBackend> }[] = [
  { name: 'sqlite', create: () => sqliteBackend() },
  { name: 'postgres', create: (label) => postgresBackend(label) },
];
