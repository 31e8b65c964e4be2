/**
 * Log lines to a file descriptor (stdout), gathered and written in batches: a line costs the event
 * loop an array push, and a batch of them one `fs.write` done by libuv's thread pool.
 *
 * pino's own destination (sonic-boom) appends each line to a growing string and measures that
 * string's UTF-8 length on every line, which flattens it each time: at its smallest batch (4 KB) a
 * line cost ~10 µs of the event loop against ~5 µs here, pino's serialization of the line included
 * (docs/performance.md). What it also does is kept: partial writes are finished, EAGAIN (a full
 * non-blocking pipe) is waited out, lines past a bound are dropped and counted rather than held
 * without end, and `flushSync` writes what is left at exit.
 */
import * as fs from 'node:fs';

export interface LineWriterOptions {
  /** The file descriptor written to; 1 is stdout. */
  fd: number;
  /** A batch is written once this many characters are waiting (or at `flush`). */
  batchChars?: number;
  /** Characters held at most (waiting and being written); lines past it are dropped and counted. */
  maxHeldChars?: number;
  /** How long to wait before writing again to a full pipe (ms). */
  retryDelayMs?: number;
  /** The file system calls (tests replace them to make writes partial or refused). */
  fileSystem?: Pick<typeof fs, 'write' | 'writeSync'>;
}

/** Sync writes to a full pipe: tries, with a 1 ms sleep between, before the rest is given up. */
const SYNC_ATTEMPTS = 1000;
const SLEEP = new Int32Array(new SharedArrayBuffer(4));

export class LineWriter {
  readonly #fd: number;
  readonly #batchChars: number;
  readonly #maxHeldChars: number;
  readonly #retryDelayMs: number;
  readonly #fs: Pick<typeof fs, 'write' | 'writeSync'>;
  #lines: string[] = [];
  #chars = 0;
  /** The batch being written, from where the last write left it; null when none is. */
  #writing: Buffer | null = null;
  #writingChars = 0;
  #dropped = 0;

  constructor(options: LineWriterOptions) {
    this.#fd = options.fd;
    this.#batchChars = options.batchChars ?? 16_384;
    this.#maxHeldChars = options.maxHeldChars ?? 16 * 1024 * 1024;
    this.#retryDelayMs = options.retryDelayMs ?? 10;
    this.#fs = options.fileSystem ?? fs;
  }

  /** Lines dropped since start: held past the bound, or refused by the file (at exit too). */
  get dropped(): number {
    return this.#dropped;
  }

  /** Takes one line (pino's stream interface); never throws, never waits. */
  write(line: string): boolean {
    if (this.#chars + this.#writingChars + line.length > this.#maxHeldChars) {
      this.#dropped++;
      return false;
    }
    this.#lines.push(line);
    this.#chars += line.length;
    if (this.#writing === null && this.#chars >= this.#batchChars) this.#writeBatch();
    return true;
  }

  /** Starts writing what waits, however little. */
  flush(): void {
    if (this.#writing === null && this.#chars > 0) this.#writeBatch();
  }

  /**
   * Writes what waits now, synchronously (at exit). A batch the thread pool is writing is left to
   * it: writing it here too could print it twice.
   */
  flushSync(): void {
    if (this.#chars === 0) return;
    const lines = this.#lines.length;
    let data = this.#take();
    for (let attempt = 0; data.length > 0 && attempt < SYNC_ATTEMPTS;) {
      try {
        data = data.subarray(this.#fs.writeSync(this.#fd, data));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') break;
        attempt++;
        Atomics.wait(SLEEP, 0, 0, 1);
      }
    }
    if (data.length > 0) this.#dropped += lines;
  }

  #take(): Buffer {
    const data = Buffer.from(this.#lines.length === 1 ? this.#lines[0]! : this.#lines.join(''));
    this.#lines = [];
    this.#chars = 0;
    return data;
  }

  #writeBatch(): void {
    const lines = this.#lines.length;
    this.#writingChars = this.#chars;
    this.#writing = this.#take();
    this.#writeRest(lines);
  }

  #writeRest(lines: number): void {
    const data = this.#writing!;
    this.#fs.write(this.#fd, data, 0, data.length, null, (error, written) => {
      if (error) {
        if (error.code === 'EAGAIN') {
          setTimeout(() => this.#writeRest(lines), this.#retryDelayMs).unref();
          return;
        }
        // The file refuses (a closed pipe, a full disk): the batch is lost, the next is tried.
        this.#dropped += lines;
      } else if (written < data.length) {
        this.#writing = data.subarray(written);
        this.#writeRest(lines);
        return;
      }
      this.#writing = null;
      this.#writingChars = 0;
      if (this.#chars >= this.#batchChars) this.#writeBatch();
    });
  }
}
