import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CacheUnavailable } from '../../../src/cache/cache-store.js';
import { RedisSemanticStore } from '../../../src/cache/semantic/redis-semantic-store.js';
import { MemorySemanticStore, type SemanticStore } from '../../../src/cache/semantic/semantic-store.js';
import {
  cosineOfUnitVectors,
  decodeVector,
  encodeVector,
  normalizeVector,
} from '../../../src/cache/semantic/vectors.js';

/** A unit vector at `cosine` from (1, 0, 0…) in the plane of the first two axes. */
function at(cosine: number, dimensions = 8): Float32Array {
  const values = new Array<number>(dimensions).fill(0);
  values[0] = cosine;
  values[1] = Math.sqrt(1 - cosine * cosine);
  return normalizeVector(values)!;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('vectors', () => {
  it('normalises, compares and round-trips through base64', () => {
    const vector = normalizeVector([3, 4])!;
    expect(Array.from(vector)).toEqual([Math.fround(0.6), Math.fround(0.8)]);
    expect(cosineOfUnitVectors(vector, vector)).toBeCloseTo(1, 6);
    expect(cosineOfUnitVectors(vector, normalizeVector([1, 0, 0])!)).toBe(-1);
    expect(normalizeVector([0, 0])).toBeUndefined();
    expect(Array.from(decodeVector(encodeVector(vector)))).toEqual(Array.from(vector));
  });
});

/** What every store does, whatever it keeps its entries in. */
function behavesAsASemanticStore(make: () => SemanticStore) {
  it('finds the most similar entry of the partition at or above the threshold, and only there', async () => {
    const store = make();
    await store.add('scope:p1', at(1), 'exact', 60);
    await store.add('scope:p1', at(0), 'far', 60);
    await store.add('scope:p2', at(0.99), 'other partition', 60);
    const match = await store.search('scope:p1', at(0.97), 0.9);
    expect(match?.answer).toBe('exact');
    expect(match?.similarity).toBeCloseTo(0.97, 4);
    expect(await store.search('scope:p1', at(0.8), 0.9)).toBeUndefined();
    expect(await store.search('scope:p3', at(1), 0.1)).toBeUndefined();
    expect((await store.search('scope:p2', at(1), 0.9))?.answer).toBe('other partition');
  });
}

describe('MemorySemanticStore', () => {
  behavesAsASemanticStore(() => new MemorySemanticStore({ maxEntries: 100, maxBytes: 1_000_000 }));

  it('is bounded by entries, evicting the least recently used (a hit counts as a use)', async () => {
    const store = new MemorySemanticStore({ maxEntries: 2, maxBytes: 1_000_000 });
    await store.add('p', at(1), 'a', 60);
    await store.add('q', at(1), 'b', 60);
    expect(await store.search('p', at(1), 0.9)).toBeDefined();
    await store.add('r', at(1), 'c', 60);
    expect(store.size).toBe(2);
    expect(await store.search('q', at(1), 0.9)).toBeUndefined();
    expect((await store.search('p', at(1), 0.9))?.answer).toBe('a');
  });

  it('is bounded by bytes, and refuses an entry larger than the bound', async () => {
    const store = new MemorySemanticStore({ maxEntries: 1000, maxBytes: 2000 });
    for (let index = 0; index < 20; index++) await store.add('p', at(1), 'x'.repeat(300), 60);
    expect(store.calculatedSize).toBeLessThanOrEqual(2000);
    expect(store.size).toBeLessThan(20);
    await store.add('big', at(1), 'x'.repeat(5000), 60);
    expect(await store.search('big', at(1), 0.5)).toBeUndefined();
  });

  it('forgets entries after their TTL', async () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    vi.advanceTimersByTime(1000);
    const store = new MemorySemanticStore({ maxEntries: 10, maxBytes: 100_000 });
    await store.add('p', at(1), 'short', 2);
    vi.advanceTimersByTime(1999);
    expect((await store.search('p', at(1), 0.9))?.answer).toBe('short');
    vi.advanceTimersByTime(2);
    expect(await store.search('p', at(1), 0.9)).toBeUndefined();
    expect(store.size).toBe(0);
  });
});

describe('RedisSemanticStore', () => {
  const prefix = `test:semantic-store:${randomUUID()}:`;
  let client: Redis;
  const connection = () => ({ client, available: true });

  beforeAll(async () => {
    client = new Redis('redis://127.0.0.1:6379', { keyPrefix: prefix, lazyConnect: true });
    await client.connect();
  });

  afterAll(async () => {
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.del(...keys.map((key) => key.slice(prefix.length)));
    await client.quit();
  });

  behavesAsASemanticStore(
    () => new RedisSemanticStore(connection(), { partitionMaxEntries: 100, partitionCacheMs: 0 }),
  );

  it('keeps each partition to its bound, newest first, and expires it with its entries', async () => {
    const store = new RedisSemanticStore(connection(), { partitionMaxEntries: 3, partitionCacheMs: 0 });
    for (let index = 0; index < 5; index++) await store.add('bounded', at(1), `answer ${index}`, 30);
    expect(await client.llen('semantic:bounded')).toBe(3);
    const ttl = await client.ttl('semantic:bounded');
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(30);
    // A shorter-lived entry does not shorten the partition.
    await store.add('bounded', at(1), 'short', 5);
    expect(await client.ttl('semantic:bounded')).toBeGreaterThan(5);
  });

  it('shares entries between replicas; a replica reuses a partition it read until its time passes', async () => {
    const writer = new RedisSemanticStore(connection(), { partitionMaxEntries: 10, partitionCacheMs: 0 });
    const reader = new RedisSemanticStore(connection(), {
      partitionMaxEntries: 10,
      partitionCacheMs: 60_000,
    });
    expect(await reader.search('shared', at(1), 0.9)).toBeUndefined();
    await writer.add('shared', at(1), 'from the other replica', 60);
    // Read a minute ago: still the partition it read.
    expect(await reader.search('shared', at(1), 0.9)).toBeUndefined();
    const fresh = new RedisSemanticStore(connection(), { partitionMaxEntries: 10, partitionCacheMs: 60_000 });
    expect((await fresh.search('shared', at(1), 0.9))?.answer).toBe('from the other replica');
    // Its own writes it sees at once.
    await reader.add('shared', at(0.2), 'own', 60);
    expect((await reader.search('shared', at(0.2), 0.99))?.answer).toBe('own');
  });

  it('throws CacheUnavailable while Redis is down (the lookup then misses)', async () => {
    const store = new RedisSemanticStore(
      { client, available: false },
      { partitionMaxEntries: 10, partitionCacheMs: 0 },
    );
    await expect(store.search('p', at(1), 0.9)).rejects.toBeInstanceOf(CacheUnavailable);
  });
});
