/**
 * Server-sent events, both ways.
 *
 * Reading: `parseServerSentEvents` turns an upstream byte stream, cut anywhere (inside a line, a
 * `\r\n` pair or a multi-byte UTF-8 character), into whole events.
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 *
 * Writing: the only place the gateway frames events for its clients. Adapters yield typed chunks;
 * `[DONE]` and the final error event are written here and nowhere else.
 */
import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { ErrorEnvelope } from './errors.js';
import type { ResponsesStreamEvent, StreamEvent } from './provider.js';

export interface ServerSentEvent {
  event: string;
  data: string;
  id: string | undefined;
}

export interface ParseServerSentEventsOptions {
  /**
   * Called with each line that is neither a comment nor a field the parser knows (data, event, id,
   * retry). The standard ignores such lines; some providers write an error body there mid-stream.
   */
  onUnknownLine?(line: string): void;
}

/**
 * The SSE decoder: bytes in, whole events out, synchronously. It keeps the state between pieces
 * (an unfinished line, a \r that may be half of \r\n, a UTF-8 character cut in two) so a stream
 * costs one call per network read and no promise per event.
 */
export class ServerSentEventDecoder {
  readonly #text = new StringDecoder('utf8');
  readonly #onUnknownLine: ((line: string) => void) | undefined;
  // The start of a line whose end has not arrived yet, in pieces: each piece is scanned once and
  // joined once, so an event of megabytes (audio, images) costs linear time, not quadratic.
  #partial: string[] = [];
  // Most events have one data line: kept as a string, joined only when there are several.
  #data: string | null = null;
  #event = '';
  #id: string | undefined;
  #pendingCarriageReturn = false;

  constructor(options: ParseServerSentEventsOptions = {}) {
    this.#onUnknownLine = options.onUnknownLine;
  }

  /** Decodes one piece of the stream, appending the events it completes to `out`. */
  push(chunk: Buffer | string, out: ServerSentEvent[]): void {
    this.#takeLines(typeof chunk === 'string' ? chunk : this.#text.write(chunk), out);
  }

  /** The end of the stream: a last event without its blank line is dispatched too. */
  end(out: ServerSentEvent[]): void {
    this.#takeLines(this.#text.end(), out);
    if (this.#partial.length > 0) this.#takeLines('\n', out);
    if (this.#data !== null) out.push({ event: this.#event || 'message', data: this.#data, id: this.#id });
    this.#data = null;
  }

  #takeLines(text: string, out: ServerSentEvent[]): void {
    let start = 0;
    // A `\r` that ended the previous piece may be the first half of `\r\n`.
    if (this.#pendingCarriageReturn && text.charCodeAt(0) === 10) start = 1;
    this.#pendingCarriageReturn = false;
    // Streams use \n almost always: native indexOf finds line ends then, a scan only when \r occurs.
    const withCarriageReturns = text.indexOf('\r', start) !== -1;
    for (;;) {
      const end = lineEnd(text, start, withCarriageReturns);
      if (end === -1) break;
      let line = text.slice(start, end);
      if (this.#partial.length > 0) {
        this.#partial.push(line);
        line = this.#partial.join('');
        this.#partial = [];
      }
      if (text.charCodeAt(end) === 13) {
        if (end + 1 < text.length) start = text.charCodeAt(end + 1) === 10 ? end + 2 : end + 1;
        else {
          start = end + 1;
          this.#pendingCarriageReturn = true;
        }
      } else start = end + 1;
      this.#takeLine(line, out);
    }
    if (start < text.length) this.#partial.push(text.slice(start));
  }

  #takeLine(line: string, out: ServerSentEvent[]): void {
    if (line.length === 0) {
      if (this.#data !== null) out.push({ event: this.#event || 'message', data: this.#data, id: this.#id });
      this.#data = null;
      this.#event = '';
      return;
    }
    if (line.charCodeAt(0) === 58) return; // ':' comment
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'data') this.#data = this.#data === null ? value : `${this.#data}\n${value}`;
    else if (field === 'event') this.#event = value;
    else if (field === 'id') this.#id = value;
    else if (field !== 'retry') this.#onUnknownLine?.(line);
  }
}

/** The end of the next line in `text` from `from` (the index of its \n or \r), or -1. */
function lineEnd(text: string, from: number, withCarriageReturns: boolean): number {
  if (!withCarriageReturns) return text.indexOf('\n', from);
  for (let index = from; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === 10 || code === 13) return index;
  }
  return -1;
}

/** Yields each event of an SSE byte stream. Comments and `retry:` lines are ignored. */
export async function* parseServerSentEvents(
  source: AsyncIterable<Buffer | string>,
  options: ParseServerSentEventsOptions = {},
): AsyncGenerator<ServerSentEvent, void, undefined> {
  // Unknown lines are queued between the events, in stream order, and reported as they come up.
  type Item = ServerSentEvent | { unknownLine: string };
  const items: Item[] = [];
  const onUnknownLine = options.onUnknownLine;
  const decoder = new ServerSentEventDecoder(
    onUnknownLine ? { onUnknownLine: (line) => items.push({ unknownLine: line }) } : {},
  );
  const out = items as ServerSentEvent[];
  // The events of each piece are yielded from the loop itself: a generator to drain them cost one
  // generator and a delegation per piece.
  for await (const chunk of source) {
    decoder.push(chunk, out);
    for (let index = 0; index < items.length; index++) {
      const item = items[index]!;
      if ('unknownLine' in item) onUnknownLine!(item.unknownLine);
      else yield item;
    }
    items.length = 0;
  }
  decoder.end(out);
  for (const item of items) {
    if ('unknownLine' in item) onUnknownLine!(item.unknownLine);
    else yield item;
  }
}

export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  // Proxies such as nginx buffer responses unless told not to.
  'x-accel-buffering': 'no',
} as const;

export const DONE_EVENT = 'data: [DONE]\n\n';

export function formatEvent(event: StreamEvent): string {
  return `data: ${event.raw ?? JSON.stringify(event.chunk)}\n\n`;
}

export function formatErrorEvent(envelope: ErrorEnvelope): string {
  return `data: ${JSON.stringify(envelope)}\n\n`;
}

/** A data-only event with a JSON payload, as OpenAI's audio streams frame theirs (`speech.audio.*`). */
export function formatDataEvent(payload: unknown): string {
  return `data: ${JSON.stringify(payload)}\n\n`;
}

export interface SseWriterHooks {
  /** Called for each event before it is framed (usage accounting, cache capture). */
  onEvent?(event: StreamEvent): void;
  /** Called once when the upstream ended cleanly, before `[DONE]` is written. */
  onComplete?(): void;
  /** Turns an error thrown mid-stream into the envelope of the final event. */
  onError(error: unknown): ErrorEnvelope;
  /** Called once however the stream ends (clean end, error, or the client going away). */
  onEnd?(): void;
}

/**
 * How a stream's events become the bytes of a reply: the frame of each event, what follows a clean
 * end or a failure, and an optional keep-alive frame.
 */
export interface EventFramer<T> {
  /** The frame of one event ('' writes nothing), called in order as each event arrives. */
  frame(event: T): string;
  /** The last frame after a clean end ('' for none). */
  end(): string;
  /** The last frame after a failure of the events; made even when the client is gone. */
  error(error: unknown): string;
  /** Called once however the stream ends (clean end, failure, or the client going away). */
  onEnd?(): void;
  /**
   * A frame written whenever the next event is later than `intervalMs` (Anthropic's `ping`): a model
   * can be silent for minutes while proxies and clients close connections idle for less.
   */
  readonly keepAlive?: { readonly intervalMs: number; readonly frame: string };
}

/**
 * An event iterator that can hand over what it already holds without a promise: `nextReady()` is
 * the next result when it is at hand (the rest of an upstream read already decoded), or undefined
 * when it must be waited for through `next()`. It throws what `next()` would reject with.
 */
export interface ReadyEvents<T> {
  nextReady(): IteratorResult<T> | undefined;
}

/**
 * How an upstream body's reads become events, for `DecodedEvents`.
 */
export interface ReadDecoder<T> {
  /**
   * Turns one read of the body (`undefined`: its end) into events appended to `out`, and says
   * whether the stream is complete (the rest of the body is not needed). At the end it returns true
   * or throws. It may throw after appending some events: those are handed over first, then the
   * failure.
   */
  read(piece: Buffer | undefined, out: T[]): boolean;
  /** What a failure (of a read, or of `read`) is thrown as; called at most once. */
  fail(error: unknown): Error;
  /** Releases the body, once: after a complete stream (`finished`), or early (a failure, `return()`). */
  release(finished: boolean): void;
}

const ITERATION_DONE: IteratorResult<never> = Object.freeze({ done: true, value: undefined });

/**
 * The events of an upstream body, decoded a read at a time: a plain iterator, not an async
 * generator. The events of one read are handed over through `next()` or, without a promise each,
 * `nextReady()`; a stream that arrives in one read costs one promise, not one per event (an async
 * generator costs a resumption and promises per event). `return()` releases the body.
 */
export class DecodedEvents<T> implements AsyncIterableIterator<T>, ReadyEvents<T> {
  readonly #source: AsyncIterator<Buffer>;
  readonly #decoder: ReadDecoder<T>;
  /** The events of the last read; those before `#taken` are handed over. */
  readonly #events: T[] = [];
  #taken = 0;
  #complete = false;
  /** A failure to throw once the events decoded before it are handed over. */
  #failure: Error | undefined;
  /** Done: the body is released and iteration is over. */
  #closed = false;

  constructor(source: AsyncIterator<Buffer>, decoder: ReadDecoder<T>) {
    this.#source = source;
    this.#decoder = decoder;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<T>> {
    let ready: IteratorResult<T> | undefined;
    try {
      ready = this.nextReady();
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return ready === undefined ? this.#read() : Promise.resolve(ready);
  }

  nextReady(): IteratorResult<T> | undefined {
    if (this.#closed) return ITERATION_DONE;
    if (this.#taken < this.#events.length) return { value: this.#events[this.#taken++]!, done: false };
    const failure = this.#failure;
    if (failure !== undefined) {
      this.#closed = true;
      throw failure;
    }
    if (this.#complete) {
      this.#close(true);
      return ITERATION_DONE;
    }
    return undefined;
  }

  return(): Promise<IteratorResult<T>> {
    if (!this.#closed && this.#failure === undefined) this.#close(false);
    this.#closed = true;
    this.#events.length = 0;
    return Promise.resolve(ITERATION_DONE);
  }

  /** Reads until the body's next events, its end or a failure. */
  async #read(): Promise<IteratorResult<T>> {
    for (;;) {
      let piece: IteratorResult<Buffer>;
      try {
        piece = await this.#source.next();
      } catch (error) {
        if (this.#closed) return ITERATION_DONE;
        this.#fail(error);
        return this.nextReady() ?? ITERATION_DONE;
      }
      if (this.#closed) return ITERATION_DONE;
      this.#events.length = 0;
      this.#taken = 0;
      try {
        const end = piece.done === true;
        this.#complete = this.#decoder.read(end ? undefined : piece.value, this.#events) || end;
      } catch (error) {
        this.#fail(error);
      }
      const ready = this.nextReady();
      if (ready !== undefined) return ready;
    }
  }

  #fail(error: unknown): void {
    this.#failure = this.#decoder.fail(error);
    this.#decoder.release(false);
  }

  #close(finished: boolean): void {
    this.#closed = true;
    this.#events.length = 0;
    this.#decoder.release(finished);
  }
}

/**
 * A stream of events framed for the client, as the body of the reply: each event's frame as it
 * arrives, then the framer's last frame after a clean end or a failure.
 *
 * The frames of the events that arrive together (one upstream read holds several when the upstream
 * writes faster than the gateway reads) are pushed as one piece, so they leave in one socket write:
 * they are collected while the events come in through promise callbacks and pushed on the next tick,
 * which runs once those callbacks are done. An iterator with `nextReady` (`ReadyEvents`) hands over
 * the rest of a read without a promise per event. The events are pulled only while the client reads
 * (back-pressure); destroying the body (the client went away) returns the event iterator, which
 * releases the upstream. A keep-alive is one timer for the whole stream, re-armed as each wait for
 * an event begins, and written only while the body waits on the events (not while the client is
 * slow to read): no layer of promises per event.
 */
export class EventStreamBody<T> extends Readable {
  readonly #events: AsyncIterable<T>;
  readonly #framer: EventFramer<T>;
  #iterator: AsyncIterator<T> | undefined;
  #frames = '';
  #flushScheduled = false;
  #pulling = false;
  /** The body waits on the next event (a keep-alive may be written). */
  #waiting = false;
  #keepAlive: NodeJS.Timeout | undefined;
  /** The consumer's buffer is full: pull no more events until it asks again (`_read`). */
  #blocked = false;
  /** The last frame is written (after the end or the failure): end the body at the next flush. */
  #last = false;
  #ended = false;

  constructor(events: AsyncIterable<T>, framer: EventFramer<T>) {
    super();
    this.#events = events;
    this.#framer = framer;
  }

  override _read(): void {
    this.#blocked = false;
    if (!this.#pulling && !this.#last) void this.#pull();
  }

  async #pull(): Promise<void> {
    this.#pulling = true;
    const iterator = (this.#iterator ??= this.#events[Symbol.asyncIterator]());
    const framer = this.#framer;
    try {
      while (!this.#blocked) {
        this.#armKeepAlive();
        this.#waiting = true;
        const result = await iterator.next();
        this.#waiting = false;
        if (this.destroyed) return;
        if (result.done === true) {
          this.#append(framer.end(), true);
          return;
        }
        let frame = framer.frame(result.value);
        if (frame.length > 0) this.#append(frame, false);
        const ready = (iterator as Partial<ReadyEvents<T>>).nextReady;
        if (ready === undefined) continue;
        for (let next = ready.call(iterator); next !== undefined; next = ready.call(iterator)) {
          if (next.done === true) {
            this.#append(framer.end(), true);
            return;
          }
          frame = framer.frame(next.value);
          if (frame.length > 0) this.#append(frame, false);
        }
      }
    } catch (error) {
      this.#waiting = false;
      // A failure of the framing (not of the events) leaves the iterator open: it is released first,
      // as a generator's `for await` would release it. After a failure of the events it is a no-op.
      iterator.return?.().catch(() => undefined);
      // Rendered even when the client is gone (the request's outcome records it), sent only if not.
      const frame = framer.error(error);
      if (!this.destroyed) this.#append(frame, true);
    } finally {
      this.#pulling = false;
    }
  }

  #armKeepAlive(): void {
    const keepAlive = this.#framer.keepAlive;
    if (!keepAlive) return;
    if (this.#keepAlive) {
      this.#keepAlive.refresh();
      return;
    }
    this.#keepAlive = setTimeout(() => {
      if (!this.#waiting || this.#last || this.destroyed) return;
      this.#append(keepAlive.frame, false);
      this.#keepAlive?.refresh();
    }, keepAlive.intervalMs);
    // The socket keeps the process alive while the stream is open; the timer need not.
    this.#keepAlive.unref();
  }

  #append(frame: string, last: boolean): void {
    this.#frames += frame;
    if (last) {
      this.#last = true;
      this.#end();
    }
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      process.nextTick(flush, this);
    }
  }

  /** Pushes the frames collected since the last flush (one piece, one write). */
  flushFrames(): void {
    this.#flushScheduled = false;
    if (this.destroyed) return;
    const frames = this.#frames;
    this.#frames = '';
    if (frames.length > 0 && !this.push(frames)) this.#blocked = true;
    if (this.#last) this.push(null);
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    clearTimeout(this.#keepAlive);
    this.#framer.onEnd?.();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const iterator = this.#iterator;
    const open = !this.#last;
    this.#last = true;
    // The upstream is released first, then the end is reported, as a generator's `finally` would.
    if (open && iterator?.return) {
      iterator.return().then(
        () => this.#end(),
        () => this.#end(),
      );
    } else this.#end();
    callback(error);
  }
}

function flush(body: EventStreamBody<unknown>): void {
  body.flushFrames();
}

/**
 * A chat stream framed for the client: each chunk as it arrives, `[DONE]` after a clean end, or a
 * final error event (and no `[DONE]`) when the upstream fails after the stream started.
 */
export class ChatStreamBody extends EventStreamBody<StreamEvent> {
  constructor(events: AsyncIterable<StreamEvent>, hooks: SseWriterHooks) {
    super(events, {
      frame(event) {
        hooks.onEvent?.(event);
        return event.hidden === true ? '' : formatEvent(event);
      },
      end() {
        hooks.onComplete?.();
        return DONE_EVENT;
      },
      error: (error) => formatErrorEvent(hooks.onError(error)),
      onEnd: () => hooks.onEnd?.(),
    });
  }
}

/**
 * The events of an iterator whose first result was already read (the router reads it to fail over
 * before anything is sent), as one iterable: a plain object, not a generator, so it adds no promise
 * per event. Returning from it releases the underlying iterator.
 */
export function withFirst<T>(first: IteratorResult<T>, rest: AsyncIterator<T>): AsyncIterable<T> {
  let pending: IteratorResult<T> | null = first;
  const ready = (rest as Partial<ReadyEvents<T>>).nextReady;
  const iterator: AsyncIterator<T> & Partial<ReadyEvents<T>> = {
    next: () => {
      if (pending === null) return rest.next();
      const result = pending;
      pending = null;
      return Promise.resolve(result);
    },
    return: async (value?: unknown) => {
      await rest.return?.(value);
      return { done: true as const, value: undefined as T };
    },
  };
  // The rest's ready events pass through, after the first.
  if (ready !== undefined) {
    iterator.nextReady = () => {
      if (pending === null) return ready.call(rest);
      const result = pending;
      pending = null;
      return result;
    };
  }
  return { [Symbol.asyncIterator]: () => iterator };
}

/**
 * The events a stream's items become: each item converted, synchronously, into none, one or several
 * events, and after the source ends the closing events. A plain iterator, not an async generator: an
 * event already converted is handed over at once, and an item costs one promise (an async generator
 * costs a resumption and promises per event, the largest allocation of a translated stream). One
 * `next` at a time, as `for await` and the stream bodies call it; returning releases the source.
 * With a source that has `nextReady` (`ReadyEvents`), the converted events of what it holds are
 * handed over through `nextReady` too.
 */
export function convertEvents<S, T>(
  source: AsyncIterable<S>,
  convert: (item: S) => readonly T[],
  close: () => readonly T[] | Promise<readonly T[]>,
): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]: () => new ConvertedEvents(source[Symbol.asyncIterator](), convert, close),
  };
}

class ConvertedEvents<S, T> implements AsyncIterator<T>, ReadyEvents<T> {
  readonly #source: AsyncIterator<S>;
  readonly #sourceReady: (() => IteratorResult<S> | undefined) | undefined;
  readonly #convert: (item: S) => readonly T[];
  readonly #close: () => readonly T[] | Promise<readonly T[]>;
  #queue: readonly T[] = [];
  #next = 0;
  #ended = false;
  /** The closing events, when they were asked for through `nextReady` and are not made yet. */
  #closingLater: Promise<readonly T[]> | undefined;

  constructor(
    source: AsyncIterator<S>,
    convert: (item: S) => readonly T[],
    close: () => readonly T[] | Promise<readonly T[]>,
  ) {
    this.#source = source;
    const ready = (source as Partial<ReadyEvents<S>>).nextReady;
    this.#sourceReady = ready === undefined ? undefined : () => ready.call(source);
    this.#convert = convert;
    this.#close = close;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#next < this.#queue.length)
      return Promise.resolve({ value: this.#queue[this.#next++]!, done: false });
    const later = this.#closingLater;
    if (later !== undefined) {
      this.#closingLater = undefined;
      return later.then((events) => this.#hand(events) ?? ITERATION_DONE);
    }
    if (this.#ended) return Promise.resolve(ITERATION_DONE);
    return this.#fill();
  }

  /** The next event when the source's item is at hand (the rest of an upstream read). */
  nextReady(): IteratorResult<T> | undefined {
    if (this.#next < this.#queue.length) return { value: this.#queue[this.#next++]!, done: false };
    if (this.#closingLater !== undefined) return undefined;
    if (this.#ended) return ITERATION_DONE;
    const ready = this.#sourceReady;
    if (ready === undefined) return undefined;
    for (;;) {
      let result: IteratorResult<S> | undefined;
      try {
        result = ready();
      } catch (error) {
        // The source failed, and released itself.
        this.#ended = true;
        this.#queue = [];
        throw error;
      }
      if (result === undefined) return undefined;
      if (result.done === true) {
        const closing = this.#closing();
        if (!Array.isArray(closing)) {
          this.#closingLater = closing as Promise<readonly T[]>;
          return undefined;
        }
        return this.#hand(closing as readonly T[]) ?? ITERATION_DONE;
      }
      const handed = this.#hand(this.#converted(result.value));
      if (handed !== undefined) return handed;
    }
  }

  async return(): Promise<IteratorResult<T>> {
    // Closing events still being made are no longer wanted: their failure is nobody's to handle.
    this.#closingLater?.catch(() => undefined);
    this.#closingLater = undefined;
    this.#queue = [];
    if (!this.#ended) {
      this.#ended = true;
      await this.#source.return?.();
    }
    return ITERATION_DONE;
  }

  async #fill(): Promise<IteratorResult<T>> {
    for (;;) {
      const result = await this.#source.next();
      const events = result.done === true ? await this.#closing() : this.#converted(result.value);
      const handed = this.#hand(events);
      if (handed !== undefined) return handed;
      if (this.#ended) return ITERATION_DONE;
    }
  }

  /** Queues an item's events and hands over the first; undefined when there are none. */
  #hand(events: readonly T[]): IteratorResult<T> | undefined {
    if (events.length === 0) return undefined;
    this.#queue = events;
    this.#next = 1;
    return { value: events[0]!, done: false };
  }

  /** An item's events; a conversion that throws releases the source first, as a generator would. */
  #converted(item: S): readonly T[] {
    try {
      return this.#convert(item);
    } catch (error) {
      this.#ended = true;
      this.#queue = [];
      this.#source.return?.().catch(() => undefined);
      throw error;
    }
  }

  #closing(): readonly T[] | Promise<readonly T[]> {
    this.#ended = true;
    return this.#close();
  }
}

/**
 * A typed event, framed as the Responses API frames its own: `event: <type>` then the data.
 * @see https://platform.openai.com/docs/api-reference/responses-streaming
 */
export function formatTypedEvent(type: string, data: string): string {
  const lines = data.includes('\n') ? data.split('\n').join('\ndata: ') : data;
  return `event: ${type}\ndata: ${lines}\n\n`;
}

export interface TypedEventWriterHooks {
  onEvent?(event: ResponsesStreamEvent): void;
  /**
   * Turns an error thrown mid-stream into the data of the final `error` event; `sequence` is the
   * number of events already sent (the Responses API numbers its events from 0).
   */
  onError(error: unknown, sequence: number): string;
  /** Called once however the stream ends (clean end, error, or the client going away). */
  onEnd?(): void;
}

/**
 * Frames a Responses API stream for the client: each event unchanged as it arrives; after the
 * upstream's terminal event the stream simply ends (the Responses API has no `[DONE]`), and a failure
 * after the stream started ends it with an `error` event.
 */
export function typedEventStreamBody(
  events: AsyncIterable<ResponsesStreamEvent>,
  hooks: TypedEventWriterHooks,
): EventStreamBody<ResponsesStreamEvent> {
  let sequence = 0;
  return new EventStreamBody(events, {
    frame(event) {
      hooks.onEvent?.(event);
      sequence++;
      return formatTypedEvent(event.type, event.data);
    },
    end: () => '',
    error: (error) => formatTypedEvent('error', hooks.onError(error, sequence)),
    onEnd: () => hooks.onEnd?.(),
  });
}
