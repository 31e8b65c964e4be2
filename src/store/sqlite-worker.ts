/**
 * The SQLite connection, in a thread of its own (src/store/sqlite-store.ts starts it): `node:sqlite`
 * answers synchronously, and a batch of spend rows takes milliseconds that must not be taken from
 * the event loop serving requests. The thread runs one statement per message, in order, and
 * answers with the rows or the error.
 *
 * It imports only Node's own modules (types are erased), so Node runs it as TypeScript in
 * development and as the compiled JavaScript in production.
 * @see https://nodejs.org/api/worker_threads.html
 * @see https://nodejs.org/api/sqlite.html
 */
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';

export interface SqliteWorkerData {
  path: string;
  busyTimeoutMs: number;
}

export type SqliteRequest =
  /** `run`: the statement returns no rows; the answer is how many it changed. */
  | { id: number; sql: string; parameters: SQLInputValue[]; run?: boolean }
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
  port.postMessage({ id: 0, rows: [] } satisfies SqliteReply);
} catch (error) {
  port.postMessage({ id: 0, error: describeError(error) } satisfies SqliteReply);
  port.close();
}

port.on('message', (request: SqliteRequest) => {
  try {
    if ('close' in request) {
      statements.clear();
      if (database.isOpen) database.close();
      port.postMessage({ id: request.id, rows: [] } satisfies SqliteReply);
      port.close();
      return;
    }
    let statement = statements.get(request.sql);
    if (!statement) {
      if (statements.size >= MAX_STATEMENTS) statements.clear();
      statement = database.prepare(request.sql);
      statements.set(request.sql, statement);
    }
    if (request.run) {
      const { changes } = statement.run(...request.parameters);
      port.postMessage({ id: request.id, changes: Number(changes) } satisfies SqliteReply);
      return;
    }
    const rows = statement.all(...request.parameters) as Record<string, unknown>[];
    port.postMessage({ id: request.id, rows } satisfies SqliteReply);
  } catch (error) {
    port.postMessage({ id: request.id, error: describeError(error) } satisfies SqliteReply);
  }
});
