/**
 * The SQLite connection, in a thread of its own (src/store/sqlite-store.ts starts it): `node:sqlite`
 * answers synchronously, and a batch of spend rows takes milliseconds that must not be taken from
 * the event loop serving requests. The thread runs one statement per message, in order, and
 * answers with the rows or the error.
 *
 * A batch of spend rows comes as the entries themselves: the thread makes their statements
 * (src/store/spend-batch.ts) and runs them in one transaction, so the event loop pays only for
 * posting the entries.
 *
 * Its imports name files as they are (`.ts`, rewritten to `.js` by the build), so Node runs it as
 * TypeScript in development (stripping the types) and as the compiled JavaScript in production.
 * @see https://nodejs.org/api/worker_threads.html
 * @see https://nodejs.org/api/sqlite.html
 */
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';
import { writeSpendEntries } from './spend-batch.ts';
import type { SqlConnection } from './sql-driver.ts';
import { toSqliteValue } from './sqlite-value.ts';
import type { SpendEntry } from './store.ts';

export interface SqliteWorkerData {
  path: string;
  busyTimeoutMs: number;
}

export type SqliteRequest =
  /** `run`: the statement returns no rows; the answer is how many it changed. */
  | { id: number; sql: string; parameters: SQLInputValue[]; run?: boolean }
  /** A batch of spend rows to write with their rollups; the answer is how many were new. */
  | { id: number; spend: readonly SpendEntry[] }
  /** Closes the database, answers, and ends the thread. */
  | { id: number; close: true };

export type SqliteReply =
  | { id: number; rows: Record<string, unknown>[] }
  | { id: number; changes: number }
  | { id: number; error: { message: string; errcode: number | undefined } };

/** Statements prepared once and kept: a handful of distinct ones (filters, chunk sizes) recur. */
const MAX_STATEMENTS = 200;

const port = parentPort!;
const { path, busyTimeoutMs } = workerData as SqliteWorkerData;
const statements = new Map<string, StatementSync>();

function describeError(error: unknown): { message: string; errcode: number | undefined } {
  const { message, errcode } = error as { message?: string; errcode?: number };
  return { message: message ?? String(error), errcode };
}

let database: DatabaseSync;
try {
  database = new DatabaseSync(path, { enableForeignKeyConstraints: true });
  database.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
  database.exec('PRAGMA journal_mode = WAL');
  database.exec('PRAGMA synchronous = NORMAL');
  // SQLite's temporary tables and indexes (a spend batch's statements make some) stay in memory: in
  // files they were created and unlinked in /var/tmp, 132 per 5,000 requests in the benchmark, and
  // needed a writable temporary directory, which a container with a read-only root may not have.
  database.exec('PRAGMA temp_store = MEMORY');
  port.postMessage({ id: 0, rows: [] } satisfies SqliteReply);
} catch (error) {
  port.postMessage({ id: 0, error: describeError(error) } satisfies SqliteReply);
  port.close();
}

function statementOf(sql: string): StatementSync {
  let statement = statements.get(sql);
  if (!statement) {
    if (statements.size >= MAX_STATEMENTS) statements.clear();
    statement = database.prepare(sql);
    statements.set(sql, statement);
  }
  return statement;
}

// The statements of a spend batch, run at once: each promise is settled when it is made.
const connection: SqlConnection = {
  query: async (sql, parameters = []) =>
    statementOf(sql).all(...parameters.map(toSqliteValue)) as Record<string, unknown>[],
  execute: async (sql, parameters = []) =>
    Number(statementOf(sql).run(...parameters.map(toSqliteValue)).changes),
};

async function inTransaction<T>(work: (connection: SqlConnection) => Promise<T>): Promise<T> {
  database.exec('BEGIN IMMEDIATE');
  let result: T;
  try {
    result = await work(connection);
  } catch (error) {
    if (database.isTransaction) database.exec('ROLLBACK');
    throw error;
  }
  database.exec('COMMIT');
  return result;
}

async function answer(request: SqliteRequest): Promise<SqliteReply> {
  if ('close' in request) {
    statements.clear();
    if (database.isOpen) database.close();
    return { id: request.id, rows: [] };
  }
  if ('spend' in request) {
    return { id: request.id, changes: await writeSpendEntries(inTransaction, request.spend) };
  }
  const statement = statementOf(request.sql);
  if (request.run) return { id: request.id, changes: Number(statement.run(...request.parameters).changes) };
  return { id: request.id, rows: statement.all(...request.parameters) as Record<string, unknown>[] };
}

// Requests are answered one after the other, in the order they came: a spend batch's transaction
// is never interleaved with another statement.
let previous: Promise<unknown> = Promise.resolve();
port.on('message', (request: SqliteRequest) => {
  previous = previous.then(async () => {
    let reply: SqliteReply;
    try {
      reply = await answer(request);
    } catch (error) {
      reply = { id: request.id, error: describeError(error) };
    }
    port.postMessage(reply);
    if ('close' in request) port.close();
  });
});
