/**
 * What the Responses API remembers of the responses it answered, scoped to the key that created
 * them: in Redis when the gateway has one (every replica sees the same responses), else in this
 * process (an LRU bounded by size, lru-cache).
 *
 * Two kinds of record share the store:
 * - a response the gateway answered itself by translation: the response object as the client got
 *   it (for GET) and the conversation up to and including it, as Responses API input items (for
 *   `previous_response_id`);
 * - a response a provider that speaks the Responses API answered and keeps (pass-through): only the
 *   provider instance that holds it, so that GET, DELETE and `previous_response_id` reach it, and
 *   only for the key that created it.
 *
 * A record is stored under its owner's scope (`responses:<scope>:<id>`): another key's lookup of
 * the same id finds nothing, whatever it tries. Redis never holds a request: while it is down or
 * slow, reads and writes fail at once (or after REDIS_COMMAND_TIMEOUT) with ResponseStoreUnavailable.
 * @see https://platform.openai.com/docs/guides/conversation-state
 */
import { LRUCache } from 'lru-cache';
import type { Redis } from 'ioredis';

/** One remembered response. */
export interface StoredResponse {
  /** Held by a provider (pass-through): the provider instance that answered it. */
  readonly instance?: string;
  /** Held by the gateway: the response object as it was answered. */
  readonly response?: Record<string, unknown>;
  /** Held by the gateway: every input item of the conversation and the response's output items. */
  readonly conversation?: readonly unknown[];
}

export class ResponseStoreUnavailable extends Error {
  override name = 'ResponseStoreUnavailable';
}

export interface ResponseStore {
  /** The record `owner` stored under `id`, or undefined (another owner's record is never found). */
  get(owner: string, id: string): Promise<StoredResponse | undefined>;
  put(owner: string, id: string, record: StoredResponse, ttlSeconds: number): Promise<void>;
  /** Whether there was a record to delete. */
  delete(owner: string, id: string): Promise<boolean>;
}

function keyOf(owner: string, id: string): string {
  return `responses:${owner}:${id}`;
}

function parse(text: string | null | undefined): StoredResponse | undefined {
  if (text === null || text === undefined) return undefined;
  try {
    const record = JSON.parse(text) as unknown;
    return record !== null && typeof record === 'object' ? (record as StoredResponse) : undefined;
  } catch {
    return undefined;
  }
}

export class MemoryResponseStore implements ResponseStore {
  readonly #entries: LRUCache<string, string>;
  readonly #maxBytes: number;

  constructor(options: { maxBytes: number }) {
    this.#maxBytes = options.maxBytes;
    this.#entries = new LRUCache<string, string>({
      maxSize: options.maxBytes,
      sizeCalculation: (value, key) => value.length + key.length,
      // Read the clock through the global at each check, so tests can move time with fake timers.
      perf: { now: () => performance.now() },
      ttlResolution: 0,
    });
  }

  get size(): number {
    return this.#entries.size;
  }

  async get(owner: string, id: string): Promise<StoredResponse | undefined> {
    return parse(this.#entries.get(keyOf(owner, id)));
  }

  async put(owner: string, id: string, record: StoredResponse, ttlSeconds: number): Promise<void> {
    const key = keyOf(owner, id);
    const text = JSON.stringify(record);
    // lru-cache drops an entry larger than the whole store without a word; the caller must know.
    if (text.length + key.length > this.#maxBytes) {
      throw new ResponseStoreUnavailable(
        `the conversation (${text.length} characters) is larger than the in-memory store (RESPONSES_MAX_MEMORY_BYTES)`,
      );
    }
    this.#entries.set(key, text, { ttl: ttlSeconds * 1000 });
  }

  async delete(owner: string, id: string): Promise<boolean> {
    return this.#entries.delete(keyOf(owner, id));
  }
}

/** What the Redis store needs of the shared connection (plugins/redis.ts). */
export interface RedisConnection {
  readonly client: Redis;
  readonly available: boolean;
}

export class RedisResponseStore implements ResponseStore {
  readonly #redis: RedisConnection;

  constructor(redis: RedisConnection) {
    this.#redis = redis;
  }

  async #run<T>(command: (client: Redis) => Promise<T>): Promise<T> {
    if (!this.#redis.available) throw new ResponseStoreUnavailable('Redis is not connected');
    try {
      return await command(this.#redis.client);
    } catch (error) {
      throw new ResponseStoreUnavailable((error as Error).message);
    }
  }

  async get(owner: string, id: string): Promise<StoredResponse | undefined> {
    return parse(await this.#run((client) => client.get(keyOf(owner, id))));
  }

  async put(owner: string, id: string, record: StoredResponse, ttlSeconds: number): Promise<void> {
    await this.#run((client) => client.set(keyOf(owner, id), JSON.stringify(record), 'EX', ttlSeconds));
  }

  async delete(owner: string, id: string): Promise<boolean> {
    return (await this.#run((client) => client.del(keyOf(owner, id)))) > 0;
  }
}
