import { describe, expect, it } from 'vitest';
import type { ChatCompletionRequest } from '../../../schemas/chat.js';
import { semanticSubjectOf, type SubjectRules } from '../../../src/cache/semantic/semantic-subject.js';

const RULES: SubjectRules = { window: 0, allowToolResults: false, allowMedia: false };

function subject(body: Record<string, unknown>, rules: Partial<SubjectRules> = {}, model = 'openai/gpt-4o') {
  return semanticSubjectOf(body as unknown as ChatCompletionRequest, model, { ...RULES, ...rules });
}

function partitionOf(body: Record<string, unknown>, rules: Partial<SubjectRules> = {}, model?: string) {
  const result = subject(body, rules, model);
  if ('refused' in result) throw new Error(`refused: ${result.refused}`);
  return result.partition;
}

const base = {
  model: 'gpt-4o',
  temperature: 0.2,
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'What is the capital of France?' },
  ],
};

const withLast = (content: string) => ({
  ...base,
  messages: [base.messages[0], { role: 'user', content }],
});

describe('semanticSubjectOf', () => {
  it('compares the last user turn only; the words of it never change the partition', () => {
    const result = subject(base);
    expect(result).toEqual({ partition: expect.any(String), text: 'What is the capital of France?' });
    expect(partitionOf(withLast('Which city is the capital of France?'))).toBe(partitionOf(base));
  });

  it('partitions by model, system prompt, sampling parameters, tools and response format', () => {
    const partition = partitionOf(base);
    expect(partitionOf(base, {}, 'openai/gpt-4o-mini')).not.toBe(partition);
    expect(partitionOf({ ...base, temperature: 0.3 })).not.toBe(partition);
    expect(partitionOf({ ...base, top_p: 0.5 })).not.toBe(partition);
    expect(partitionOf({ ...base, tools: [{ type: 'function', function: { name: 'f' } }] })).not.toBe(
      partition,
    );
    expect(partitionOf({ ...base, response_format: { type: 'json_object' } })).not.toBe(partition);
    expect(
      partitionOf({ ...base, messages: [{ role: 'system', content: 'Be long.' }, base.messages[1]] }),
    ).not.toBe(partition);
    // What does not change an answer does not change the partition.
    expect(partitionOf({ ...base, user: 'someone', stream: true })).toBe(partition);
  });

  it('keeps earlier turns exact, or compares them within the window', () => {
    const conversation = (earlier: string, last: string) => ({
      model: 'gpt-4o',
      messages: [
        { role: 'user', content: earlier },
        { role: 'assistant', content: 'Sure.' },
        { role: 'user', content: last },
      ],
    });
    expect(partitionOf(conversation('a', 'x'))).not.toBe(partitionOf(conversation('b', 'x')));
    expect(partitionOf(conversation('a', 'x'), { window: 2 })).toBe(
      partitionOf(conversation('b', 'y'), { window: 2 }),
    );
    expect(subject(conversation('a', 'x'), { window: 2 })).toMatchObject({
      text: 'user: a\nassistant: Sure.\nuser: x',
    });
  });

  it('leaves tool turns, media and non-user last turns to the exact cache unless allowed', () => {
    const toolTurn = {
      model: 'gpt-4o',
      messages: [
        { role: 'user', content: 'Weather?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'c', type: 'function', function: { name: 'w', arguments: '{}' } }],
        },
        { role: 'tool', tool_call_id: 'c', content: 'sunny' },
      ],
    };
    expect(subject(toolTurn)).toEqual({ refused: 'not_user_turn' });
    expect(subject(toolTurn, { allowToolResults: true })).toMatchObject({ text: 'sunny' });
    const image = {
      model: 'gpt-4o',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in this picture?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
          ],
        },
      ],
    };
    expect(subject(image)).toEqual({ refused: 'media' });
    const allowed = subject(image, { allowMedia: true });
    expect(allowed).toMatchObject({ text: 'What is in this picture?' });
    const otherImage = structuredClone(image);
    (otherImage.messages[0]!.content[1] as { image_url: { url: string } }).image_url.url =
      'data:image/png;base64,BBBB';
    expect(partitionOf(otherImage, { allowMedia: true })).not.toBe(partitionOf(image, { allowMedia: true }));
    expect(subject({ model: 'gpt-4o', messages: [{ role: 'user', content: '  ' }] })).toEqual({
      refused: 'no_text',
    });
  });
});
