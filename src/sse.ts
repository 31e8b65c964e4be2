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

/** Yields each event of an SSE byte stream. Comments and `retry:` lines are ignored. */
export async function* parseServerSentEvents(
  source: AsyncIterable<Buffer | string>,
  options: ParseServerSentEventsOptions = {},
): AsyncGenerator<ServerSentEvent, void, undefined> {
  const decoder = new StringDecoder('utf8');
  // The start of a line whose end has not arrived yet, in pieces: each piece is scanned once and
  // joined once, so an event of megabytes (audio, images) costs linear time, not quadratic.
  let partial: string[] = [];
  // Most events have one data line: kept as a string, joined only when there are several.
  let data: string | null = null;
  let event = '';
  let id: string | undefined;
  let pendingCarriageReturn = false;

  /** The end of the next line in `text` from `from` (the index of its \n or \r), or -1. */
  function lineEnd(text: string, from: number, withCarriageReturns: boolean): number {
    if (!withCarriageReturns) return text.indexOf('\n', from);
    for (let index = from; index < text.length; index++) {
      const code = text.charCodeAt(index);
      if (code === 10 || code === 13) return index;
    }
    return -1;
  }

  function* takeLines(text: string): Generator<ServerSentEvent> {
    let start = 0;
    // A `\r` that ended the previous chunk may be the first half of `\r\n`.
    if (pendingCarriageReturn && text.charCodeAt(0) === 10) start = 1;
    pendingCarriageReturn = false;
    // Streams use \n almost always: native indexOf finds line ends then, a scan only when \r occurs.
    const withCarriageReturns = text.indexOf('\r', start) !== -1;
    for (;;) {
      const end = lineEnd(text, start, withCarriageReturns);
      if (end === -1) break;
      let line = text.slice(start, end);
      if (partial.length > 0) {
        partial.push(line);
        line = partial.join('');
        partial = [];
      }
      if (text.charCodeAt(end) === 13) {
        if (end + 1 < text.length) start = text.charCodeAt(end + 1) === 10 ? end + 2 : end + 1;
        else {
          start = end + 1;
          pendingCarriageReturn = true;
        }
      } else start = end + 1;

      if (line.length === 0) {
        if (data !== null) yield { event: event || 'message', data, id };
        data = null;
        event = '';
        continue;
      }
      if (line.charCodeAt(0) === 58) continue; // ':' comment
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.charCodeAt(0) === 32) value = value.slice(1);
      if (field === 'data') data = data === null ? value : `${data}\n${value}`;
      else if (field === 'event') event = value;
      else if (field === 'id') id = value;
      else if (field !== 'retry') options.onUnknownLine?.(line);
    }
    if (start < text.length) partial.push(text.slice(start));
  }

  for await (const chunk of source) {
    yield* takeLines(typeof chunk === 'string' ? chunk : decoder.write(chunk));
  }
  yield* takeLines(decoder.end());
  // A final event without its blank line is dispatched too: providers do end streams that way.
  if (partial.length > 0) yield* takeLines('\n');
  if (data !== null) yield { event: event || 'message', data, id };
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
}

/**
 * Frames a chat stream for the client: each chunk as it arrives, `[DONE]` after a clean end, or a
 * final error event (and no `[DONE]`) when the upstream fails after the stream started.
 */
export async function* writeChatStream(
  events: AsyncIterable<StreamEvent>,
  hooks: SseWriterHooks,
): AsyncGenerator<string, void, undefined> {
  try {
    for await (const event of events) {
      hooks.onEvent?.(event);
      yield formatEvent(event);
    }
  } catch (error) {
    yield formatErrorEvent(hooks.onError(error));
    return;
  }
  hooks.onComplete?.();
  yield DONE_EVENT;
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
