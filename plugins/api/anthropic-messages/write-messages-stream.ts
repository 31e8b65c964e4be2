/**
 * Frames a Messages API stream for the client, in Anthropic's grammar: every event with its
 * `event:` line (Anthropic's SDKs skip an event without one), a `ping` whenever the next event is
 * slower than the keep-alive interval, and after a failure an `error` event in Anthropic's envelope,
 * which ends the stream (there is no `[DONE]`).
 * @see https://docs.anthropic.com/en/docs/build-with-claude/streaming#event-types
 * @see https://docs.anthropic.com/en/docs/build-with-claude/streaming#error-events
 */
import { withKeepAlive } from '../../../src/http/sse-keep-alive.js';
import { formatTypedEvent } from '../../../src/sse.js';
import type { MessagesStreamEvent } from './convert-chat-stream.js';

export const PING_DATA = '{"type": "ping"}';

const PING = Symbol('ping');

export interface MessagesStreamHooks {
  /** Silence (ms) after which a `ping` is written. */
  readonly keepAliveMs: number;
  /** Each event before it is written (usage accounting). */
  onEvent(event: MessagesStreamEvent): void;
  /** The data of the `error` event a failure after the stream started ends it with. */
  onError(error: unknown): string;
  /** Called once however the stream ends (clean end, error, or the client going away). */
  onEnd(): void;
}

export async function* writeMessagesStream(
  events: AsyncIterable<MessagesStreamEvent>,
  hooks: MessagesStreamHooks,
): AsyncGenerator<string, void, undefined> {
  try {
    for await (const item of withKeepAlive<MessagesStreamEvent, typeof PING>(
      events,
      hooks.keepAliveMs,
      () => PING,
    )) {
      if (item === PING) {
        yield formatTypedEvent('ping', PING_DATA);
        continue;
      }
      hooks.onEvent(item);
      yield formatTypedEvent(item.event, item.data);
    }
  } catch (error) {
    yield formatTypedEvent('error', hooks.onError(error));
  } finally {
    hooks.onEnd();
  }
}
