/**
 * The Gemini door's token estimate for models no Gemini deployment serves: the request's text by a
 * BPE tokenizer, and a fixed allowance per media part.
 */
import { describe, expect, it } from 'vitest';
import { estimateGeminiTokens } from '../../../../plugins/api/gemini/count-gemini-tokens.js';
import { countTokens } from '../../../../src/tokens.js';

describe('estimateGeminiTokens', () => {
  it('counts contents with o200k_base unless the model names its tokenizer', async () => {
    const body = { contents: [{ role: 'user' as const, parts: [{ text: 'How many tokens is this?' }] }] };
    expect(await estimateGeminiTokens(body)).toBe(
      await countTokens('How many tokens is this?', 'o200k_base'),
    );
    expect(await estimateGeminiTokens(body, 'cl100k_base')).toBe(
      await countTokens('How many tokens is this?', 'cl100k_base'),
    );
    expect(await estimateGeminiTokens(body, 'a-tokenizer-the-gateway-lacks')).toBe(
      await countTokens('How many tokens is this?', 'o200k_base'),
    );
  });

  it('counts a whole generateContent request: system instruction, calls, results, declarations, media', async () => {
    const declarations = [{ name: 'now', description: 'The time' }];
    const total = await estimateGeminiTokens({
      generateContentRequest: {
        systemInstruction: { parts: [{ text: 'Be brief.' }] },
        contents: [
          {
            role: 'user',
            parts: [{ text: 'Time?' }, { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } }],
          },
          { role: 'model', parts: [{ functionCall: { name: 'now', args: {} } }] },
          { role: 'user', parts: [{ functionResponse: { name: 'now', response: { output: 'noon' } } }] },
        ],
        tools: [{ functionDeclarations: declarations }],
      },
    });
    const text = [
      'Be brief.',
      'Time?',
      'now',
      '{}',
      'now',
      '{"output":"noon"}',
      JSON.stringify(declarations),
    ].join('\n');
    expect(total).toBe((await countTokens(text, 'o200k_base'))! + 258);
  });
});
