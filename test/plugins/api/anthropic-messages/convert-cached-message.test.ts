/**
 * A streamed message kept whole for the cache, and replayed as a stream (pure), on the recorded
 * Anthropic streams.
 */
import { describe, expect, it } from 'vitest';
import { MessageEventCollector } from '../../../../plugins/api/anthropic-messages/convert-events-to-message.js';
import { convertMessageToEvents } from '../../../../plugins/api/anthropic-messages/convert-message-to-events.js';
import { anthropicFixture } from '../../../helpers/fake-anthropic.js';

function collect(lines: string[]): Record<string, unknown> | undefined {
  const collector = new MessageEventCollector();
  for (const line of lines) collector.push(line);
  return collector.message();
}

function fixtureLines(name: string): string[] {
  return anthropicFixture(name)
    .split('\n')
    .filter((line) => line.trim().length > 0);
}

describe('a stream kept as its message', () => {
  it('puts the recorded text stream together, usage from message_delta', () => {
    expect(collect(fixtureLines('anthropic-text.chunks.txt'))).toMatchObject({
      id: 'msg_01QC4g3HwBThD4BaNtBckFDJ',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5-20250929',
      content: [
        {
          type: 'text',
          text: "Hello! I'm doing well, thank you for asking. How are you doing today? Is there anything I can help you with?",
        },
      ],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 12, output_tokens: 30, cache_read_input_tokens: 0 },
    });
  });

  it('parses tool input written in pieces, and keeps thinking with its signature', () => {
    const tool = collect(fixtureLines('anthropic-json-tool.1.chunks.txt'))!;
    const use = (tool['content'] as Record<string, unknown>[]).find((block) => block['type'] === 'tool_use')!;
    expect(typeof use['input']).toBe('object');
    expect(Object.keys(use['input'] as object).length).toBeGreaterThan(0);
    const thinking = collect(fixtureLines('anthropic-clear-thinking.1.chunks.txt'))!;
    expect((thinking['content'] as Record<string, unknown>[])[0]).toMatchObject({
      type: 'thinking',
      thinking: expect.stringMatching(/./),
      signature: expect.stringMatching(/.{20,}/),
    });
  });

  it('gives nothing for a stream that did not end, or had an event it could not read', () => {
    const lines = fixtureLines('anthropic-text.chunks.txt');
    expect(collect(lines.slice(0, -1))).toBeUndefined();
    expect(collect([...lines.slice(0, 3), 'not json', ...lines.slice(3)])).toBeUndefined();
  });
});

describe('a kept message replayed as a stream', () => {
  it.each([
    'anthropic-text.chunks.txt',
    'anthropic-json-tool.1.chunks.txt',
    'anthropic-clear-thinking.1.chunks.txt',
  ])('gives back the same message (%s), in Anthropic’s grammar', (name) => {
    const message = collect(fixtureLines(name))!;
    const events = convertMessageToEvents(message);
    for (const event of events) expect(JSON.parse(event.data).type).toBe(event.event);
    expect(events[0]!.event).toBe('message_start');
    expect(events.slice(-2).map((event) => event.event)).toEqual(['message_delta', 'message_stop']);
    expect(collect(events.map((event) => event.data))).toEqual(message);
    // A replay reports no usage of its own: a cache hit costs nothing.
    expect(events.every((event) => event.usage === null)).toBe(true);
  });
});
