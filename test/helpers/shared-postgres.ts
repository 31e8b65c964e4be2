/**
 * The machine's shared PostgreSQL (127.0.0.1:5432, database `test`), used by many test runs at
 * once: each run keeps its tables in a schema of its own and drops it at the end.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const SHARED_POSTGRES_URL = 'postgresql://postgres@127.0.0.1:5432/test';

/** A schema name no other test run uses. */
export function uniquePostgresSchema(label: string): string {
  return `llm_gateway_test_${label}_${randomBytes(6).toString('hex')}`;
}

/** Runs statements on a database with a connection of their own. */
export async function onPostgres<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function dropPostgresSchema(schema: string, url = SHARED_POSTGRES_URL): Promise<void> {
  await onPostgres(url, (client) => client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
}
