/**
 * Key look-ups off the request path: a key's digest is looked up in the store once, then answered
 * from memory for `ttlMs`; unknown digests are remembered too, for a shorter time, so a client
 * retrying with a wrong key does not reach the database every time. The cache is bounded (least
 * recently used out first), so random keys cannot grow it.
 *
 * Freshness: every entry is read again after `ttlMs` (4 s by default), so a key revoked on any
 * replica is refused everywhere within 5 s. Sooner through the store's change events: at once in
 * the process that made the change, and through PostgreSQL LISTEN/NOTIFY in the others.
 *
 * When the store does not answer (down, or slower than `refreshTimeoutMs`), a key already known is
 * answered as last seen, and read again after `retryAfterErrorMs`; only a key never seen fails,
 * with StoreUnavailableError (a 503, not a 401: the key may well be valid).
 * @see https://github.com/isaacs/node-lru-cache#readme
 */
import { LRUCache } from 'lru-cache';
import { StoreUnavailableError, type KeyChange, type KeyMatch, type Store } from './store.js';

export interface KeyCacheOptions {
  /** How long a found key is answered from memory (ms). */
  ttlMs?: number;
  /** How long an unknown digest is answered as unknown (ms). */
  negativeTtlMs?: number;
  /** Digests held at most. */
  maxEntries?: number;
  /** How long a look-up may take before a key already known is answered as last seen (ms). */
  refreshTimeoutMs?: number;
  /** After the store failed, how long a known key is answered as last seen before trying again (ms). */
  retryAfterErrorMs?: number;
}

export interface KeyCacheStats {
  /** Look-ups answered from memory. */
  hits: number;
  /** Look-ups that read the store. */
  reads: number;
  /** Look-ups answered as last seen because the store did not answer. */
  stale: number;
  size: number;
}

export const KEY_CACHE_DEFAULTS = {
  ttlMs: 4000,
  negativeTtlMs: 1000,
  maxEntries: 10_000,
  refreshTimeoutMs: 500,
  retryAfterErrorMs: 1000,
} as const;

interface Entry {
  match: KeyMatch | null;
  /** performance.now() until which the entry is answered without reading the store. */
  freshUntil: number;
}

export class KeyCache {
  readonly #store: Pick<Store, 'findKeyByHash'>;
  readonly #options: typeof KEY_CACHE_DEFAULTS;
  readonly #entries: LRUCache<string, Entry>;
  readonly #reading = new Map<string, Promise<KeyMatch | null>>();
  readonly #unsubscribe: () => void;
  // Bumped by every change: a read that started before a change is not kept.
  #generation = 0;
  #hits = 0;
  #reads = 0;
  #stale = 0;

  constructor(store: Pick<Store, 'findKeyByHash' | 'onKeyChange'>, options: KeyCacheOptions = {}) {
    this.#store = store;
    this.#options = { ...KEY_CACHE_DEFAULTS };
    for (const [name, value] of Object.entries(options)) {
      if (value !== undefined) (this.#options as Record<string, number>)[name] = value;
    }
    this.#entries = new LRUCache({ max: this.#options.maxEntries });
    this.#unsubscribe = store.onKeyChange((change) => this.forget(change));
  }

  get stats(): KeyCacheStats {
    return { hits: this.#hits, reads: this.#reads, stale: this.#stale, size: this.#entries.size };
  }

  /**
   * The key whose current or previous secret has this SHA-256 (hex), or null. The caller decides
   * with `statusOfKey` whether it may be used now (revoked, expired, replaced by a rotation).
   */
  lookup(hash: string): Promise<KeyMatch | null> {
    const entry = this.#entries.get(hash);
    if (entry !== undefined && performance.now() < entry.freshUntil) {
      this.#hits++;
      return Promise.resolve(entry.match);
    }
    return this.#read(hash, entry);
  }

  /** Forgets what a change makes wrong: a key's secrets at once, a team's keys on their next look-up. */
  forget(change: KeyChange): void {
    this.#generation++;
    if (change.kind === 'key') {
      // A revoked key must not be answered as last seen, even if the store then goes down.
      for (const hash of change.hashes) this.#entries.delete(hash);
      return;
    }
    for (const entry of this.#entries.values()) {
      if (change.kind === 'all' || entry.match?.key.teamId === change.teamId) entry.freshUntil = 0;
    }
  }

  /** Stops following the store's changes and forgets every key. */
  close(): void {
    this.#unsubscribe();
    this.#entries.clear();
  }

  #read(hash: string, known: Entry | undefined): Promise<KeyMatch | null> {
    let reading = this.#reading.get(hash);
    if (!reading) {
      this.#reads++;
      const generation = this.#generation;
      reading = this.#store.findKeyByHash(hash).then(
        (match) => {
          if (generation === this.#generation) {
            const ttl = match ? this.#options.ttlMs : this.#options.negativeTtlMs;
            this.#entries.set(hash, { match, freshUntil: performance.now() + ttl });
          }
          return match;
        },
        (error: unknown) => {
          const last = this.#entries.get(hash);
          if (last === undefined) {
            throw new StoreUnavailableError('The key store did not answer.', { cause: error });
          }
          last.freshUntil = performance.now() + this.#options.retryAfterErrorMs;
          this.#stale++;
          return last.match;
        },
      );
      const settled = reading.finally(() => this.#reading.delete(hash));
      // The caller awaits `reading`; this copy only cleans up, and must not report its rejection.
      settled.catch(() => undefined);
      this.#reading.set(hash, reading);
    }
    if (known === undefined) return reading;
    return this.#withinTimeout(hash, reading);
  }

  /** The read's answer, or the key as last seen if the read is slower than the timeout. */
  #withinTimeout(hash: string, reading: Promise<KeyMatch | null>): Promise<KeyMatch | null> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        // A key forgotten meanwhile (revoked) waits for the read instead.
        const last = this.#entries.peek(hash);
        if (last === undefined) return;
        this.#stale++;
        resolve(last.match);
      }, this.#options.refreshTimeoutMs);
      timer.unref();
      reading.then(
        (match) => {
          clearTimeout(timer);
          resolve(match);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }
}
