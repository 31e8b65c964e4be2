/**
 * The store with PostgreSQL going away and coming back, on a server of the test's own (initdb in a
 * temporary folder, a free port) stopped and started again mid-test: spend rows wait in the
 * writer's queue and arrive after the restart, known keys keep working, and another process learns
 * of a revocation through LISTEN/NOTIFY, before and after the restart.
 */
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { KeyCache } from '../../../src/store/key-cache.js';
import { openPostgresStore } from '../../../src/store/postgres-store.js';
import { SpendWriter } from '../../../src/store/spend-writer.js';
import type { SqlStore } from '../../../src/store/sql-store.js';
import { StoreUnavailableError, statusOfKey, type KeyChange } from '../../../src/store/store.js';
import { PrivatePostgresServer } from '../../helpers/private-postgres.js';
import { spendInput } from './spend-samples.js';

const RECOVERY = { timeout: 15_000, interval: 20 };

let server: PrivatePostgresServer;
const stores: SqlStore[] = [];

beforeAll(async () => {
  server = await PrivatePostgresServer.start();
}, 60_000);

afterAll(async () => {
  await Promise.all(stores.map((store) => store.close()));
  await server?.remove();
});

async function openStore(): Promise<SqlStore> {
  const store = await openPostgresStore({ url: server.url, connectionTimeoutMs: 1000, listenRetryMs: 50 });
  stores.push(store);
  return store;
}

function hashOf(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Resolves on the first change a store reports that `wanted` accepts. */
function nextChange(store: SqlStore, wanted: (change: KeyChange) => boolean): Promise<KeyChange> {
  return new Promise((resolve) => {
    const stop = store.onKeyChange((change) => {
      if (!wanted(change)) return;
      stop();
      resolve(change);
    });
  });
}

describe('PostgreSQL stopped and restarted', () => {
  it('keeps spend rows queued while the database is down, and writes every one after the restart', async () => {
    const store = await openStore();
    const outages: unknown[] = [];
    const recoveries: { dropped: number }[] = [];
    const writer = new SpendWriter(store, {
      batchSize: 50,
      flushIntervalMs: 20,
      retryDelayMs: 50,
      maxRetryDelayMs: 200,
      onOutage: (event) => outages.push(event),
      onRecovery: (event) => recoveries.push(event),
    });
    const keyId = randomUUID();
    let added = 0;
    const load = setInterval(() => {
      for (let index = 0; index < 10; index++, added++) writer.add(spendInput(keyId));
    }, 2);
    try {
      await vi.waitFor(() => expect(writer.counters.written).toBeGreaterThan(200), RECOVERY);
      // Stopped as in a crash, while batches are being written.
      await server.stop('immediate');
      await vi.waitFor(() => expect(outages).toHaveLength(1), RECOVERY);
      expect(writer.degraded).toBe(true);
      await vi.waitFor(() => expect(writer.counters.queued).toBeGreaterThan(200), RECOVERY);
      await server.restart();
      await vi.waitFor(() => expect(recoveries).toHaveLength(1), RECOVERY);
    } finally {
      clearInterval(load);
    }
    const final = await writer.close();

    expect(outages).toHaveLength(1);
    expect(recoveries).toEqual([expect.objectContaining({ dropped: 0 })]);
    expect(final).toMatchObject({ queued: 0, dropped: 0, written: added });
    const ids = new Set<string>();
    for await (const row of store.iterateSpend({ keyId })) ids.add(row.id);
    expect(ids.size).toBe(added);
    const [totals] = await store.summarizeSpend({ from: '2000-01-01', to: '2100-01-01', keyId });
    expect(totals?.requests).toBe(added);
  });

  it('answers keys already known while the database is down, and fails only keys never seen', async () => {
    const store = await openStore();
    const cache = new KeyCache(store, { ttlMs: 1, retryAfterErrorMs: 1 });
    const known = `gwk_${randomUUID()}`;
    const unseen = `gwk_${randomUUID()}`;
    const key = await store.createKey({ name: 'known', hash: hashOf(known), prefix: 'gwk_' });
    await store.createKey({ name: 'unseen', hash: hashOf(unseen), prefix: 'gwk_' });
    expect((await cache.lookup(hashOf(known)))?.key.id).toBe(key.id);

    await server.stop('fast');
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        const match = await cache.lookup(hashOf(known));
        expect(statusOfKey(match!, new Date())).toBe('active');
      }
      expect(cache.stats.stale).toBeGreaterThanOrEqual(1);
      await expect(cache.lookup(hashOf(unseen))).rejects.toBeInstanceOf(StoreUnavailableError);
    } finally {
      await server.restart();
    }

    await vi.waitFor(
      async () => expect((await cache.lookup(hashOf(unseen)))?.key.name).toBe('unseen'),
      RECOVERY,
    );
    cache.close();
  });

  it('tells another process of a revocation at once through LISTEN/NOTIFY, also after a restart', async () => {
    const admin = await openStore();
    const replica = await openStore();
    // A TTL of an hour: only the notification can make the replica see the revocation.
    const cache = new KeyCache(replica, { ttlMs: 3_600_000 });

    const revokeAndWatch = async () => {
      const secret = `gwk_${randomUUID()}`;
      const key = await admin.createKey({ name: 'revoked elsewhere', hash: hashOf(secret), prefix: 'gwk_' });
      expect(statusOfKey((await cache.lookup(hashOf(secret)))!, new Date())).toBe('active');
      const told = nextChange(
        replica,
        (change) => change.kind === 'key' && change.hashes.includes(hashOf(secret)),
      );
      await admin.revokeKey(key.id);
      await told;
      expect(statusOfKey((await cache.lookup(hashOf(secret)))!, new Date())).toBe('revoked');
    };

    await revokeAndWatch();

    const listening = nextChange(replica, (change) => change.kind === 'all');
    await server.stop('fast');
    await server.restart();
    // Back on its feet, the replica says it may have missed changes (its caches re-read every key).
    await listening;
    await revokeAndWatch();
    cache.close();
  });
});
