/**
 * Tokens per minute: each key's token usage (as the providers report it) summed over fixed
 * one-minute windows, in memory or in Redis (INCRBY on `tokens:<scope>:<window>`, expiring after
 * two windows), so replicas share one count. A request is refused once the current window's total
 * reached the limit; the request that crosses it is not cut short, so a window can end somewhat
 * above the limit (by at most the requests in flight when it was reached).
 */
import type { Redis } from 'ioredis';

export const TOKEN_WINDOW_MS = 60_000;

export interface TokenCounter {
  /** Tokens counted for `scope` in `window` (throws when the store cannot answer). */
  read(scope: string, window: number): Promise<number>;
  add(scope: string, window: number, tokens: number): Promise<void>;
}

export function currentTokenWindow(now = Date.now()): number {
  return Math.floor(now / TOKEN_WINDOW_MS);
}

/** Seconds until `window` ends. */
export function secondsUntilWindowEnds(window: number, now = Date.now()): number {
  return Math.max(1, Math.ceil(((window + 1) * TOKEN_WINDOW_MS - now) / 1000));
}

export class MemoryTokenCounter implements TokenCounter {
  // One entry per key with a token limit: bounded by the configured keys.
  readonly #counts = new Map<string, { window: number; tokens: number }>();

  async read(scope: string, window: number): Promise<number> {
    const count = this.#counts.get(scope);
    return count && count.window === window ? count.tokens : 0;
  }

  async add(scope: string, window: number, tokens: number): Promise<void> {
    const count = this.#counts.get(scope);
    if (count && count.window === window) count.tokens += tokens;
    else this.#counts.set(scope, { window, tokens });
  }
}

export class RedisTokenCounter implements TokenCounter {
  readonly #redis: { readonly client: Redis; readonly available: boolean };

  constructor(redis: { readonly client: Redis; readonly available: boolean }) {
    this.#redis = redis;
  }

  #client(): Redis {
    if (!this.#redis.available) throw new Error('Redis is not connected');
    return this.#redis.client;
  }

  async read(scope: string, window: number): Promise<number> {
    const value = await this.#client().get(`tokens:${scope}:${window}`);
    return value === null ? 0 : Number(value);
  }

  async add(scope: string, window: number, tokens: number): Promise<void> {
    const key = `tokens:${scope}:${window}`;
    await this.#client()
      .multi()
      .incrby(key, tokens)
      .pexpire(key, TOKEN_WINDOW_MS * 2)
      .exec();
  }
}
