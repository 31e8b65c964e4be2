/**
 * A value as SQLite stores it: dates as ISO-8601 text, booleans as 0/1 (src/store/sql-driver.ts).
 * Used by the gateway and by the SQLite thread alike, so it imports nothing.
 */
import type { SQLInputValue } from 'node:sqlite';
import type { SqlValue } from './sql-driver.ts';

export function toSqliteValue(value: SqlValue): SQLInputValue {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value;
}
