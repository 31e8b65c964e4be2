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
  function* drain(): Generator<ServerSentEvent> {
    for (const item of items) {
      if ('unknownLine' in item) onUnknownLine!(item.unknownLine);
      else yield item;
    }
    items.length = 0;
  }
  for await (const chunk of source) {
    decoder.push(chunk, out);
    yield* drain();
  }
  decoder.end(out);
  yield* drain();
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
 * A chat stream framed for the client, as the body of the reply: each chunk as it arrives, `[DONE]`
 * after a clean end, or a final error event (and no `[DONE]`) when the upstream fails after the
 * stream started.
 *
 * The frames of the events that arrive together (one upstream read holds several when the upstream
 * writes faster than the gateway reads) are pushed as one piece, so they leave in one socket write:
 * they are collected while the events come in through promise callbacks and pushed on the next tick,
 * which runs once those callbacks are done. The events are pulled only while the client reads
 * (back-pressure); destroying the body (the client went away) returns the event iterator, which
 * releases the upstream.
 */
export class ChatStreamBody extends Readable {
  readonly #events: AsyncIterable<StreamEvent>;
  readonly #hooks: SseWriterHooks;
  #iterator: AsyncIterator<StreamEvent> | undefined;
  #frames = '';
  #flushScheduled = false;
  #pulling = false;
  /** The consumer's buffer is full: pull no more events until it asks again (`_read`). */
  #blocked = false;
  /** The last frame is written (after [DONE] or the error event): end the body at the next flush. */
  #last = false;
  #ended = false;

  constructor(events: AsyncIterable<StreamEvent>, hooks: SseWriterHooks) {
    super();
    this.#events = events;
    this.#hooks = hooks;
  }

  override _read(): void {
    this.#blocked = false;
    if (!this.#pulling && !this.#last) void this.#pull();
  }

  async #pull(): Promise<void> {
    this.#pulling = true;
    const iterator = (this.#iterator ??= this.#events[Symbol.asyncIterator]());
    try {
      while (!this.#blocked) {
        const result = await iterator.next();
        if (this.destroyed) return;
        if (result.done === true) {
          this.#hooks.onComplete?.();
          this.#append(DONE_EVENT, true);
          return;
        }
        const event = result.value;
        this.#hooks.onEvent?.(event);
        if (event.hidden !== true) this.#append(formatEvent(event), false);
      }
    } catch (error) {
      // Rendered even when the client is gone (the request's outcome records it), sent only if not.
      const envelope = this.#hooks.onError(error);
      if (!this.destroyed) this.#append(formatErrorEvent(envelope), true);
    } finally {
      this.#pulling = false;
    }
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
    this.#hooks.onEnd?.();
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

function flush(body: ChatStreamBody): void {
  body.flushFrames();
}

/**
 * The events of an iterator whose first result was already read (the router reads it to fail over
 * before anything is sent), as one iterable: a plain object, not a generator, so it adds no promise
 * per event. Returning from it releases the underlying iterator.
 */
export function withFirst<T>(first: IteratorResult<T>, rest: AsyncIterator<T>): AsyncIterable<T> {
  let pending: IteratorResult<T> | null = first;
  return {
    [Symbol.asyncIterator]: () => ({
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
    }),
  };
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
}

/**
 * Frames a Responses API stream for the client: each event unchanged as it arrives; after the
 * upstream's terminal event the stream simply ends (the Responses API has no `[DONE]`), and a failure
 * after the stream started ends it with an `error` event.
 */
export async function* writeTypedEventStream(
  events: AsyncIterable<ResponsesStreamEvent>,
  hooks: TypedEventWriterHooks,
): AsyncGenerator<string, void, undefined> {
  let sequence = 0;
  try {
    for await (const event of events) {
      hooks.onEvent?.(event);
      sequence++;
      yield formatTypedEvent(event.type, event.data);
    }
  } catch (error) {
    yield formatTypedEvent('error', hooks.onError(error, sequence));
  }
}
