/**
 * The body of an upstream answer as it arrives: a queue of undici's chunks, filled by the dispatch
 * handler of `sendUpstream` and read by one consumer, either as an async iterable of chunks or whole.
 *
 * It stands where undici's `request()` puts a Node `Readable`: no stream state machine, no events, no
 * AsyncResource, and no promise for a chunk that is already queued. Back-pressure is the connection's
 * own: above `HIGH_WATER_MARK` queued bytes the dispatch is paused, and it is resumed once the queue is
 * read. Chunks that arrived before a fault are given to the reader before the fault itself.
 */
import type { Dispatcher } from 'undici';

/** Bytes queued before the upstream connection is paused (what a `Readable` holds by default). */
export const HIGH_WATER_MARK = 64 * 1024;

interface Waiter {
  resolve(result: IteratorResult<Buffer>): void;
  reject(error: unknown): void;
}

const DONE: IteratorResult<Buffer> = Object.freeze({ done: true, value: undefined });

export class UpstreamBody implements AsyncIterable<Buffer> {
  #chunks: Buffer[] = [];
  #head = 0;
  #queued = 0;
  #ended = false;
  #failed = false;
  #error: unknown;
  /** Read no more: the rest is dropped as it arrives (drained) or the request is aborted (destroyed). */
  #discarding = false;
  #waiter: Waiter | null = null;
  #controller: Dispatcher.DispatchController | undefined;
  #onSettled: (() => void) | undefined;

  /**
   * `controller` pauses, resumes and aborts the upstream request; `onSettled` runs once, when the
   * body has ended, failed or been destroyed (the sender's clean-up).
   */
  constructor(controller?: Dispatcher.DispatchController, onSettled?: () => void) {
    this.#controller = controller;
    this.#onSettled = onSettled;
  }

  /** Bytes arrived and not read yet. */
  get queuedBytes(): number {
    return this.#queued;
  }

  /** Whether the whole body arrived, or it failed or was destroyed: nothing more will come. */
  get settled(): boolean {
    return this.#ended || this.#failed;
  }

  // ---- the producer's side (the dispatch handler, or a test) -------------------------------------

  /** Queues a chunk that arrived; hands it straight to a reader that is waiting. */
  write(chunk: Buffer): void {
    if (this.#discarding || this.settled) return;
    const waiter = this.#takeWaiter();
    if (waiter !== null) {
      waiter.resolve({ done: false, value: chunk });
      return;
    }
    this.#chunks.push(chunk);
    this.#queued += chunk.length;
    if (this.#queued > HIGH_WATER_MARK && this.#controller && !this.#controller.paused) {
      this.#controller.pause();
    }
  }

  /** The body is complete. */
  end(): void {
    if (this.settled) return;
    this.#ended = true;
    this.#settle();
    this.#takeWaiter()?.resolve(DONE);
  }

  /** The body was cut (a transport fault, an abort): a reader gets `error` after what was queued. */
  fail(error: unknown): void {
    if (this.settled) return;
    this.#failed = true;
    this.#error = error;
    this.#settle();
    this.#takeWaiter()?.reject(error);
  }

  // ---- the reader's side ---------------------------------------------------------------------------

  /** The next chunk, or done at the end; rejects with the fault that cut the body. */
  next(): Promise<IteratorResult<Buffer>> {
    if (this.#head < this.#chunks.length) {
      const chunk = this.#chunks[this.#head] as Buffer;
      this.#chunks[this.#head] = EMPTY;
      this.#head++;
      this.#queued -= chunk.length;
      if (this.#head === this.#chunks.length) {
        this.#chunks = [];
        this.#head = 0;
      }
      if (this.#controller?.paused && this.#queued <= HIGH_WATER_MARK && !this.settled) {
        this.#controller.resume();
      }
      return Promise.resolve({ done: false, value: chunk });
    }
    if (this.#failed && !this.#discarding) return Promise.reject(this.#error);
    if (this.#ended || this.#discarding) return Promise.resolve(DONE);
    if (this.#waiter !== null) return Promise.reject(new Error('An upstream body has one reader at a time.'));
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  /** The chunks; stopping early (`return()`, a `break` out of `for await`) destroys the body. */
  [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    return this.#iterator(true);
  }

  /**
   * The chunks, for a reader that may stop before the end and then says itself what becomes of the
   * rest: `drain()` to keep the connection, `destroy()` to drop it.
   */
  keptOnReturn(): AsyncIterable<Buffer> {
    return { [Symbol.asyncIterator]: () => this.#iterator(false) };
  }

  #iterator(destroyOnReturn: boolean): AsyncIterator<Buffer> {
    return {
      next: () => this.next(),
      return: () => {
        if (destroyOnReturn) this.destroy();
        return Promise.resolve(DONE);
      },
    };
  }

  /**
   * Drops the rest of the body as it arrives, so the connection goes back to the pool once the
   * upstream has sent it all. What is queued is released at once.
   */
  drain(): void {
    if (this.#discarding) return;
    this.#discarding = true;
    this.#release();
    if (this.#controller?.paused && !this.settled) this.#controller.resume();
  }

  /** Stops reading and aborts the upstream request if its body has not all arrived (the connection closes). */
  destroy(): void {
    const open = !this.settled;
    this.#discarding = true;
    this.#release();
    if (open) {
      this.fail(new Error('The upstream body was destroyed before its end.'));
      this.#controller?.abort(new Error('The upstream body was destroyed before its end.'));
    }
  }

  /**
   * The whole body, at most `limit` bytes: `tooLarge` is thrown (and the request aborted) when it
   * would be more.
   */
  async bytes(limit: number, tooLarge: () => Error): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let size = 0;
    for (;;) {
      const result = await this.next();
      if (result.done === true) break;
      size += result.value.length;
      if (size > limit) {
        this.destroy();
        throw tooLarge();
      }
      chunks.push(result.value);
    }
    return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
  }

  #release(): void {
    this.#chunks = [];
    this.#head = 0;
    this.#queued = 0;
    this.#takeWaiter()?.resolve(DONE);
  }

  /** The reader waiting for the next chunk, if any, no longer waiting. */
  #takeWaiter(): Waiter | null {
    const waiter = this.#waiter;
    this.#waiter = null;
    return waiter;
  }

  #settle(): void {
    const onSettled = this.#onSettled;
    this.#onSettled = undefined;
    onSettled?.();
  }

  /** A body that already holds all of `chunks` (tests, and answers made up without a connection). */
  static of(chunks: Iterable<Buffer | string>, error?: unknown): UpstreamBody {
    const body = new UpstreamBody();
    for (const chunk of chunks) body.write(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    if (error === undefined) body.end();
    else body.fail(error);
    return body;
  }
}

const EMPTY = Buffer.alloc(0);
