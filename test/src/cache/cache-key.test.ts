import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chatAnswerDigest, embeddingItemDigests, resolvedModelOf } from '../../../src/cache/cache-key.js';
import type { Target } from '../../../src/provider.js';

const target = (deploymentId: string): Target => ({
  deploymentId,
  upstreamModel: deploymentId,
  model: undefined,
});

const base = {
  model: 'gpt-4o',
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: [{ type: 'text', text: 'Hi' }] },
  ],
  temperature: 0.2,
  tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: {} } } }],
  response_format: { type: 'json_object' },
};

describe('chat cache key', () => {
  it('is stable: the same request always gives the same digest', () => {
    expect(chatAnswerDigest(base, 'openai/gpt-4o')).toBe(
      chatAnswerDigest(structuredClone(base), 'openai/gpt-4o'),
    );
    expect(chatAnswerDigest(base, 'openai/gpt-4o')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('is the SHA-256 of the kind, the resolved model and the canonical request, one per line', () => {
    const request = {
      model: 'gpt-4o',
      stream: true,
      temperature: 0,
      messages: [{ content: 'Hi', role: 'user' }],
    };
    const canonical = '{"messages":[{"content":"Hi","role":"user"}],"temperature":0}';
    expect(chatAnswerDigest(request, 'openai/gpt-4o')).toBe(
      createHash('sha256').update(`chat\nopenai/gpt-4o\n${canonical}`).digest('base64url'),
    );
  });

  it('makes the canonical text keys were made from before: keys sorted by code unit, JSON escapes', () => {
    // The reference: keys in code-unit order at every level, everything else as JSON.stringify writes it.
    const canonical = (value: unknown): string => {
      if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
      if (value !== null && typeof value === 'object') {
        const entries = Object.keys(value)
          .sort()
          .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`);
        return `{${entries.join(',')}}`;
      }
      return JSON.stringify(value);
    };
    const request = JSON.parse(
      JSON.stringify({
        model: 'gpt-4o',
        messages: [
          { role: 'user', content: 'quote " backslash \\ newline \n tab \t nul \u0000 é 😀 lone \ud800 end' },
        ],
        // Integer-like keys: an object lists them first in numeric order, the canonical text does not.
        logit_bias: { '10': 1, '2': -1, b: 0, B: 0, é: 1, '': 2 },
        temperature: 1e21,
        top_p: -0,
        n: 0.1,
        tools: [],
        response_format: { type: 'json_schema', json_schema: { schema: {}, strict: true } },
        stop: [null, true, false],
      }),
    ) as Record<string, unknown>;
    const { model: _model, ...fields } = request;
    expect(chatAnswerDigest(request, 'openai/gpt-4o')).toBe(
      createHash('sha256')
        .update(`chat\nopenai/gpt-4o\n${canonical(fields)}`)
        .digest('base64url'),
    );
  });

  it('ignores key order at every level, and what does not change the answer', () => {
    const reordered = {
      response_format: { type: 'json_object' },
      tools: [
        { function: { parameters: { properties: {}, type: 'object' }, name: 'lookup' }, type: 'function' },
      ],
      temperature: 0.2,
      messages: [
        { content: 'Be brief.', role: 'system' },
        { content: [{ text: 'Hi', type: 'text' }], role: 'user' },
      ],
      model: 'an-alias-of-gpt-4o',
      stream: true,
      stream_options: { include_usage: true },
      user: 'someone',
      metadata: { team: 'a' },
      store: true,
      safety_identifier: 'hash-of-user',
      prompt_cache_key: 'abc',
      seed: null,
    };
    expect(chatAnswerDigest(reordered, 'openai/gpt-4o')).toBe(chatAnswerDigest(base, 'openai/gpt-4o'));
  });

  it('changes with the resolved model and with every field that changes the answer', () => {
    const digest = chatAnswerDigest(base, 'openai/gpt-4o');
    expect(chatAnswerDigest(base, 'openai/gpt-4o-mini')).not.toBe(digest);
    const variants: Record<string, unknown>[] = [
      { ...base, temperature: 0.3 },
      { ...base, messages: [base.messages[0]] },
      { ...base, tools: undefined },
      { ...base, response_format: { type: 'text' } },
      { ...base, top_p: 0.5 },
      { ...base, seed: 7 },
      { ...base, n: 2 },
      { ...base, max_tokens: 10 },
      { ...base, reasoning_effort: 'low' },
      { ...base, some_future_parameter: true },
    ];
    const digests = new Set(variants.map((variant) => chatAnswerDigest(variant, 'openai/gpt-4o')));
    expect(digests.size).toBe(variants.length);
    expect(digests.has(digest)).toBe(false);
  });

  it('resolves a plan to its deployments, whatever their order', () => {
    expect(resolvedModelOf([target('openai/gpt-4o')])).toBe('openai/gpt-4o');
    expect(resolvedModelOf([target('b/x'), target('a/x')])).toBe(
      resolvedModelOf([target('a/x'), target('b/x')]),
    );
  });
});

describe('embeddings item keys', () => {
  it('gives each input its own digest, the same wherever it stands in the batch', () => {
    const [alpha, beta] = embeddingItemDigests({ model: 'm', input: ['alpha', 'beta'] }, 'openai/m');
    const [beta2, gamma, alpha2] = embeddingItemDigests(
      { model: 'm', input: ['beta', 'gamma', 'alpha'] },
      'openai/m',
    );
    expect(alpha2).toBe(alpha);
    expect(beta2).toBe(beta);
    expect(new Set([alpha, beta, gamma]).size).toBe(3);
    expect(embeddingItemDigests({ model: 'm', input: 'alpha', user: 'u' }, 'openai/m')).toEqual([alpha]);
  });

  it('keeps parameters, models and token-id inputs apart', () => {
    const [plain] = embeddingItemDigests({ model: 'm', input: 'alpha' }, 'openai/m');
    const [dimensions] = embeddingItemDigests({ model: 'm', input: 'alpha', dimensions: 4 }, 'openai/m');
    const [format] = embeddingItemDigests(
      { model: 'm', input: 'alpha', encoding_format: 'base64' },
      'openai/m',
    );
    const [model] = embeddingItemDigests({ model: 'm', input: 'alpha' }, 'openai/other');
    expect(new Set([plain, dimensions, format, model]).size).toBe(4);
    const [tokens] = embeddingItemDigests({ model: 'm', input: [1, 2] }, 'openai/m');
    const [tokenArrays] = embeddingItemDigests({ model: 'm', input: [[1, 2]] }, 'openai/m');
    expect(tokens).toBe(tokenArrays);
    const [text] = embeddingItemDigests({ model: 'm', input: ['[1,2]'] }, 'openai/m');
    expect(text).not.toBe(tokens);
  });
});
