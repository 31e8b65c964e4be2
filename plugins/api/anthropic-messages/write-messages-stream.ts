/**
 * Frames a Messages API stream for the client, in Anthropic's grammar: every event with its
 * `event:` line (Anthropic's SDKs skip an event without one), a `ping` whenever the next event is
 * slower than the keep-alive interval, and after a failure an `error` event in Anthropic's envelope,
 * which ends the stream (there is no `[DONE]`).
 * @see https://docs.anthropic.com/en/docs/build-with-claude/streaming#event-types
 * @see https://docs.anthropic.com/en/docs/build-with-claude/streaming#error-events
 */
import { EventStreamBody, formatTypedEvent } from '../../../src/sse.js';
import type { MessagesStreamEvent } from './convert-chat-stream.js';

export const PING_DATA = '{"type": "ping"}';

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

export function messagesStreamBody(
  events: AsyncIterable<MessagesStreamEvent>,
  hooks: MessagesStreamHooks,
): EventStreamBody<MessagesStreamEvent> {
  return new EventStreamBody(events, {
    frame(event) {
      hooks.onEvent(event);
      return formatTypedEvent(event.event, event.data);
    },
    end: () => '',
    error: (error) => formatTypedEvent('error', hooks.onError(error)),
    onEnd: () => hooks.onEnd(),
    keepAlive: { intervalMs: hooks.keepAliveMs, frame: formatTypedEvent('ping', PING_DATA) },
  });
}
