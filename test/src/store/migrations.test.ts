/**
 * Migrations on both stores: from an empty database, from a store left at version 1 (a frozen
 * fixture with rows) or at version 2 (that fixture with version 2's statements applied), a database newer than the code, and PostgreSQL replicas starting together.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../../src/package-root.js';
import { bucketOfDuration, percentileOfHistogram } from '../../../src/store/duration-histogram.js';
import { LATEST_VERSION, MIGRATIONS } from '../../../src/store/migrations.js';
import type { SqlStore } from '../../../src/store/sql-store.js';
import { StoreVersionError } from '../../../src/store/store.js';
import { BACKENDS, postgresBackend, type TestBackend } from './store-backends.js';

const opened: SqlStore[] = [];
const backends: TestBackend[] = [];

async function backendFor(create: (label: string) => Promise<TestBackend>, label: string) {
  const backend = await create(label);
  backends.push(backend);
  return backend;
}

async function open(backend: TestBackend): Promise<SqlStore> {
  const store = await backend.open();
  opened.push(store);
  return store;
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
  await Promise.all(backends.splice(0).map((backend) => backend.remove()));
});

async function versions(backend: TestBackend): Promise<number[]> {
  const rows = await backend.select('SELECT version FROM schema_migrations ORDER BY version');
  return rows.map((row) => Number(row['version']));
}

it('numbers the migrations 1, 2, 3… with a description each', () => {
  expect(MIGRATIONS.map((migration) => migration.version)).toEqual(MIGRATIONS.map((_, index) => index + 1));
  expect(LATEST_VERSION).toBe(MIGRATIONS.length);
  for (const migration of MIGRATIONS) expect(migration.description).not.toBe('');
});

describe.each(BACKENDS)('migrations on $name', ({ name, create }) => {
  it('builds the whole schema on an empty database, once', async () => {
    const backend = await backendFor(create, 'empty');
    const store = await open(backend);
    expect(store.schemaVersion).toBe(LATEST_VERSION);
    expect(await versions(backend)).toEqual(MIGRATIONS.map((migration) => migration.version));
    await store.close();
    await open(backend);
    expect(await versions(backend)).toEqual(MIGRATIONS.map((migration) => migration.version));
  });

  it('migrates a version 1 store, keeping its rows and filling the daily rollups from them', async () => {
    const backend = await backendFor(create, 'v1');
    await backend.execute(readFileSync(join(PACKAGE_ROOT, 'test/fixtures/store', `v1-${name}.sql`), 'utf8'));
    expect(await versions(backend)).toEqual([1]);

    const store = await open(backend);
    expect(await versions(backend)).toEqual(MIGRATIONS.map((migration) => migration.version));
    const match = await store.findKeyByHash(createHash('sha256').update('gwk_legacy-secret').digest('hex'));
    expect(match?.key).toMatchObject({
      id: 'key_legacy',
      teamId: 'team_legacy',
      rateLimits: { chat: 30 },
      budget: { limitUsd: 5, period: 'daily' },
      byok: false,
    });
    expect(match?.team).toMatchObject({
      name: 'legacy',
      allowedModels: ['gpt-4o*'],
      metadata: { since: 2025 },
    });
    const log = (await store.listSpend({ keyId: 'key_legacy' })).items;
    expect(log.map((row) => row.requestId)).toEqual(['req-3', 'req-2', 'req-1']);
    expect(log[1]).toMatchObject({ outcome: 'client_closed', estimated: true, reasoningTokens: 5 });

    const days = await store.summarizeSpend({
      from: '2025-11-01',
      to: '2025-12-31',
      groupBy: ['day', 'model', 'team'],
    });
    expect(days).toMatchObject([
      {
        day: '2025-11-30',
        model: 'gpt-4o',
        teamId: 'team_legacy',
        requests: 2,
        promptTokens: 400,
        completionTokens: 40,
        reasoningTokens: 5,
        cachedTokens: 20,
        cacheWriteTokens: 0,
        costUsd: 2,
      },
      {
        // No model answered: the rollup names the model asked for.
        day: '2025-12-01',
        model: 'mini',
        teamId: null,
        requests: 1,
        promptTokens: 8,
        completionTokens: 0,
        reasoningTokens: 0,
        cachedTokens: 0,
        cacheWriteTokens: 0,
        costUsd: 0.25,
      },
    ]);
    expect(days).toHaveLength(2);
    expect(
      await store.spentInPeriod({ teamId: 'team_legacy' }, 'monthly', new Date('2025-11-30T12:00:00Z')),
    ).toBe(2);

    // New rows add to the rollups the migration made.
    await store.writeSpend([
      {
        ...log[0]!,
        id: randomUUID(),
        at: new Date('2025-11-30T11:00:00.000Z'),
        teamId: 'team_legacy',
        model: 'gpt-4o',
      },
    ]);
    expect(
      await store.spentInPeriod({ keyId: 'key_legacy' }, 'daily', new Date('2025-11-30T12:00:00Z')),
    ).toBe(2.25);
  });

  it('migrates a version 2 store: errors, cache hits, durations and hours filled from the log', async () => {
    const backend = await backendFor(create, 'v2');
    await backend.execute(readFileSync(join(PACKAGE_ROOT, 'test/fixtures/store', `v1-${name}.sql`), 'utf8'));
    // Version 2 as released (a migration is never edited), and a day whose log rows retention deleted.
    await backend.execute(`${MIGRATIONS[1]!.statements[name].join(';\n')};
      INSERT INTO schema_migrations (version, description, applied_at)
        VALUES (2, '${MIGRATIONS[1]!.description}', '2025-12-02T00:00:00.000Z');
      INSERT INTO spend_daily VALUES ('2025-10-01', 'key_legacy', 'team_legacy', 'gpt-4o', 'openai', 5, 50, 5, 0, 0, 0, 1.5);`);
    expect(await versions(backend)).toEqual([1, 2]);

    const store = await open(backend);
    expect(await versions(backend)).toEqual(MIGRATIONS.map((migration) => migration.version));
    const days = await store.summarizeSpend({ from: '2025-10-01', to: '2025-12-31', groupBy: ['day'] });
    expect(
      days.map(({ day, requests, errors, cacheHits }) => ({ day, requests, errors, cacheHits })),
    ).toEqual([
      { day: '2025-10-01', requests: 5, errors: 0, cacheHits: 0 },
      { day: '2025-11-30', requests: 2, errors: 0, cacheHits: 0 },
      // A 502 from upstream.
      { day: '2025-12-01', requests: 1, errors: 1, cacheHits: 0 },
    ]);
    // Before the log's reach, no durations: no percentile rather than a wrong one.
    expect(percentileOfHistogram(days[0]!.latency, 0.5)).toBeNull();
    expect(days[1]!.latency[bucketOfDuration(900)]).toBe(1);
    expect(days[1]!.latency[bucketOfDuration(1200)]).toBe(1);
    expect(days[1]!.overhead[bucketOfDuration(2)]).toBe(2);
    expect(days[2]!.latency[bucketOfDuration(50)]).toBe(1);

    const hours = await store.summarizeSpend({
      from: '2025-11-30',
      to: '2025-12-01',
      grain: 'hour',
      groupBy: ['hour', 'model'],
    });
    expect(
      hours.map(({ hour, model, requests, costUsd, errors }) => ({ hour, model, requests, costUsd, errors })),
    ).toEqual([
      { hour: '2025-11-30T10:00:00.000Z', model: 'gpt-4o', requests: 1, costUsd: 0.5, errors: 0 },
      { hour: '2025-11-30T23:00:00.000Z', model: 'gpt-4o', requests: 1, costUsd: 1.5, errors: 0 },
      { hour: '2025-12-01T00:00:00.000Z', model: 'mini', requests: 1, costUsd: 0.25, errors: 1 },
    ]);
    expect(hours[1]!.latency[bucketOfDuration(1200)]).toBe(1);

    // New rows add to the rollups the migration filled.
    await store.writeSpend([
      {
        ...(await store.listSpend({ requestId: 'req-1' })).items[0]!,
        id: randomUUID(),
        at: new Date('2025-11-30T10:30:00.000Z'),
        status: 504,
        outcome: 'timeout',
        cacheResult: 'hit',
      },
    ]);
    const [hour] = await store.summarizeSpend({
      from: '2025-11-30T10:00:00Z',
      to: '2025-11-30T10:59:00Z',
      grain: 'hour',
    });
    expect(hour).toMatchObject({ requests: 2, errors: 1, cacheHits: 1, costUsd: 1 });
    expect(hour!.latency[bucketOfDuration(900)]).toBe(2);
    const [day] = await store.summarizeSpend({ from: '2025-11-30', to: '2025-11-30' });
    expect(day).toMatchObject({ requests: 3, errors: 1, cacheHits: 1 });
  });

  it('refuses a database migrated by a newer version, naming both versions', async () => {
    const backend = await backendFor(create, 'newer');
    const store = await open(backend);
    await store.close();
    const newer = LATEST_VERSION + 7;
    await backend.execute(
      `INSERT INTO schema_migrations (version, description, applied_at)
       VALUES (${newer}, 'from the future', '2030-01-01T00:00:00.000Z')`,
    );
    const error = await backend.open().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(StoreVersionError);
    expect(error).toMatchObject({ databaseVersion: newer, codeVersion: LATEST_VERSION });
    const message = (error as Error).message;
    expect(message).toContain(`schema version ${newer}`);
    expect(message).toContain(`versions up to ${LATEST_VERSION}`);
    expect(message).not.toContain('postgres@');
  });
});

describe('migrations on PostgreSQL replicas starting together', () => {
  it('migrate once: the other replicas wait, then find the schema current', async () => {
    const backend = await backendFor(postgresBackend, 'replicas');
    const stores = await Promise.all(Array.from({ length: 4 }, () => open(backend)));
    expect(stores.map((store) => store.schemaVersion)).toEqual([4, 4, 4, 4].map(() => LATEST_VERSION));
    expect(await versions(backend)).toEqual(MIGRATIONS.map((migration) => migration.version));
  });
});
