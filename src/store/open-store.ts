/**
 * The store the configuration asks for: PostgreSQL when a database URL is given (replicas share
 * it), else the embedded SQLite file under the data directory.
 */
import { openPostgresStore, type PostgresStoreOptions, type StoreLog } from './postgres-store.js';
import { openSqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';

export interface OpenStoreOptions {
  /** `postgresql://…`; absent = SQLite. */
  databaseUrl?: string | undefined;
  /** The SQLite file's folder (`./data` in the standalone server). */
  dataDir: string;
  /** PostgreSQL's pool and schema. */
  postgres?: Omit<PostgresStoreOptions, 'url' | 'log' | 'now'>;
  log?: StoreLog;
  now?: () => Date;
}

export function openStore(options: OpenStoreOptions): Promise<Store> {
  if (options.databaseUrl) {
    return openPostgresStore({
      ...options.postgres,
      url: options.databaseUrl,
      log: options.log,
      now: options.now,
    });
  }
  return openSqliteStore({ dataDir: options.dataDir, now: options.now });
}
