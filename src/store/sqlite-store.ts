/**
 * The embedded store: one SQLite file under the data directory (created on first start), through
 * Node's built-in `node:sqlite`, so the default gateway needs no database server and no native
 * build.
 *
 * `DatabaseSync` answers synchronously, so the connection lives in a worker thread
 * (src/store/sqlite-worker.ts): a batch of spend rows costs the event loop only the copy of its
 * values into a message, not the milliseconds SQLite spends writing it. Statements are sent one at
 * a time, in order, so that a transaction's statements are never interleaved with another caller's.
 *
 * WAL journal: readers do not wait for the writer, and a commit is one append to the log.
 * `synchronous = NORMAL` is WAL's recommended setting: a power cut can lose the last commits, never
 * corrupt the file.
 * @see https://nodejs.org/api/sqlite.html
 * @see https://www.sqlite.org/wal.html
 * @see https://www.sqlite.org/pragma.html#pragma_synchronous
 */
import { mkdirSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { SqlConnection, SqlDriver, SqlRow, SqlValue } from './sql-driver.js';
import { openSqlStore, type SqlStore, type SqlStoreOptions } from './sql-store.js';
import { toSqliteValue } from './sqlite-value.js';
import { StoreUnavailableError, type KeyChange, type SpendEntry } from './store.js';
import type { SqliteReply, SqliteRequest, SqliteWorkerData } from './sqlite-worker.js';

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

// The worker is TypeScript beside this file in development (Node strips its types), JavaScript in
// the build.
const WORKER_URL = new URL(`./sqlite-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

export async function openSqliteStore(options: SqliteStoreOptions): Promise<SqlStore> {
  mkdirSync(options.dataDir, { recursive: true });
  const path = resolve(join(options.dataDir, options.fileName ?? DEFAULT_SQLITE_FILE));
  const driver = await SqliteDriver.start(path);
  try {
    return await openSqlStore(driver, options);
  } catch (error) {
    await driver.close();
    throw error;
  }
}

/** An error the database thread reported, with SQLite's extended result code. */
class SqliteError extends Error {
  override name = 'SqliteError';

  constructor(
    message: string,
    readonly errcode: number | undefined,
  ) {
    super(message);
  }
}

interface Pending {
  resolve: (result: SqlRow[] | number) => void;
  reject: (error: Error) => void;
}

class SqliteDriver implements SqlDriver {
  readonly backend = 'sqlite' as const;
  readonly where: string;
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #failure: Error | null = null;
  #tail: Promise<unknown> = Promise.resolve();

  private constructor(path: string) {
    this.where = path;
    this.#worker = new Worker(WORKER_URL, {
      workerData: { path, busyTimeoutMs: BUSY_TIMEOUT_MS } satisfies SqliteWorkerData,
    });
    this.#worker.on('message', (reply: SqliteReply) => this.#answer(reply));
    this.#worker.on('error', (error) => this.#fail(error));
    this.#worker.on('exit', () =>
      this.#fail(new StoreUnavailableError(`The SQLite thread for ${path} has ended.`)),
    );
    // Waiting on the database keeps the process alive; an idle connection does not.
    this.#worker.unref();
  }

  /** Starts the database thread; resolves once the file is open. */
  static async start(path: string): Promise<SqliteDriver> {
    const driver = new SqliteDriver(path);
    try {
      await new Promise<SqlRow[] | number>((resolve, reject) => driver.#wait(0, { resolve, reject }));
    } catch (error) {
      await driver.#worker.terminate();
      throw error;
    }
    return driver;
  }

  query(sql: string, parameters: readonly SqlValue[] = []): Promise<SqlRow[]> {
    return this.#alone(() => this.#send(sql, parameters));
  }

  execute(sql: string, parameters: readonly SqlValue[] = []): Promise<number> {
    return this.#alone(() => this.#send(sql, parameters, true));
  }

  transaction<T>(work: (connection: SqlConnection) => Promise<T>): Promise<T> {
    return this.#alone(() => this.#inTransaction(work));
  }

  // The thread makes the batch's statements: the event loop only posts the entries.
  writeSpend(entries: readonly SpendEntry[]): Promise<number> {
    return this.#alone(() => this.#post((id) => ({ id, spend: entries })) as Promise<number>);
  }

  // BEGIN IMMEDIATE takes the file's write lock, so two processes migrating one file take turns.
  exclusiveTransaction<T>(work: (connection: SqlConnection) => Promise<T>): Promise<T> {
    return this.transaction(work);
  }

  // One process holds a SQLite file: the store's own listeners are all there is to tell.
  async announce(_connection: SqlConnection, _change: KeyChange): Promise<void> {}

  async watch(_listener: (change: KeyChange) => void): Promise<void> {}

  isUniqueViolation(error: unknown): boolean {
    return error instanceof SqliteError && UNIQUE_VIOLATIONS.has(error.errcode ?? 0);
  }

  async close(): Promise<void> {
    await this.#alone(async () => {
      if (this.#failure) return;
      const id = this.#nextId++;
      await new Promise<SqlRow[] | number>((resolve, reject) => {
        this.#wait(id, { resolve, reject });
        this.#worker.postMessage({ id, close: true } satisfies SqliteRequest);
      });
    });
    await this.#worker.terminate();
  }

  async #inTransaction<T>(work: (connection: SqlConnection) => Promise<T>): Promise<T> {
    // Inside the queue already: the transaction's own statements go at once.
    const connection: SqlConnection = {
      query: (sql, parameters = []) => this.#send(sql, parameters),
      execute: (sql, parameters = []) => this.#send(sql, parameters, true),
    };
    await this.#send('BEGIN IMMEDIATE', []);
    let result: T;
    try {
      result = await work(connection);
    } catch (error) {
      await this.#send('ROLLBACK', []).catch(() => undefined);
      throw error;
    }
    await this.#send('COMMIT', []);
    return result;
  }

  #send(sql: string, parameters: readonly SqlValue[]): Promise<SqlRow[]>;
  #send(sql: string, parameters: readonly SqlValue[], run: true): Promise<number>;
  #send(sql: string, parameters: readonly SqlValue[], run?: true): Promise<SqlRow[] | number> {
    return this.#post((id) => {
      const request: SqliteRequest = { id, sql, parameters: parameters.map(toSqliteValue) };
      if (run) request.run = true;
      return request;
    });
  }

  #post(requestOf: (id: number) => SqliteRequest): Promise<SqlRow[] | number> {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#wait(id, { resolve, reject });
      this.#worker.postMessage(requestOf(id));
    });
  }

  #wait(id: number, pending: Pending): void {
    if (this.#pending.size === 0) this.#worker.ref();
    this.#pending.set(id, pending);
  }

  #answer(reply: SqliteReply): void {
    const pending = this.#pending.get(reply.id);
    if (!pending) return;
    this.#pending.delete(reply.id);
    if (this.#pending.size === 0) this.#worker.unref();
    if ('error' in reply) pending.reject(new SqliteError(reply.error.message, reply.error.errcode));
    else pending.resolve('changes' in reply ? reply.changes : reply.rows);
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const pending of this.#pending.values()) pending.reject(this.#failure);
    this.#pending.clear();
    this.#worker.unref();
  }

  #alone<T>(work: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(work);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
