/**
 * The semantic cache in Redis, shared by replicas, with plain Redis commands (no search module):
 * each partition is a list of its entries' vectors, newest first, trimmed to
 * `partitionMaxEntries`; each answer is a key of its own with Redis's expiry. A lookup reads the
 * partition's list (LRANGE), compares in the gateway, then reads the best entry's answer (GET). A
 * partition read is kept by the replica for `partitionCacheMs`, so a hit within that time costs one
 * round trip; an entry another replica added in the meantime is seen once that time has passed.
 *
 * A list item is binary: the entry's id (16 bytes), its expiry (epoch ms, float64) and its unit
 * vector (float32s).
 */
import { randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { CacheUnavailable, type RedisConnection } from '../cache-store.js';
import type { SemanticMatch, SemanticStore } from './semantic-store.js';
import { cosineOfUnitVectors } from './vectors.js';

export interface RedisSemanticStoreOptions {
  partitionMaxEntries: number;
  partitionCacheMs: number;
  /** Partitions whose vectors are kept by this replica at once. */
  maxCachedPartitions?: number;
}

interface Candidate {
  readonly id: string;
  readonly expiresAt: number;
  readonly vector: Float32Array;
}

const ID_BYTES = 16;
const HEADER_BYTES = ID_BYTES + 8;

export function encodeSemanticItem(id: Buffer, expiresAt: number, vector: Float32Array): Buffer {
  const item = Buffer.allocUnsafe(HEADER_BYTES + vector.byteLength);
  id.copy(item, 0, 0, ID_BYTES);
  item.writeDoubleLE(expiresAt, ID_BYTES);
  Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).copy(item, HEADER_BYTES);
  return item;
}

function decodeItem(item: Buffer): Candidate | undefined {
  if (item.length < HEADER_BYTES || (item.length - HEADER_BYTES) % 4 !== 0) return undefined;
  const vector = new Float32Array((item.length - HEADER_BYTES) / 4);
  new Uint8Array(vector.buffer).set(item.subarray(HEADER_BYTES));
  return {
    id: item.subarray(0, ID_BYTES).toString('hex'),
    expiresAt: item.readDoubleLE(ID_BYTES),
    vector,
  };
}

export const semanticListKey = (partition: string) => `semantic:${partition}`;
export const semanticAnswerKey = (id: string) => `semantic-answer:${id}`;

export class RedisSemanticStore implements SemanticStore {
  readonly #redis: RedisConnection;
  readonly #options: RedisSemanticStoreOptions;
  readonly #partitions: LRUCache<string, Candidate[]> | undefined;

  constructor(redis: RedisConnection, options: RedisSemanticStoreOptions) {
    this.#redis = redis;
    this.#options = options;
    this.#partitions =
      options.partitionCacheMs > 0
        ? new LRUCache<string, Candidate[]>({
            max: options.maxCachedPartitions ?? 1000,
            ttl: options.partitionCacheMs,
            perf: { now: () => performance.now() },
            ttlResolution: 0,
          })
        : undefined;
  }

  #client() {
    if (!this.#redis.available) throw new CacheUnavailable('Redis is not connected');
    return this.#redis.client;
  }

  async #candidates(partition: string): Promise<Candidate[]> {
    const cached = this.#partitions?.get(partition);
    if (cached) return cached;
    let items: Buffer[];
    try {
      items = await this.#client().lrangeBuffer(semanticListKey(partition), 0, -1);
    } catch (error) {
      throw new CacheUnavailable((error as Error).message);
    }
    const candidates: Candidate[] = [];
    for (const item of items) {
      const candidate = decodeItem(item);
      if (candidate) candidates.push(candidate);
    }
    this.#partitions?.set(partition, candidates);
    return candidates;
  }

  async search(
    partition: string,
    vector: Float32Array,
    threshold: number,
  ): Promise<SemanticMatch | undefined> {
    const candidates = await this.#candidates(partition);
    const now = Date.now();
    let best: Candidate | undefined;
    let bestSimilarity = -Infinity;
    for (const candidate of candidates) {
      if (candidate.expiresAt <= now) continue;
      const similarity = cosineOfUnitVectors(vector, candidate.vector);
      if (similarity > bestSimilarity) {
        bestSimilarity = similarity;
        best = candidate;
      }
    }
    if (!best || bestSimilarity < threshold) return undefined;
    let answer: string | null;
    try {
      answer = await this.#client().get(semanticAnswerKey(best.id));
    } catch (error) {
      throw new CacheUnavailable((error as Error).message);
    }
    return answer === null ? undefined : { similarity: bestSimilarity, answer };
  }

  async add(partition: string, vector: Float32Array, answer: string, ttlSeconds: number): Promise<void> {
    const id = randomBytes(ID_BYTES);
    const listKey = semanticListKey(partition);
    await this.#client()
      .multi()
      .set(semanticAnswerKey(id.toString('hex')), answer, 'EX', ttlSeconds)
      .lpush(listKey, encodeSemanticItem(id, Date.now() + ttlSeconds * 1000, vector))
      .ltrim(listKey, 0, this.#options.partitionMaxEntries - 1)
      // The list lives as long as its longest-lived entry: set when it has no expiry, else only raised.
      .expire(listKey, ttlSeconds, 'NX')
      .expire(listKey, ttlSeconds, 'GT')
      .exec();
    // This replica sees its own entry at once.
    this.#partitions?.delete(partition);
  }
}
