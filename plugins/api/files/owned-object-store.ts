/**
 * Which key created each file and batch the gateway passed through, and where it is kept: in Redis
 * when the gateway has one (every replica sees the same records), else in this process (an LRU
 * bounded by count, lru-cache). A record is stored under its owner's scope
 * (`objects:<scope>:<id>`): another key's lookup of the same id finds nothing, so it gets a 404.
 *
 * Redis never holds a request: while it is down or slow, operations fail at once (or after
 * REDIS_COMMAND_TIMEOUT) with OwnedObjectStoreUnavailable.
 */
import { LRUCache } from 'lru-cache';
import type { Redis } from 'ioredis';

export interface OwnedObject {
  readonly kind: 'file' | 'batch';
  /** The provider instance that keeps it. */
  readonly instance: string;
}

export class OwnedObjectStoreUnavailable extends Error {
  override name = 'OwnedObjectStoreUnavailable';
}

export interface OwnedObjectStore {
  get(owner: string, id: string): Promise<OwnedObject | undefined>;
  put(owner: string, id: string, record: OwnedObject, ttlSeconds: number): Promise<void>;
  delete(owner: string, id: string): Promise<void>;
  /** True for the first caller only: marks a one-time step (a batch's usage accounted) as taken. */
  claim(owner: string, id: string, step: string, ttlSeconds: number): Promise<boolean>;
}

function keyOf(owner: string, id: string): string {
  return `objects:${owner}:${id}`;
}

function parse(text: string | null | undefined): OwnedObject | undefined {
  if (text === null || text === undefined) return undefined;
  try {
    const record = JSON.parse(text) as unknown;
    return record !== null && typeof record === 'object' ? (record as OwnedObject) : undefined;
  } catch {
    return undefined;
  }
}

export class MemoryOwnedObjectStore implements OwnedObjectStore {
  readonly #entries: LRUCache<string, string>;

  constructor(options: { maxEntries: number }) {
    this.#entries = new LRUCache<string, string>({
      max: options.maxEntries,
      perf: { now: () => performance.now() },
      ttlResolution: 0,
    });
  }

  async get(owner: string, id: string): Promise<OwnedObject | undefined> {
    return parse(this.#entries.get(keyOf(owner, id)));
  }

  async put(owner: string, id: string, record: OwnedObject, ttlSeconds: number): Promise<void> {
    this.#entries.set(keyOf(owner, id), JSON.stringify(record), { ttl: ttlSeconds * 1000 });
  }

  async delete(owner: string, id: string): Promise<void> {
    this.#entries.delete(keyOf(owner, id));
  }

  async claim(owner: string, id: string, step: string, ttlSeconds: number): Promise<boolean> {
    const key = `${keyOf(owner, id)}:${step}`;
    if (this.#entries.has(key)) return false;
    this.#entries.set(key, '1', { ttl: ttlSeconds * 1000 });
    return true;
  }
}

/** What the Redis store needs of the shared connection (plugins/redis.ts). */
export interface RedisConnection {
  readonly client: Redis;
  readonly available: boolean;
}

export class RedisOwnedObjectStore implements OwnedObjectStore {
  readonly #redis: RedisConnection;

  constructor(redis: RedisConnection) {
    this.#redis = redis;
  }

  async #run<T>(command: (client: Redis) => Promise<T>): Promise<T> {
    if (!this.#redis.available) throw new OwnedObjectStoreUnavailable('Redis is not connected');
    try {
      return await command(this.#redis.client);
    } catch (error) {
      throw new OwnedObjectStoreUnavailable((error as Error).message);
    }
  }

  async get(owner: string, id: string): Promise<OwnedObject | undefined> {
    return parse(await this.#run((client) => client.get(keyOf(owner, id))));
  }

  async put(owner: string, id: string, record: OwnedObject, ttlSeconds: number): Promise<void> {
    await this.#run((client) => client.set(keyOf(owner, id), JSON.stringify(record), 'EX', ttlSeconds));
  }

  async delete(owner: string, id: string): Promise<void> {
    await this.#run((client) => client.del(keyOf(owner, id)));
  }

  async claim(owner: string, id: string, step: string, ttlSeconds: number): Promise<boolean> {
    const key = `${keyOf(owner, id)}:${step}`;
    return (await this.#run((client) => client.set(key, '1', 'EX', ttlSeconds, 'NX'))) === 'OK';
  }
}
