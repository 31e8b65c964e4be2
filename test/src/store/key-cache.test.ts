/**
 * The key cache over a real store (a SQLite file). The clock is moved by fake timers
 * (performance.now only). The store going down, and changes seen by another process through
 * PostgreSQL, are in postgres-outage.test.ts.
 */
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { KeyCache } from '../../../src/store/key-cache.js';
import type { SqlStore } from '../../../src/store/sql-store.js';
import { statusOfKey, type KeyMatch, type Store } from '../../../src/store/store.js';
import { sqliteBackend, type TestBackend } from './store-backends.js';

let backend: TestBackend;
let store: SqlStore;
/** A second store on the same file: its changes reach `store`'s caches only by their TTL. */
let elsewhere: SqlStore;

beforeAll(async () => {
  backend = await sqliteBackend();
  store = await backend.open();
  elsewhere = await backend.open();
});

afterEach(() => {
  vi.useRealTimers();
});

afterAll(async () => {
  await store?.close();
  await elsewhere?.close();
  await backend?.remove();
});

function hashOf(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** The store, counting the look-ups that reach it. */
function counting(inner: Store) {
  const counted = {
    reads: 0,
    findKeyByHash(hash: string): Promise<KeyMatch | null> {
      counted.reads++;
      return inner.findKeyByHash(hash);
    },
    onKeyChange: inner.onKeyChange.bind(inner),
  };
  return counted;
}

async function newKey(teamId?: string) {
  const secret = `gwk_${randomUUID()}`;
  const key = await store.createKey({
    name: 'cached',
    hash: hashOf(secret),
    prefix: 'gwk_',
    teamId: teamId ?? null,
  });
  return { key, hash: hashOf(secret) };
}

describe('KeyCache', () => {
  it('reads a key once, answers from memory until the TTL, then reads it again', async () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const counted = counting(store);
    const cache = new KeyCache(counted, { ttlMs: 4000 });
    const { key, hash } = await newKey();

    expect((await cache.lookup(hash))?.key.id).toBe(key.id);
    expect((await cache.lookup(hash))?.key.id).toBe(key.id);
    vi.advanceTimersByTime(3999);
    await cache.lookup(hash);
    expect(counted.reads).toBe(1);
    vi.advanceTimersByTime(2);
    await cache.lookup(hash);
    expect(counted.reads).toBe(2);
    expect(cache.stats).toMatchObject({ hits: 2, reads: 2, stale: 0, size: 1 });
    cache.close();
  });

  it('sees a key revoked by another process once the TTL has passed', async () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const cache = new KeyCache(store, { ttlMs: 4000 });
    const { key, hash } = await newKey();
    expect(statusOfKey((await cache.lookup(hash))!, new Date())).toBe('active');

    await elsewhere.revokeKey(key.id);
    expect(statusOfKey((await cache.lookup(hash))!, new Date())).toBe('active');
    vi.advanceTimersByTime(4001);
    expect(statusOfKey((await cache.lookup(hash))!, new Date())).toBe('revoked');
    cache.close();
  });

  it('forgets at once a key revoked or rotated through its own store', async () => {
    const cache = new KeyCache(store, { ttlMs: 3_600_000 });
    const { key, hash } = await newKey();
    await cache.lookup(hash);
    await store.revokeKey(key.id);
    expect(statusOfKey((await cache.lookup(hash))!, new Date())).toBe('revoked');

    const rotated = await newKey();
    await cache.lookup(rotated.hash);
    const next = hashOf(randomUUID());
    await store.rotateKey(rotated.key.id, { hash: next, prefix: 'gwk_', previousValidUntil: null });
    expect((await cache.lookup(rotated.hash))?.matched).toBe('previous');
    expect((await cache.lookup(next))?.matched).toBe('current');
    cache.close();
  });

  it('remembers an unknown key briefly, and forgets it when that key is created', async () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const counted = counting(store);
    const cache = new KeyCache(counted, { negativeTtlMs: 1000 });
    const secret = `gwk_${randomUUID()}`;

    expect(await cache.lookup(hashOf(secret))).toBeNull();
    expect(await cache.lookup(hashOf(secret))).toBeNull();
    expect(counted.reads).toBe(1);
    vi.advanceTimersByTime(1001);
    expect(await cache.lookup(hashOf(secret))).toBeNull();
    expect(counted.reads).toBe(2);

    await store.createKey({ name: 'late', hash: hashOf(secret), prefix: 'gwk_' });
    expect((await cache.lookup(hashOf(secret)))?.key.name).toBe('late');
    cache.close();
  });

  it('reads once for many look-ups of one key at the same time', async () => {
    const counted = counting(store);
    const cache = new KeyCache(counted);
    const { hash } = await newKey();
    const answers = await Promise.all(Array.from({ length: 20 }, () => cache.lookup(hash)));
    expect(new Set(answers.map((match) => match?.key.id)).size).toBe(1);
    expect(counted.reads).toBe(1);
    cache.close();
  });

  it('reads the keys of a changed team again', async () => {
    const counted = counting(store);
    const cache = new KeyCache(counted, { ttlMs: 3_600_000 });
    const team = await store.createTeam({
      name: `team-${randomUUID()}`,
      budget: { limitUsd: 1, period: 'daily' },
    });
    const member = await newKey(team.id);
    const outsider = await newKey();
    await cache.lookup(member.hash);
    await cache.lookup(outsider.hash);

    await store.updateTeam(team.id, { budget: { limitUsd: 9, period: 'daily' } });
    expect((await cache.lookup(member.hash))?.team?.budget).toEqual({ limitUsd: 9, period: 'daily' });
    await cache.lookup(outsider.hash);
    expect(counted.reads).toBe(3);
    cache.close();
  });

  it('holds no more digests than its bound', async () => {
    const cache = new KeyCache(store, { maxEntries: 5 });
    for (let index = 0; index < 12; index++) await cache.lookup(hashOf(`unknown ${index}`));
    expect(cache.stats.size).toBe(5);
    cache.close();
  });
});
