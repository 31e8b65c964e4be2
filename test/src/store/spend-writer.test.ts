/**
 * The spend writer against a real store (a SQLite file): batches by size and by time, the bound,
 * close, and rows the database refuses. The database going away and coming back is in
 * postgres-outage.test.ts, on a PostgreSQL server of the test's own.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { SpendWriter } from '../../../src/store/spend-writer.js';
import type { SqlStore } from '../../../src/store/sql-store.js';
import { spendInput } from './spend-samples.js';
import { sqliteBackend, type TestBackend } from './store-backends.js';

let backend: TestBackend;
let store: SqlStore;
const writers: SpendWriter[] = [];

beforeAll(async () => {
  backend = await sqliteBackend();
  store = await backend.open();
});

afterEach(async () => {
  await Promise.all(writers.splice(0).map((writer) => writer.close()));
});

afterAll(async () => {
  await store?.close();
  await backend?.remove();
});

function writerFor(options: ConstructorParameters<typeof SpendWriter>[1]): SpendWriter {
  const writer = new SpendWriter(store, options);
  writers.push(writer);
  return writer;
}

async function rowsOf(keyId: string): Promise<number> {
  let count = 0;
  for await (const _row of store.iterateSpend({ keyId })) count++;
  return count;
}

describe('SpendWriter', () => {
  it('writes a full batch at once, without waiting for the timer', async () => {
    const keyId = randomUUID();
    const writer = writerFor({ batchSize: 10, flushIntervalMs: 3_600_000 });
    for (let index = 0; index < 10; index++) writer.add(spendInput(keyId));
    expect(writer.counters).toEqual({ queued: 10, written: 0, dropped: 0, batches: 0 });
    await vi.waitFor(() => expect(writer.counters.written).toBe(10));
    expect(await rowsOf(keyId)).toBe(10);

    // A partial batch waits for the timer, or for close.
    for (let index = 0; index < 3; index++) writer.add(spendInput(keyId));
    expect(await writer.close()).toEqual({ queued: 0, written: 13, dropped: 0, batches: 2 });
    expect(await rowsOf(keyId)).toBe(13);
  });

  it('writes a partial batch when its time comes', async () => {
    const keyId = randomUUID();
    const writer = writerFor({ batchSize: 1000, flushIntervalMs: 20 });
    for (let index = 0; index < 3; index++) writer.add(spendInput(keyId));
    await vi.waitFor(() => expect(writer.counters.written).toBe(3));
    expect(await rowsOf(keyId)).toBe(3);
  });

  it('holds no more rows than its bound, and counts the rows it drops', async () => {
    const keyId = randomUUID();
    const writer = writerFor({ maxQueued: 5, batchSize: 100, flushIntervalMs: 3_600_000 });
    for (let index = 0; index < 8; index++) writer.add(spendInput(keyId));
    expect(writer.counters).toEqual({ queued: 5, written: 0, dropped: 3, batches: 0 });
    expect(await writer.close()).toEqual({ queued: 0, written: 5, dropped: 3, batches: 1 });
    // After close nothing more is taken, and add still does not throw.
    writer.add(spendInput(keyId));
    expect(writer.counters.dropped).toBe(4);
    expect(await rowsOf(keyId)).toBe(5);
  });

  it('keeps the ids it is given, so a row added twice is stored once', async () => {
    const keyId = randomUUID();
    const writer = writerFor({ batchSize: 2, flushIntervalMs: 3_600_000 });
    const row = spendInput(keyId, { id: randomUUID() });
    writer.add(row);
    writer.add(row);
    await writer.flush();
    writer.add(row);
    await writer.close();
    expect(await rowsOf(keyId)).toBe(1);
  });

  it('drops only the row the database refuses, writing the rest of its batch', async () => {
    const keyId = randomUUID();
    const refused: number[] = [];
    const writer = writerFor({
      batchSize: 100,
      flushIntervalMs: 10,
      attemptsBeforeSplitting: 2,
      onRefused: ({ rows }) => {
        refused.push(rows);
        throw new Error('a callback that throws changes nothing');
      },
    });
    writer.add(spendInput(keyId));
    // What a bug elsewhere could send: the store cannot write a row without a request id.
    writer.add(spendInput(keyId, { requestId: undefined as unknown as string }));
    writer.add(spendInput(keyId));
    await vi.waitFor(() => expect(writer.counters).toMatchObject({ queued: 0, written: 2, dropped: 1 }));
    expect(refused).toEqual([1]);
    expect(writer.degraded).toBe(false);
    expect(await rowsOf(keyId)).toBe(2);
  });
});
