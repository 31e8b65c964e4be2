import { describe, expect, it } from 'vitest';
import { StreamedText, chunkCharacters, streamedCharacters } from '../../../src/http/streamed-characters.js';
import type { StreamEvent } from '../../../src/provider.js';

function event(content: string): StreamEvent {
  const chunk = {
    id: 'c',
    object: 'chat.completion.chunk' as const,
    created: 1,
    model: 'm',
    choices: [{ index: 0, delta: { content }, finish_reason: null }],
  };
  return { chunk, raw: JSON.stringify(chunk) };
}

describe('streamedCharacters', () => {
  it('counts the text of a raw event, an escape as one character', () => {
    expect(streamedCharacters(event('héllo "x"'))).toBe(9);
  });

  it('counts the same on the parsed chunk, tool arguments and reasoning included', () => {
    expect(chunkCharacters(event('héllo "x"').chunk)).toBe(9);
    const chunk = {
      ...event('ab').chunk,
      choices: [
        {
          index: 0,
          delta: {
            reasoning_content: 'think',
            tool_calls: [{ index: 0, function: { arguments: '{"a":1}' } }],
          },
          finish_reason: null,
        },
      ],
    };
    expect(chunkCharacters(chunk)).toBe(12);
  });
});

describe('StreamedText', () => {
  it('counts every event added, however many were kept uncounted before', () => {
    const text = new StreamedText();
    expect(text.characters()).toBe(0);
    for (let index = 0; index < 600; index++) text.add(event('abc'));
    expect(text.characters()).toBe(1800);
    text.add(event('de'));
    expect(text.characters()).toBe(1802);
  });
});
