/**
 * The Gemini API passed through (gemini-native.ts): which model names a body holds and how they are
 * replaced, and what usage an answer reports.
 */
import { describe, expect, it } from 'vitest';
import { readNativeUsage, replaceNativeModel } from '../../../../plugins/providers/gemini/gemini-native.js';
import { geminiFixture } from '../../../helpers/fake-gemini.js';

const MODEL = 'models/gemini-2.5-flash';

describe('replaceNativeModel', () => {
  it('leaves a body without model names as it is (the same object)', () => {
    const body = { contents: [{ parts: [{ text: 'Hi' }] }] };
    expect(replaceNativeModel(body, 'generateContent', MODEL)).toBe(body);
    expect(replaceNativeModel(body, 'countTokens', MODEL)).toBe(body);
  });

  it('replaces the model of a generate or embed request, without changing the client object', () => {
    const body = { model: 'models/house-flash', content: { parts: [{ text: 'Hi' }] } };
    expect(replaceNativeModel(body, 'embedContent', MODEL)).toEqual({ ...body, model: MODEL });
    expect(body.model).toBe('models/house-flash');
  });

  it('replaces the model of the nested request of countTokens and of each request of a batch', () => {
    expect(
      replaceNativeModel(
        { generateContentRequest: { model: 'models/x', contents: [] } },
        'countTokens',
        MODEL,
      ),
    ).toEqual({ generateContentRequest: { model: MODEL, contents: [] } });
    expect(
      replaceNativeModel(
        {
          requests: [{ model: 'models/x', content: { parts: [{ text: 'a' }] } }, { content: { parts: [] } }],
        },
        'batchEmbedContents',
        MODEL,
      ),
    ).toEqual({
      requests: [
        { model: MODEL, content: { parts: [{ text: 'a' }] } },
        { model: MODEL, content: { parts: [] } },
      ],
    });
  });
});

describe('readNativeUsage', () => {
  it("reads a generation's usageMetadata, thinking and cached tokens included", () => {
    const answer = JSON.parse(geminiFixture('vertexai/unary-success-implicit-caching.json')) as Record<
      string,
      unknown
    >;
    const metadata = answer['usageMetadata'] as Record<string, number>;
    expect(readNativeUsage('generateContent', {}, answer)).toEqual({
      promptTokens: metadata['promptTokenCount'],
      completionTokens: (metadata['candidatesTokenCount'] ?? 0) + (metadata['thoughtsTokenCount'] ?? 0),
      totalTokens: metadata['totalTokenCount'],
      reasoningTokens: metadata['thoughtsTokenCount'] ?? 0,
      cachedTokens: metadata['cachedContentTokenCount'],
    });
  });

  it("counts an embedding's reported tokens, else estimates them from the texts", () => {
    expect(
      readNativeUsage('embedContent', {}, { embedding: {}, usageMetadata: { promptTokenCount: 9 } }),
    ).toMatchObject({
      promptTokens: 9,
      totalTokens: 9,
    });
    const batch = {
      requests: [{ content: { parts: [{ text: 'abcdefgh' }] } }, { content: { parts: [{ text: 'abcd' }] } }],
    };
    expect(readNativeUsage('batchEmbedContents', batch, { embeddings: [] })).toMatchObject({
      promptTokens: 3,
    });
  });

  it('counts nothing for countTokens, which Google does not bill', () => {
    expect(readNativeUsage('countTokens', {}, { totalTokens: 5 })).toBeUndefined();
  });
});
