/**
 * An OpenAI chat stream → typed chunks. Each event's JSON text is kept (`raw`) so the client gets the
 * upstream's bytes unchanged, and is parsed only when something reads its `chunk`: a pass-through
 * stream needs no JSON work per event. `[DONE]` ends the iteration (the gateway writes its own).
 * @see https://platform.openai.com/docs/api-reference/chat-streaming
 */
import type { ChatCompletionChunk } from '../../../schemas/chat.js';
import type { StreamEvent } from '../../../src/provider.js';
import { DecodedEvents, ServerSentEventDecoder, type ServerSentEvent } from '../../../src/sse.js';
import {
  UpstreamFailure,
  destroyBody,
  scrubSecrets,
  toUpstreamFailure,
  type UpstreamAnswer,
} from '../../../src/upstream.js';
import type { OpenAIErrorWire } from './openai-api.js';

/** Whether `"key"` appears in `raw` with a value other than null (a cheap look before parsing). */
export function hasNonNullField(raw: string, key: string): boolean {
  const field = `"${key}"`;
  let index = raw.indexOf(field);
  while (index !== -1) {
    let cursor = index + field.length;
    while (raw.charCodeAt(cursor) === 32) cursor++;
    if (raw.charCodeAt(cursor) === 58) {
      cursor++;
      while (raw.charCodeAt(cursor) === 32) cursor++;
      if (raw.charCodeAt(cursor) !== 110) return true; // anything but `null`
    }
    index = raw.indexOf(field, index + 1);
  }
  return false;
}

const NULL_USAGE = '"usage":null';
const EMPTY_CHOICES = '"choices":[]';

/** The event without its `"usage":null` member (OpenAI's form when include_usage is set). */
export function withoutNullUsage(raw: string): string {
  const index = raw.indexOf(NULL_USAGE);
  if (index === -1) return raw;
  const after = index + NULL_USAGE.length;
  if (raw.charCodeAt(index - 1) === 44) return raw.slice(0, index - 1) + raw.slice(after);
  if (raw.charCodeAt(after) === 44) return raw.slice(0, index) + raw.slice(after + 1);
  return raw;
}

class OpenAIStreamEvent implements StreamEvent {
  #chunk: ChatCompletionChunk | undefined;
  readonly mayCarryUsage: boolean;

  constructor(
    readonly raw: string,
    mayCarryUsage: boolean,
    readonly hidden: boolean,
  ) {
    this.mayCarryUsage = mayCarryUsage;
  }

  get chunk(): ChatCompletionChunk {
    return (this.#chunk ??= JSON.parse(this.raw) as ChatCompletionChunk);
  }
}

/**
 * `hideUsage`: the client did not ask for usage but the gateway did (to count every request's
 * tokens), so the stream is given back as OpenAI sends it without `include_usage`: the usage chunk
 * is read and not sent (`hidden`), and the `"usage":null` OpenAI adds to the other chunks is removed.
 * The events of a read are handed over together (`DecodedEvents`, `nextReady`).
 */
export function readOpenAIStream(
  response: UpstreamAnswer,
  signal: AbortSignal,
  provider: string,
  secrets: (string | undefined)[],
  hideUsage = false,
): DecodedEvents<StreamEvent> {
  const decoder = new ServerSentEventDecoder();
  const events: ServerSentEvent[] = [];

  function check(event: ServerSentEvent): OpenAIStreamEvent {
    const data = event.data;
    // Events are passed through unparsed: a cut or garbled one is caught by its shape, an error
    // event by its key.
    if (data.charCodeAt(0) !== 123 || data.charCodeAt(data.length - 1) !== 125) {
      throw new UpstreamFailure('GW_ERR_UPSTREAM_BAD_RESPONSE', 'mid_stream', {
        message: `The provider ${provider} sent a stream event that is not a JSON object.`,
      });
    }
    if (event.event === 'error' || hasNonNullField(data, 'error')) {
      let parsed: OpenAIErrorWire | undefined;
      try {
        parsed = JSON.parse(data) as OpenAIErrorWire;
      } catch {
        parsed = undefined;
      }
      if (event.event === 'error' || (parsed?.error && typeof parsed.error === 'object')) {
        throw new UpstreamFailure('GW_ERR_UPSTREAM_ERROR', 'mid_stream', {
          message: scrubSecrets(
            parsed?.error?.message ?? `The provider ${provider} reported an error mid-stream.`,
            secrets,
          ),
          code: parsed?.error?.code == null ? null : String(parsed.error.code),
        });
      }
    }
    const mayCarryUsage = hasNonNullField(data, 'usage');
    if (!hideUsage) return new OpenAIStreamEvent(data, mayCarryUsage, false);
    if (!mayCarryUsage) return new OpenAIStreamEvent(withoutNullUsage(data), false, false);
    // With include_usage, OpenAI puts a usage only on its last chunk, which has no choices; a
    // compatible server that counts on content chunks too keeps them, usage and all.
    return new OpenAIStreamEvent(data, true, data.includes(EMPTY_CHOICES));
  }

  // Not destroyed when we stop reading at [DONE]: the rest is drained so the connection is reused.
  return new DecodedEvents(response.body.keptOnReturn()[Symbol.asyncIterator](), {
    read(piece, out) {
      if (piece === undefined) decoder.end(events);
      else decoder.push(piece, events);
      try {
        for (const event of events) {
          if (event.data === '[DONE]') return true;
          out.push(check(event));
        }
      } finally {
        events.length = 0;
      }
      if (piece !== undefined) return false;
      throw new UpstreamFailure('GW_ERR_UPSTREAM_BAD_RESPONSE', 'mid_stream', {
        message: `The provider ${provider} ended the stream without [DONE].`,
      });
    },
    fail: (error) => toUpstreamFailure(error, signal, provider),
    release(finished) {
      if (finished) response.body.drain();
      else destroyBody(response);
    },
  });
}
