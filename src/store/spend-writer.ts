/**
 * Spend rows leave the request path here: `add` puts a row in a bounded in-memory queue and
 * returns; the queue is written to the store in batches, when a batch is full, when the oldest row
 * has waited `flushIntervalMs`, and on close. Nothing here can block or fail a request: `add`
 * never throws and never waits, and callbacks that throw are ignored.
 *
 * While the database is down the rows stay queued, up to `maxQueued`; past that new rows are
 * dropped and counted. Writes are retried with a growing delay, and the outage is reported once
 * (`onOutage`), its end once (`onRecovery`, with what was dropped meanwhile). A batch the database
 * refuses while it answers is retried, then written row by row, so one bad row costs only itself.
 *
 * A batch whose commit was cut off (the database went away as it answered) is written again; the
 * store skips rows it already has (each row carries its own id), so every row is counted once.
 */
import { timeOrderedUuid } from '../time-ordered-uuid.js';
import type { SpendEntry, Store } from './store.js';

export type SpendInput = Omit<SpendEntry, 'id'> & { id?: string };

export interface SpendWriterOptions {
  /** Rows held at most (queued and being written); more are dropped and counted. */
  maxQueued?: number;
  /** Rows per write. */
  batchSize?: number;
  /** How long a row waits at most before a write (ms). */
  flushIntervalMs?: number;
  /** The first wait before a write is tried again after a failure; it doubles up to the maximum (ms). */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** Writes of a batch the database refuses, while it answers, before it is written row by row. */
  attemptsBeforeSplitting?: number;
  /** The database stopped taking rows: called once per outage. */
  onOutage?: (event: { error: unknown; queued: number }) => void;
  /** The database takes rows again. */
  onRecovery?: (event: { dropped: number; queued: number; durationMs: number }) => void;
  /** Rows of a batch that the database refused one by one, while it answered: dropped (once per batch). */
  onRefused?: (event: { error: unknown; rows: number }) => void;
}

export interface SpendWriterCounters {
  /** Rows waiting (including those being written). */
  queued: number;
  /** Rows the store has taken. */
  written: number;
  /** Rows lost: the queue was full, the database refused them, or they were left at close. */
  dropped: number;
  /** Successful writes. */
  batches: number;
}

export const SPEND_WRITER_DEFAULTS = {
  maxQueued: 20_000,
  batchSize: 500,
  flushIntervalMs: 1000,
  retryDelayMs: 500,
  maxRetryDelayMs: 10_000,
  attemptsBeforeSplitting: 3,
} as const;

type WriteResult = 'written' | 'outage' | 'refused';

export class SpendWriter {
  readonly #store: Pick<Store, 'writeSpend' | 'ping'>;
  readonly #options: Required<Pick<SpendWriterOptions, keyof typeof SPEND_WRITER_DEFAULTS>> &
    SpendWriterOptions;
  readonly #timer: NodeJS.Timeout;
  #queue: SpendEntry[] = [];
  #written = 0;
  #dropped = 0;
  #batches = 0;
  #writing: Promise<void> | null = null;
  #immediate = false;
  #closing: Promise<SpendWriterCounters> | null = null;
  // Outage state: when it began, what had been dropped by then, when to try again.
  #outageStartedAt: number | null = null;
  #droppedBeforeOutage = 0;
  #retryDelay: number;
  #nextAttemptAt = 0;
  #refusals = 0;

  constructor(store: Pick<Store, 'writeSpend' | 'ping'>, options: SpendWriterOptions = {}) {
    this.#store = store;
    this.#options = { ...SPEND_WRITER_DEFAULTS, ...withoutUndefined(options) };
    this.#retryDelay = this.#options.retryDelayMs;
    this.#timer = setInterval(() => void this.#pump(false), this.#options.flushIntervalMs);
    this.#timer.unref();
  }

  get counters(): SpendWriterCounters {
    return {
      queued: this.#queue.length,
      written: this.#written,
      dropped: this.#dropped,
      batches: this.#batches,
    };
  }

  /** Whether the database is failing to take rows right now. */
  get degraded(): boolean {
    return this.#outageStartedAt !== null;
  }

  /** Queues one row; never throws, never waits. */
  add(input: SpendInput): void {
    try {
      if (this.#closing || this.#queue.length >= this.#options.maxQueued) {
        this.#dropped++;
        return;
      }
      // A time-ordered id (UUID version 7, src/time-ordered-uuid.ts): each batch of rows lands at the end of the table's key
      // index instead of at random pages of it, which cut the database's CPU per row about fivefold
      // (docs/performance.md).
      this.#queue.push(input.id ? (input as SpendEntry) : { ...input, id: timeOrderedUuid() });
      if (this.#queue.length >= this.#options.batchSize && !this.#immediate && !this.degraded) {
        // Written after the current request's work, never inside it.
        this.#immediate = true;
        setImmediate(() => {
          this.#immediate = false;
          void this.#pump(false);
        });
      }
    } catch {
      this.#dropped++;
    }
  }

  /** Writes what is queued now, even during an outage (one try); never rejects. */
  flush(): Promise<void> {
    return this.#pump(true);
  }

  /**
   * Stops taking rows, writes what is queued (one try if the database is failing) and resolves
   * with the final counters; rows that could not be written are counted as dropped.
   */
  close(): Promise<SpendWriterCounters> {
    this.#closing ??= (async () => {
      clearInterval(this.#timer);
      await this.#writing;
      await this.#pump(true);
      this.#dropped += this.#queue.length;
      this.#queue = [];
      return this.counters;
    })();
    return this.#closing;
  }

  #pump(force: boolean): Promise<void> {
    if (this.#writing) return this.#writing;
    if (this.#queue.length === 0) return Promise.resolve();
    if (!force && this.degraded && performance.now() < this.#nextAttemptAt) return Promise.resolve();
    this.#writing = this.#drain().finally(() => {
      this.#writing = null;
    });
    return this.#writing;
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.slice(0, this.#options.batchSize);
      const result = await this.#write(batch);
      if (result === 'outage') return;
      if (result === 'refused') {
        if (++this.#refusals < this.#options.attemptsBeforeSplitting) return;
        await this.#writeOneByOne(batch);
      }
      this.#refusals = 0;
      // Rows are only ever added at the end, so the batch is still the queue's head.
      this.#queue.splice(0, batch.length);
    }
  }

  async #write(batch: SpendEntry[]): Promise<WriteResult> {
    try {
      await this.#store.writeSpend(batch);
      this.#written += batch.length;
      this.#batches++;
      this.#recovered();
      return 'written';
    } catch (error) {
      // The database answering a ping means it refused these rows; else it is out of reach.
      const answers = await this.#store.ping().then(
        () => true,
        () => false,
      );
      if (answers) {
        this.#recovered();
        this.#nextAttemptAt = 0;
        return 'refused';
      }
      this.#failed(error);
      return 'outage';
    }
  }

  async #writeOneByOne(batch: SpendEntry[]): Promise<void> {
    let refused = 0;
    let firstError: unknown;
    for (const entry of batch) {
      try {
        await this.#store.writeSpend([entry]);
        this.#written++;
        this.#batches++;
      } catch (error) {
        refused++;
        firstError ??= error;
      }
    }
    if (refused === 0) return;
    this.#dropped += refused;
    this.#tell('onRefused', { error: firstError, rows: refused });
  }

  #failed(error: unknown): void {
    const now = performance.now();
    if (this.#outageStartedAt === null) {
      this.#outageStartedAt = now;
      this.#droppedBeforeOutage = this.#dropped;
      this.#retryDelay = this.#options.retryDelayMs;
      this.#tell('onOutage', { error, queued: this.#queue.length });
    } else {
      this.#retryDelay = Math.min(this.#retryDelay * 2, this.#options.maxRetryDelayMs);
    }
    this.#nextAttemptAt = now + this.#retryDelay;
  }

  #recovered(): void {
    if (this.#outageStartedAt === null) return;
    const durationMs = performance.now() - this.#outageStartedAt;
    this.#outageStartedAt = null;
    this.#tell('onRecovery', {
      dropped: this.#dropped - this.#droppedBeforeOutage,
      queued: this.#queue.length,
      durationMs,
    });
  }

  #tell<Name extends 'onOutage' | 'onRecovery' | 'onRefused'>(
    name: Name,
    event: Parameters<NonNullable<SpendWriterOptions[Name]>>[0],
  ): void {
    try {
      (this.#options[name] as ((value: typeof event) => void) | undefined)?.(event);
    } catch {
      // A reporting callback must not stop the writer.
    }
  }
}

function withoutUndefined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}
