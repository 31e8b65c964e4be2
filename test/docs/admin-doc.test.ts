/**
 * Keeps docs/admin.md's "Data kept" in step with the store: every table and column the migrations
 * make is described, nothing described is missing, and the figures it quotes are the code's.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEY_CACHE_DEFAULTS } from '../../src/store/key-cache.js';
import { SPEND_WRITER_DEFAULTS } from '../../src/store/spend-writer.js';
import { DEFAULT_SQLITE_FILE, openSqliteStore } from '../../src/store/sqlite-store.js';

const doc = readFileSync(new URL('../../docs/admin.md', import.meta.url), 'utf8');
const section = doc.slice(
  doc.indexOf('## Data kept'),
  doc.indexOf('\n## ', doc.indexOf('## Data kept') + 1) >>> 0,
);

let folder = '';
const columnsByTable = new Map<string, string[]>();

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'llm-gateway-admin-doc-'));
  await (await openSqliteStore({ dataDir: folder })).close();
  const database = new DatabaseSync(join(folder, DEFAULT_SQLITE_FILE));
  try {
    const tables = database
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
      .all() as { name: string }[];
    for (const { name } of tables) {
      const columns = database.prepare(`PRAGMA table_info(${name})`).all() as { name: string }[];
      columnsByTable.set(
        name,
        columns.map((column) => column.name),
      );
    }
  } finally {
    database.close();
  }
});

afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('docs/admin.md, Data kept', () => {
  it('describes every table and every column, and no table that does not exist', () => {
    expect(section.length).toBeGreaterThan(0);
    const described = [...section.matchAll(/^\*\*`([a-z_]+)`\*\*/gm)].map((match) => match[1]);
    expect(described.sort()).toEqual([...columnsByTable.keys()].sort());
    for (const [table, columns] of columnsByTable) {
      const start = section.indexOf(`**\`${table}\`**`);
      const end = section.indexOf('\n**`', start + 1);
      // `latency_00` … `latency_47` names the columns between too.
      const text = section
        .slice(start, end === -1 ? undefined : end)
        .replace(/`([a-z]+)_(\d+)` … `\1_(\d+)`/g, (_, name: string, first: string, last: string) =>
          Array.from(
            { length: Number(last) - Number(first) + 1 },
            (__, index) => `\`${name}_${String(Number(first) + index).padStart(first.length, '0')}\``,
          ).join(', '),
        );
      const missing = columns.filter((column) => !text.includes(`\`${column}\``));
      expect({ table, missing }).toEqual({ table, missing: [] });
    }
  });

  it('quotes the figures the code uses', () => {
    expect(section).toContain(`${SPEND_WRITER_DEFAULTS.maxQueued.toLocaleString('en-US')} rows by default`);
    expect(section).toContain(`(${SPEND_WRITER_DEFAULTS.batchSize} rows, or whatever waited a second`);
    expect(SPEND_WRITER_DEFAULTS.flushIntervalMs).toBe(1000);
    expect(section).toContain(`cached for ${KEY_CACHE_DEFAULTS.ttlMs / 1000} seconds`);
    expect(section).toContain(`(unknown keys for ${KEY_CACHE_DEFAULTS.negativeTtlMs / 1000} second)`);
    expect(section).toContain(`\`${DEFAULT_SQLITE_FILE}\``);
  });
});
