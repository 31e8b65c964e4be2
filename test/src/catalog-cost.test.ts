/**
 * The cost of one call's usage by the catalog's prices: plain input, input read from a cache and
 * input written to one each at their own price.
 */
import { describe, expect, it } from 'vitest';
import { costOf, normalizeCatalogEntry } from '../../src/catalog.js';
import type { Usage } from '../../src/provider.js';

const model = normalizeCatalogEntry({
  id: 'priced',
  provider: 'any',
  pricing: { input: 3, output: 15, cached_input: 0.3, cache_write: 3.75 },
});

function usage(figures: Partial<Usage>): Usage {
  return {
    promptTokens: 0,
    completionTokens: 0,
    totalTokens: 0,
    reasoningTokens: 0,
    cachedTokens: 0,
    ...figures,
  };
}

describe('costOf', () => {
  it('charges input, output, cache reads and cache writes at their own prices', () => {
    // 1M prompt tokens: 600K plain, 300K read from the cache, 100K written to it; 1M output.
    const cost = costOf(
      model.pricing,
      usage({
        promptTokens: 1_000_000,
        cachedTokens: 300_000,
        cacheWriteTokens: 100_000,
        completionTokens: 1_000_000,
      }),
    );
    expect(cost).toBeCloseTo(0.6 * 3 + 0.3 * 0.3 + 0.1 * 3.75 + 15, 10);
  });

  it('counts no cache writes when the usage has none (providers that do not report them)', () => {
    expect(costOf(model.pricing, usage({ promptTokens: 1_000_000, cachedTokens: 500_000 }))).toBeCloseTo(
      0.5 * 3 + 0.5 * 0.3,
      10,
    );
  });

  it('charges cache writes at the input price when the catalog has no cache_write price', () => {
    const unpriced = normalizeCatalogEntry({
      id: 'plain',
      provider: 'any',
      pricing: { input: 2, output: 8 },
    });
    expect(
      costOf(unpriced.pricing, usage({ promptTokens: 1_000_000, cacheWriteTokens: 400_000 })),
    ).toBeCloseTo(2, 10);
  });

  it('never charges more cached or written tokens than the prompt had', () => {
    const cost = costOf(model.pricing, usage({ promptTokens: 100, cachedTokens: 80, cacheWriteTokens: 80 }));
    expect(cost).toBeCloseTo((80 * 0.3 + 20 * 3.75) / 1_000_000, 12);
  });

  it('is 0 without a catalog entry or a usage', () => {
    expect(costOf(undefined, usage({ promptTokens: 10 }))).toBe(0);
    expect(costOf(model.pricing, undefined)).toBe(0);
  });

  it('charges audio tokens at the audio prices and text tokens at the text prices', () => {
    const realtime = normalizeCatalogEntry({
      id: 'realtime',
      provider: 'any',
      type: 'realtime',
      pricing: {
        input: 4,
        cached_input: 0.4,
        output: 16,
        audio_input: 32,
        cached_audio_input: 0.5,
        audio_output: 64,
      },
    });
    // 1M prompt tokens: 400K text (100K cached), 600K audio (200K cached); 1M output: 300K text, 700K audio.
    const cost = costOf(
      realtime.pricing,
      usage({
        promptTokens: 1_000_000,
        cachedTokens: 300_000,
        audioPromptTokens: 600_000,
        cachedAudioTokens: 200_000,
        completionTokens: 1_000_000,
        audioCompletionTokens: 700_000,
      }),
    );
    expect(cost).toBeCloseTo(0.3 * 4 + 0.1 * 0.4 + 0.4 * 32 + 0.2 * 0.5 + 0.3 * 16 + 0.7 * 64, 10);
    // Without audio prices, audio tokens are priced as text.
    expect(
      costOf(
        model.pricing,
        usage({ promptTokens: 1_000_000, audioPromptTokens: 500_000, completionTokens: 0 }),
      ),
    ).toBeCloseTo(3, 10);
  });
});
