/**
 * What the store needs from a database: parameterised queries (`?` placeholders), transactions, an
 * exclusive section for migrations, and a way to tell other processes that keys changed. The SQL
 * itself lives once, in src/store/sql-store.ts; each driver maps values to and from its database.
 */
import type { KeyChange, SpendEntry, StoreBackend } from './store.js';

/** Dates are stored as TIMESTAMPTZ (PostgreSQL) or ISO-8601 text (SQLite); booleans as 0/1 in SQLite. */
export type SqlValue = string | number | boolean | Date | null;

export type SqlRow = Record<string, unknown>;

export interface SqlConnection {
  /** Runs one statement; rows for SELECT and RETURNING, else none. */
  query(sql: string, parameters?: readonly SqlValue[]): Promise<SqlRow[]>;
  /** Runs one statement that returns no rows; resolves with the number of rows it changed. */
  execute(sql: string, parameters?: readonly SqlValue[]): Promise<number>;
}

export interface SqlDriver extends SqlConnection {
  readonly backend: StoreBackend;
  /** Where the database is, for messages: never a password. */
  readonly where: string;
  /** Runs `work` in one transaction, committed when it resolves and rolled back when it throws. */
  transaction<T>(work: (connection: SqlConnection) => Promise<T>): Promise<T>;
  /**
   * A transaction that no other process on the same database runs at the same time (migrations):
   * replicas that start together wait for each other instead of applying the same change twice.
   */
  exclusiveTransaction<T>(work: (connection: SqlConnection) => Promise<T>): Promise<T>;
  /** Tells other processes, when the transaction commits, that keys changed. */
  announce(connection: SqlConnection, change: KeyChange): Promise<void>;
  /** Starts listening to other processes' announcements; resolves once listening. */
  watch(listener: (change: KeyChange) => void): Promise<void>;
  /**
   * Writes a batch of spend rows and their rollups (src/store/spend-batch.ts) where the database
   * works, when that is not the event loop (SQLite's thread); absent, the store runs the statements
   * itself.
   */
  writeSpend?(entries: readonly SpendEntry[]): Promise<number>;
  /** Whether an error is a unique constraint refusing a duplicate. */
  isUniqueViolation(error: unknown): boolean;
  close(): Promise<void>;
}
