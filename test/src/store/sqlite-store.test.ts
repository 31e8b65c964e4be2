/**
 * What only the embedded store does: its folder and file made on first start, in WAL mode, in a
 * thread of its own.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, expect, it } from 'vitest';
import { DEFAULT_SQLITE_FILE, openSqliteStore } from '../../../src/store/sqlite-store.js';

let folder = '';

afterEach(async () => {
  if (folder) await rm(folder, { recursive: true, force: true });
});

it('creates the data folder and the database file on first start, in WAL mode', async () => {
  folder = await mkdtemp(join(tmpdir(), 'llm-gateway-sqlite-'));
  const dataDir = join(folder, 'nested', 'data');
  const store = await openSqliteStore({ dataDir });
  try {
    expect(store.backend).toBe('sqlite');
    await store.ping();
  } finally {
    await store.close();
  }
  const file = join(dataDir, DEFAULT_SQLITE_FILE);
  expect(existsSync(file)).toBe(true);
  const database = new DatabaseSync(file);
  try {
    expect(database.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
  } finally {
    database.close();
  }
});

it('reports a file it cannot open, and ends its thread', async () => {
  folder = await mkdtemp(join(tmpdir(), 'llm-gateway-sqlite-'));
  // A folder where the database file should be.
  await mkdir(join(folder, DEFAULT_SQLITE_FILE));
  await expect(openSqliteStore({ dataDir: folder })).rejects.toThrow(/unable to open/);
});
