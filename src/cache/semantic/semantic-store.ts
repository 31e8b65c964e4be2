/**
 * Where the semantic cache keeps its questions (as unit vectors) and their answers: entries are
 * grouped by partition (the scope and the digest of everything that must match exactly,
 * semantic-subject.ts), and a lookup compares the question with every entry of its partition: an
 * exact search, so the best match is always found, at a cost that grows with the partition.
 *
 * In memory (this file): an LRU (lru-cache) bounded by entries and bytes, each entry with its TTL.
 * In Redis (redis-semantic-store.ts): shared by replicas.
 * @see https://github.com/isaacs/node-lru-cache#readme
 */
import { LRUCache } from 'lru-cache';
import { cosineOfUnitVectors } from './vectors.js';

export interface SemanticMatch {
  readonly similarity: number;
  /** The stored answer: a cache entry's text (src/cache/cache-entry.ts). */
  readonly answer: string;
}

export interface SemanticStore {
  /**
   * The most similar entry of `partition` at `threshold` or above; undefined when none is. Throws
   * when the store cannot answer (the caller then misses).
   */
  search(partition: string, vector: Float32Array, threshold: number): Promise<SemanticMatch | undefined>;
  add(partition: string, vector: Float32Array, answer: string, ttlSeconds: number): Promise<void>;
}

export interface MemorySemanticStoreOptions {
  maxEntries: number;
  /** Vectors (4 bytes a dimension), answers and partition names, in UTF-16 code units ≈ bytes. */
  maxBytes: number;
}

interface MemoryEntry {
  readonly partition: string;
  readonly vector: Float32Array;
  readonly answer: string;
  /** performance.now() past which the entry is gone (the LRU's own TTL says the same). */
  readonly expiresAt: number;
}

export class MemorySemanticStore implements SemanticStore {
  /** Bounds, recency and expiry. */
  readonly #entries: LRUCache<number, MemoryEntry>;
  /**
   * Each partition's entries, kept in step with the LRU by its dispose callback, so that a search
   * reads them directly: it must not make every entry recently used, and a plain Map walk is the
   * cheapest way through them.
   */
  readonly #partitions = new Map<string, Map<number, MemoryEntry>>();
  #nextId = 0;

  constructor(options: MemorySemanticStoreOptions) {
    this.#entries = new LRUCache<number, MemoryEntry>({
      max: options.maxEntries,
      maxSize: options.maxBytes,
      sizeCalculation: (entry) => entry.vector.byteLength + entry.answer.length + entry.partition.length,
      dispose: (entry, id) => {
        const entries = this.#partitions.get(entry.partition);
        if (!entries) return;
        entries.delete(id);
        if (entries.size === 0) this.#partitions.delete(entry.partition);
      },
      // The clock read through the global at each check, so tests can move time with fake timers.
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

  async search(
    partition: string,
    vector: Float32Array,
    threshold: number,
  ): Promise<SemanticMatch | undefined> {
    const entries = this.#partitions.get(partition);
    if (!entries) return undefined;
    const now = performance.now();
    let bestId = -1;
    let best = -Infinity;
    let expired: number[] | undefined;
    for (const [id, entry] of entries) {
      if (entry.expiresAt <= now) {
        (expired ??= []).push(id);
        continue;
      }
      const similarity = cosineOfUnitVectors(vector, entry.vector);
      if (similarity > best) {
        best = similarity;
        bestId = id;
      }
    }
    if (expired) for (const id of expired) this.#entries.delete(id);
    if (bestId < 0 || best < threshold) return undefined;
    // get: the entry that answered is the one recently used.
    const entry = this.#entries.get(bestId);
    return entry ? { similarity: best, answer: entry.answer } : undefined;
  }

  async add(partition: string, vector: Float32Array, answer: string, ttlSeconds: number): Promise<void> {
    const id = this.#nextId++;
    const entry = { partition, vector, answer, expiresAt: performance.now() + ttlSeconds * 1000 };
    this.#entries.set(id, entry, { ttl: ttlSeconds * 1000 });
    // An entry larger than the whole bound is refused by the LRU: it is not indexed either.
    if (!this.#entries.has(id)) return;
    let entries = this.#partitions.get(partition);
    if (!entries) this.#partitions.set(partition, (entries = new Map()));
    entries.set(id, entry);
  }
}
