/**
 * Where cached answers live: in this process (an LRU bounded by size, lru-cache) or in Redis, shared
 * by every replica. Both hold the same text (src/cache/cache-entry.ts) under the same keys.
 *
 * A Redis that is down or slow never holds a request: reads throw `CacheUnavailable` at once when
 * the connection is down, or after the client's command timeout, and the caller answers without
 * the cache; writes that fail are dropped.
 * @see https://github.com/isaacs/node-lru-cache#readme
 */
import { LRUCache } from 'lru-cache';
import type { Redis } from 'ioredis';

export class CacheUnavailable extends Error {
  override name = 'CacheUnavailable';
}

export interface CacheStore {
  /** The entry under `key`, or undefined; throws CacheUnavailable when the store cannot answer. */
  get(key: string): Promise<string | undefined>;
  getMany(keys: readonly string[]): Promise<(string | undefined)[]>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  setMany(entries: readonly (readonly [string, string])[], ttlSeconds: number): Promise<void>;
}

export interface MemoryCacheStoreOptions {
  /** Bound of keys and values together, in UTF-16 code units (≈ bytes for JSON). */
  maxBytes: number;
}

export class MemoryCacheStore implements CacheStore {
  readonly #entries: LRUCache<string, string>;

  constructor(options: MemoryCacheStoreOptions) {
    this.#entries = new LRUCache<string, string>({
      maxSize: options.maxBytes,
      sizeCalculation: (value, key) => value.length + key.length,
      // Read the clock through the global at each check (a call of a few nanoseconds), so tests
      // can move time with fake timers.
      perf: { now: () => performance.now() },
      ttlResolution: 0,
    });
  }

  get size(): number {
    return this.#entries.size;
  }

  get calculatedSize(): number {
    return this.#entries.calculatedSize;
  }

  async get(key: string): Promise<string | undefined> {
    return this.#entries.get(key);
  }

  async getMany(keys: readonly string[]): Promise<(string | undefined)[]> {
    return keys.map((key) => this.#entries.get(key));
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    this.#entries.set(key, value, { ttl: ttlSeconds * 1000 });
  }

  async setMany(entries: readonly (readonly [string, string])[], ttlSeconds: number): Promise<void> {
    for (const [key, value] of entries) this.#entries.set(key, value, { ttl: ttlSeconds * 1000 });
  }
}

/** What the Redis store needs of the shared connection (plugins/redis.ts). */
export interface RedisConnection {
  readonly client: Redis;
  readonly available: boolean;
}

/**
 * Entries under their own key prefix (`cache.keyPrefix`), every one with a TTL: with Redis's
 * `maxmemory-policy volatile-lru` they are what it evicts, and usage and budgets (no TTL) never are.
 */
export class RedisCacheStore implements CacheStore {
  readonly #redis: RedisConnection;
  readonly #prefix: string;

  constructor(redis: RedisConnection, keyPrefix = '') {
    this.#redis = redis;
    this.#prefix = keyPrefix;
  }

  #client(): Redis {
    if (!this.#redis.available) throw new CacheUnavailable('Redis is not connected');
    return this.#redis.client;
  }

  async get(key: string): Promise<string | undefined> {
    const client = this.#client();
    try {
      return (await client.get(this.#prefix + key)) ?? undefined;
    } catch (error) {
      throw new CacheUnavailable((error as Error).message);
    }
  }

  async getMany(keys: readonly string[]): Promise<(string | undefined)[]> {
    const client = this.#client();
    try {
      const values = await client.mget(...keys.map((key) => this.#prefix + key));
      return values.map((value) => value ?? undefined);
    } catch (error) {
      throw new CacheUnavailable((error as Error).message);
    }
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    await this.#client().set(this.#prefix + key, value, 'EX', ttlSeconds);
  }

  async setMany(entries: readonly (readonly [string, string])[], ttlSeconds: number): Promise<void> {
    const pipeline = this.#client().pipeline();
    for (const [key, value] of entries) pipeline.set(this.#prefix + key, value, 'EX', ttlSeconds);
    await pipeline.exec();
  }
}
