import { describe, expect, it } from 'vitest';
import { hasNonNullField, withoutNullUsage } from '../../../../plugins/providers/openai/openai-stream.js';

describe('withoutNullUsage', () => {
  it('removes the member with the comma before it, as OpenAI places it after choices', () => {
    expect(withoutNullUsage('{"id":"c","choices":[],"usage":null}')).toBe('{"id":"c","choices":[]}');
    expect(withoutNullUsage('{"id":"c","usage":null,"obfuscation":"x"}')).toBe(
      '{"id":"c","obfuscation":"x"}',
    );
  });

  it('removes it with the comma after it when it comes first', () => {
    expect(withoutNullUsage('{"usage":null,"id":"c"}')).toBe('{"id":"c"}');
  });

  it('leaves an event without it, or with a usage, unchanged', () => {
    const plain = '{"id":"c","choices":[{"delta":{"content":"usage: null"}}]}';
    expect(withoutNullUsage(plain)).toBe(plain);
    const counted = '{"id":"c","choices":[],"usage":{"total_tokens":3}}';
    expect(withoutNullUsage(counted)).toBe(counted);
  });

  it('never touches the words inside a string, which JSON escapes', () => {
    const quoted = '{"id":"c","choices":[{"delta":{"content":"say \\"usage\\":null"}}]}';
    expect(withoutNullUsage(quoted)).toBe(quoted);
    expect(hasNonNullField(quoted, 'usage')).toBe(false);
  });
});
