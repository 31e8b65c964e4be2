import { describe, expect, it } from 'vitest';
import { peekModelAndUsage } from '../../plugins/providers/openai/openai-api.js';
import { CHAT_COMPLETION, openaiFixture } from '../helpers/fake-openai.js';

describe('peekModelAndUsage', () => {
  it('reads the same model and usage as a full parse, on every recorded answer', () => {
    for (const text of [CHAT_COMPLETION, openaiFixture('chat-completion-tool-calls.json')]) {
      const full = JSON.parse(text) as { model: unknown; usage: unknown };
      expect(peekModelAndUsage(text)).toEqual({ model: full.model, usage: full.usage });
    }
  });

  it('is not fooled by the words inside string values', () => {
    const text = JSON.stringify({
      id: 'x',
      model: 'gpt-4o',
      choices: [{ message: { content: 'the "usage": {"prompt_tokens": 999} and "model": "fake"' } }],
      usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
    });
    expect(peekModelAndUsage(text)).toEqual({
      model: 'gpt-4o',
      usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
    });
  });

  it('answers undefined for absent fields and null for what is not one JSON object', () => {
    expect(peekModelAndUsage('{"object":"list","data":[]}')).toEqual({ model: undefined, usage: undefined });
    expect(peekModelAndUsage('[1,2]')).toBeNull();
    expect(peekModelAndUsage('<html>')).toBeNull();
    expect(peekModelAndUsage('{"usage": {"prompt_tokens": 1')).toBeNull();
  });
});
