/** The usage of a realtime response.done, read into the gateway's terms. */
import { describe, expect, it } from 'vitest';
import { addUsage, convertRealtimeUsage } from '../../../../plugins/api/realtime/convert-realtime-usage.js';
import { REALTIME_USAGE } from '../../../helpers/fake-openai-realtime.js';

describe('convertRealtimeUsage', () => {
  it('reads input and output tokens with their audio and cached parts', () => {
    expect(convertRealtimeUsage(REALTIME_USAGE)).toEqual({
      promptTokens: 400,
      completionTokens: 800,
      totalTokens: 1200,
      reasoningTokens: 0,
      cachedTokens: 128,
      audioPromptTokens: 250,
      cachedAudioTokens: 64,
      audioCompletionTokens: 600,
    });
  });

  it('tolerates missing and null details, and reports nothing for no usage', () => {
    expect(convertRealtimeUsage(null)).toBeUndefined();
    expect(convertRealtimeUsage(undefined)).toBeUndefined();
    expect(
      convertRealtimeUsage({
        input_tokens: 10,
        output_tokens: 5,
        input_token_details: null,
        output_token_details: { audio_tokens: null },
      }),
    ).toEqual({
      promptTokens: 10,
      completionTokens: 5,
      totalTokens: 15,
      reasoningTokens: 0,
      cachedTokens: 0,
      audioPromptTokens: 0,
      cachedAudioTokens: 0,
      audioCompletionTokens: 0,
    });
  });

  it('never counts more audio or cached tokens than the totals they are part of', () => {
    const usage = convertRealtimeUsage({
      input_tokens: 10,
      output_tokens: 4,
      input_token_details: {
        audio_tokens: 50,
        cached_tokens: 20,
        cached_tokens_details: { audio_tokens: 30 },
      },
      output_token_details: { audio_tokens: 9 },
    })!;
    expect(usage).toMatchObject({
      cachedTokens: 10,
      audioPromptTokens: 10,
      cachedAudioTokens: 10,
      audioCompletionTokens: 4,
    });
  });

  it('adds responses into a session total', () => {
    const total = convertRealtimeUsage(REALTIME_USAGE)!;
    addUsage(total, convertRealtimeUsage(REALTIME_USAGE)!);
    expect(total).toMatchObject({
      promptTokens: 800,
      completionTokens: 1600,
      totalTokens: 2400,
      cachedTokens: 256,
      audioPromptTokens: 500,
      cachedAudioTokens: 128,
      audioCompletionTokens: 1200,
    });
  });
});
