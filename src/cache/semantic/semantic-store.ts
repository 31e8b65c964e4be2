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
}

export class MemorySemanticStore implements SemanticStore {
  readonly #entries: LRUCache<number, MemoryEntry>;
  /** The ids of each partition's entries, kept in step with the LRU by its dispose callback. */
  readonly #partitions = new Map<string, Set<number>>();
  #nextId = 0;

  constructor(options: MemorySemanticStoreOptions) {
    this.#entries = new LRUCache<number, MemoryEntry>({
      max: options.maxEntries,
      maxSize: options.maxBytes,
      sizeCalculation: (entry) => entry.vector.byteLength + entry.answer.length + entry.partition.length,
      dispose: (entry, id) => {
        const ids = this.#partitions.get(entry.partition);
        if (!ids) return;
        ids.delete(id);
        if (ids.size === 0) this.#partitions.delete(entry.partition);
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
    const ids = this.#partitions.get(partition);
    if (!ids) return undefined;
    let bestId = -1;
    let best = -Infinity;
    let expired: number[] | undefined;
    for (const id of ids) {
      // peek: reading every entry must not make them all recently used.
      const entry = this.#entries.peek(id);
      if (!entry) {
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
    let ids = this.#partitions.get(partition);
    if (!ids) this.#partitions.set(partition, (ids = new Set()));
    ids.add(id);
    this.#entries.set(id, { partition, vector, answer }, { ttl: ttlSeconds * 1000 });
    // An entry larger than the whole bound is refused by the LRU without a dispose.
    if (!this.#entries.has(id)) {
      ids.delete(id);
      if (ids.size === 0) this.#partitions.delete(partition);
    }
  }
}
