/**
 * The store the configuration asks for: PostgreSQL when a database URL is given (replicas share
 * it), else the embedded SQLite file under the data directory.
 */
import type { PostgresStoreOptions, StoreLog } from './postgres-store.js';
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

// Each backend is loaded when chosen: a gateway on SQLite never loads the PostgreSQL client, and one
// with the store off loads neither.
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  if (options.databaseUrl) {
    const { openPostgresStore } = await import('./postgres-store.js');
    return openPostgresStore({
      ...options.postgres,
      url: options.databaseUrl,
      log: options.log,
      now: options.now,
    });
  }
  const { openSqliteStore } = await import('./sqlite-store.js');
  return openSqliteStore({ dataDir: options.dataDir, now: options.now });
}
