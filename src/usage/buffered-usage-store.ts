/**
 * Usage recorded while Redis is down is held here, in memory, and written once Redis is back, so a
 * Redis restart costs no request its accounting. Nothing waits on it: `record` never rejects.
 *
 * - Records are written at once while Redis answers. A write that fails for want of a connection
 *   (down, cut, timed out) puts the record in the queue; while the queue holds anything, new records
 *   join it, and it is written in batches when the connection is ready again (and retried every
 *   `retryMs` meanwhile).
 * - The queue holds at most `maxRecords`; past that new records are dropped and counted.
 * - One warning when an outage starts holding records, one line when they are all written (with
 *   how many were dropped meanwhile).
 * - A record whose write may have happened (a timeout) is written again safely: RedisUsageStore
 *   marks every record so that a second write of it is a no-op.
 * - A record Redis itself refuses (a script error: never a connection problem) is dropped and
 *   logged, not retried forever.
 *
 * Reads (reports, budgets) go to Redis directly; while records are held, they lag behind by them.
 */
import type { Redis } from 'ioredis';
import type { RedisUsageStore, MarkedUsageRecord } from './redis-usage-store.js';
import type { BudgetPeriod, UsageDay, UsageRecord, UsageStore } from './usage-store.js';

export interface UsageBufferLog {
  warn(object: Record<string, unknown>, message: string): void;
  info(object: Record<string, unknown>, message: string): void;
  error(object: Record<string, unknown>, message: string): void;
}

export interface BufferedUsageStoreOptions {
  /** Records held at most while Redis is unreachable. */
  maxRecords: number;
  /** How often held records are tried again while Redis does not come back (ms). */
  retryMs?: number;
  /** Records per round trip when the queue is written. */
  batchSize?: number;
}

/** What the buffer needs of the shared connection (plugins/redis.ts). */
export interface UsageConnection {
  readonly client: Redis;
  readonly available: boolean;
}

/** What the metrics read. */
export interface UsageBufferFigures {
  /** Records held now, waiting for Redis. */
  held: number;
  /** Records lost since start: the queue was full, Redis refused them, or they were held at close. */
  dropped: number;
}

function isRefusal(error: unknown): boolean {
  // ioredis reports what Redis answered as a ReplyError; everything else is about the connection.
  return (error as Error | null)?.name === 'ReplyError';
}

export class BufferedUsageStore implements UsageStore {
  readonly #store: RedisUsageStore;
  readonly #connection: UsageConnection;
  readonly #log: UsageBufferLog;
  readonly #maxRecords: number;
  readonly #retryMs: number;
  readonly #batchSize: number;
  #held: MarkedUsageRecord[] = [];
  #dropped = 0;
  #droppedThisOutage = 0;
  #outageStarted: number | null = null;
  #flushing: Promise<void> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;
  readonly #onReady = () => void this.flush();

  constructor(
    store: RedisUsageStore,
    connection: UsageConnection,
    log: UsageBufferLog,
    options: BufferedUsageStoreOptions,
  ) {
    this.#store = store;
    this.#connection = connection;
    this.#log = log;
    this.#maxRecords = options.maxRecords;
    this.#retryMs = options.retryMs ?? 1000;
    this.#batchSize = options.batchSize ?? 200;
    connection.client.on('ready', this.#onReady);
  }

  figures(): UsageBufferFigures {
    return { held: this.#held.length, dropped: this.#dropped };
  }

  async record(entry: UsageRecord): Promise<void> {
    const record = this.#store.mark(entry);
    if (this.#held.length === 0 && this.#connection.available) {
      let error: Error | null;
      try {
        [error] = (await this.#store.write([record])) as [Error | null];
      } catch (failure) {
        error = failure as Error;
      }
      if (!error) return;
      if (isRefusal(error)) {
        this.#refuse([record], error);
        return;
      }
    }
    this.#hold(record);
  }

  #hold(record: MarkedUsageRecord): void {
    if (this.#outageStarted === null) {
      this.#outageStarted = Date.now();
      this.#log.warn(
        { event: 'usage_held', maxRecords: this.#maxRecords },
        'Redis is unreachable: usage records are held in memory and written when it is back',
      );
    }
    if (this.#held.length >= this.#maxRecords || this.#closed) {
      this.#dropped++;
      this.#droppedThisOutage++;
      return;
    }
    this.#held.push(record);
    this.#timer ??= setInterval(() => void this.flush(), this.#retryMs).unref();
  }

  #refuse(records: MarkedUsageRecord[], error: unknown): void {
    this.#dropped += records.length;
    this.#log.error(
      { event: 'usage_refused', records: records.length, err: error },
      'Redis refused usage records: they are dropped',
    );
  }

  /** Writes what is held, if Redis is ready; resolves when done or when it stopped answering again. */
  flush(): Promise<void> {
    this.#flushing ??= this.#writeHeld().finally(() => {
      this.#flushing = null;
    });
    return this.#flushing;
  }

  async #writeHeld(): Promise<void> {
    while (this.#held.length > 0 && this.#connection.available) {
      const batch = this.#held.slice(0, this.#batchSize);
      let results: (Error | null)[];
      try {
        results = await this.#store.write(batch);
      } catch {
        return;
      }
      const again: MarkedUsageRecord[] = [];
      const refused: MarkedUsageRecord[] = [];
      let firstRefusal: Error | null = null;
      results.forEach((error, index) => {
        if (!error) return;
        if (isRefusal(error)) {
          refused.push(batch[index]!);
          firstRefusal ??= error;
        } else again.push(batch[index]!);
      });
      if (refused.length > 0) this.#refuse(refused, firstRefusal);
      this.#held.splice(0, batch.length, ...again);
      if (again.length > 0) return;
    }
    if (this.#held.length === 0 && this.#outageStarted !== null) {
      this.#log.info(
        {
          event: 'usage_written_after_outage',
          dropped: this.#droppedThisOutage,
          durationMs: Date.now() - this.#outageStarted,
        },
        'Redis is back: the usage records held meanwhile are written',
      );
      this.#outageStarted = null;
      this.#droppedThisOutage = 0;
      if (this.#timer) clearInterval(this.#timer);
      this.#timer = null;
    }
  }

  /** A last write of what is held; what still cannot be written is reported lost. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#connection.client.off('ready', this.#onReady);
    await this.flush();
    if (this.#held.length > 0) {
      this.#dropped += this.#held.length;
      this.#log.error(
        { event: 'usage_lost', records: this.#held.length },
        'Redis is unreachable at shutdown: the usage records held are lost',
      );
      this.#held = [];
    }
  }

  async prune(now: Date): Promise<void> {
    if (this.#connection.available) await this.#store.prune(now);
  }

  days(identity: string, from: string, to: string): Promise<UsageDay[]> {
    return this.#store.days(identity, from, to);
  }

  identities(from: string, to: string): Promise<string[]> {
    return this.#store.identities(from, to);
  }

  spent(identity: string, period: BudgetPeriod, now: Date): Promise<number> {
    return this.#store.spent(identity, period, now);
  }
}
