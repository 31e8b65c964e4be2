/**
 * The two stores the shared suites run against: a SQLite file in a temporary folder, and the
 * machine's PostgreSQL in a schema of this run's own (dropped at the end).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPostgresStore, type PostgresStoreOptions } from '../../../src/store/postgres-store.js';
import { openSqliteStore } from '../../../src/store/sqlite-store.js';
import type { SqlStore, SqlStoreOptions } from '../../../src/store/sql-store.js';
import type { StoreBackend } from '../../../src/store/store.js';
import {
  SHARED_POSTGRES_URL,
  dropPostgresSchema,
  uniquePostgresSchema,
} from '../../helpers/shared-postgres.js';

export interface TestBackend {
  readonly name: StoreBackend;
  /** Opens (and on first call creates) this backend's database; each call a new store. */
  open(options?: SqlStoreOptions & Partial<PostgresStoreOptions>): Promise<SqlStore>;
  /** Deletes the database. */
  remove(): Promise<void>;
}

export async function sqliteBackend(): Promise<TestBackend> {
  const folder = await mkdtemp(join(tmpdir(), 'llm-gateway-store-'));
  return {
    name: 'sqlite',
    open: (options = {}) => openSqliteStore({ ...options, dataDir: join(folder, 'data') }),
    remove: () => rm(folder, { recursive: true, force: true }),
  };
}

export async function postgresBackend(label: string): Promise<TestBackend> {
  const schema = uniquePostgresSchema(label);
  return {
    name: 'postgres',
    open: (options = {}) => openPostgresStore({ url: SHARED_POSTGRES_URL, schema, ...options }),
    remove: () => dropPostgresSchema(schema),
  };
}

export const BACKENDS: readonly { name: StoreBackend; create: (label: string) => Promise<TestBackend> }[] = [
  { name: 'sqlite', create: () => sqliteBackend() },
  { name: 'postgres', create: (label) => postgresBackend(label) },
];
