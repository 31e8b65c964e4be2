/**
 * A message → the events of a Messages API stream that make it, to replay a cached answer to a client
 * that asked for a stream: `message_start` (the message without content, its input counts), each
 * block as `content_block_start` (the block empty), one delta with all of its text, thinking (then
 * its signature) or tool input, and `content_block_stop`; then `message_delta` (stop reason and the
 * whole usage) and `message_stop`. Blocks without deltas (redacted thinking, server tools' results)
 * start whole.
 * @see https://docs.anthropic.com/en/docs/build-with-claude/streaming
 */
import type { MessagesStreamEvent } from './convert-chat-stream.js';

type Block = Record<string, unknown>;

/** Events a replay writes: they report no usage for accounting (a cache hit costs none). */
function event(type: string, data: Record<string, unknown>): MessagesStreamEvent {
  return { event: type, data: JSON.stringify({ type, ...data }), usage: null };
}

function blockEvents(block: Block, index: number): MessagesStreamEvent[] {
  const start = (contentBlock: Block) => event('content_block_start', { index, content_block: contentBlock });
  const delta = (body: Record<string, unknown>) => event('content_block_delta', { index, delta: body });
  const stop = event('content_block_stop', { index });
  switch (block['type']) {
    case 'text': {
      const text = String(block['text'] ?? '');
      const events = [start({ ...block, text: '' })];
      if (text) events.push(delta({ type: 'text_delta', text }));
      return [...events, stop];
    }
    case 'thinking':
      return [
        start({ ...block, thinking: '', signature: '' }),
        delta({ type: 'thinking_delta', thinking: String(block['thinking'] ?? '') }),
        delta({ type: 'signature_delta', signature: String(block['signature'] ?? '') }),
        stop,
      ];
    case 'tool_use':
    case 'server_tool_use': {
      const input = block['input'];
      const json = JSON.stringify(input ?? {});
      const events = [start({ ...block, input: {} })];
      if (json !== '{}') events.push(delta({ type: 'input_json_delta', partial_json: json }));
      return [...events, stop];
    }
    default:
      return [start(block), stop];
  }
}

export function convertMessageToEvents(message: Record<string, unknown>): MessagesStreamEvent[] {
  const content = (message['content'] as Block[] | undefined) ?? [];
  const usage = (message['usage'] as Record<string, unknown> | undefined) ?? {};
  const events = [
    event('message_start', {
      message: {
        ...message,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...usage, output_tokens: 0 },
      },
    }),
  ];
  content.forEach((block, index) => events.push(...blockEvents(block, index)));
  events.push(
    event('message_delta', {
      delta: { stop_reason: message['stop_reason'] ?? null, stop_sequence: message['stop_sequence'] ?? null },
      usage,
    }),
    event('message_stop', {}),
  );
  return events;
}
