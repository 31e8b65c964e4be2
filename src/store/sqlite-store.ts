/**
 * The embedded store: one SQLite file under the data directory (created on first start), through
 * Node's built-in `node:sqlite`, so the default gateway needs no database server and no native
 * build.
 *
 * `DatabaseSync` answers synchronously. The store's callers already keep it off the request path
 * (look-ups cached by src/store/key-cache.ts, spend rows written in batches by
 * src/store/spend-writer.ts), so a call blocks the event loop only for the statement itself: tens
 * of microseconds for a look-up, a few milliseconds for a batch of rows. Calls are queued one at a
 * time, so that a transaction's statements are never interleaved with another caller's.
 *
 * WAL journal: readers do not wait for the writer, and a commit is one append to the log.
 * `synchronous = NORMAL` is WAL's recommended setting: a power cut can lose the last commits, never
 * corrupt the file.
 * @see https://nodejs.org/api/sqlite.html
 * @see https://www.sqlite.org/wal.html
 * @see https://www.sqlite.org/pragma.html#pragma_synchronous
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { LRUCache } from 'lru-cache';
import type { SqlConnection, SqlDriver, SqlRow, SqlValue } from './sql-driver.js';
import { openSqlStore, type SqlStore, type SqlStoreOptions } from './sql-store.js';
import type { KeyChange } from './store.js';

export interface SqliteStoreOptions extends SqlStoreOptions {
  /** The folder of the database file, created when missing. */
  dataDir: string;
  /** The file's name in `dataDir`. */
  fileName?: string;
}

export const DEFAULT_SQLITE_FILE = 'gateway.sqlite';

/** How long a write waits for another process holding the file's write lock. */
const BUSY_TIMEOUT_MS = 5000;

/** SQLITE_CONSTRAINT_PRIMARYKEY and SQLITE_CONSTRAINT_UNIQUE (extended result codes). */
const UNIQUE_VIOLATIONS = new Set([1555, 2067]);

export async function openSqliteStore(options: SqliteStoreOptions): Promise<SqlStore> {
  mkdirSync(options.dataDir, { recursive: true });
  const path = resolve(join(options.dataDir, options.fileName ?? DEFAULT_SQLITE_FILE));
  const driver = new SqliteDriver(path);
  try {
    return await openSqlStore(driver, options);
  } catch (error) {
    await driver.close();
    throw error;
  }
}

function encodeValue(value: SqlValue): SQLInputValue {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value;
}

class SqliteDriver implements SqlDriver {
  readonly backend = 'sqlite' as const;
  readonly where: string;
  readonly #database: DatabaseSync;
  // A handful of distinct statements (filters, chunk sizes) are prepared again and again.
  readonly #statements = new LRUCache<string, StatementSync>({ max: 200 });
  #tail: Promise<unknown> = Promise.resolve();

  constructor(path: string) {
    this.where = path;
    this.#database = new DatabaseSync(path, { enableForeignKeyConstraints: true });
    this.#database.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    this.#database.exec('PRAGMA journal_mode = WAL');
    this.#database.exec('PRAGMA synchronous = NORMAL');
  }

  query(sql: string, parameters: readonly SqlValue[] = []): Promise<SqlRow[]> {
    return this.#alone(() => this.#run(sql, parameters));
  }

  transaction<T>(work: (connection: SqlConnection) => Promise<T>): Promise<T> {
    return this.#alone(() => this.#inTransaction(work));
  }

  // BEGIN IMMEDIATE takes the file's write lock, so two processes migrating one file take turns.
  exclusiveTransaction<T>(work: (connection: SqlConnection) => Promise<T>): Promise<T> {
    return this.transaction(work);
  }

  // One process holds a SQLite file: the store's own listeners are all there is to tell.
  async announce(_connection: SqlConnection, _change: KeyChange): Promise<void> {}

  async watch(_listener: (change: KeyChange) => void): Promise<void> {}

  isUniqueViolation(error: unknown): boolean {
    return UNIQUE_VIOLATIONS.has((error as { errcode?: number } | null)?.errcode ?? 0);
  }

  async close(): Promise<void> {
    await this.#alone(() => {
      if (this.#database.isOpen) this.#database.close();
    });
  }

  async #inTransaction<T>(work: (connection: SqlConnection) => Promise<T>): Promise<T> {
    // Inside the queue already: the transaction's own statements run at once.
    const connection: SqlConnection = {
      query: async (sql, parameters = []) => this.#run(sql, parameters),
    };
    this.#database.exec('BEGIN IMMEDIATE');
    try {
      const result = await work(connection);
      this.#database.exec('COMMIT');
      return result;
    } catch (error) {
      if (this.#database.isTransaction) this.#database.exec('ROLLBACK');
      throw error;
    }
  }

  #run(sql: string, parameters: readonly SqlValue[]): SqlRow[] {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#database.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement.all(...parameters.map(encodeValue)) as SqlRow[];
  }

  #alone<T>(work: () => T | Promise<T>): Promise<T> {
    const result = this.#tail.then(work);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
