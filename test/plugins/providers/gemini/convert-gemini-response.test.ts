/**
 * Gemini answers → chat.completion, on every recorded unary response (pure, no sockets).
 */
import { describe, expect, it } from 'vitest';
import {
  convertGeminiResponse,
  mapGeminiLogprobs,
  mapGeminiUsage,
} from '../../../../plugins/providers/gemini/convert-gemini-response.js';
import type { GeminiGenerateContentResponse } from '../../../../plugins/providers/gemini/gemini-api.js';
import { mapGeminiFinishReason } from '../../../../plugins/providers/gemini/map-gemini-finish-reason.js';
import { GatewayError } from '../../../../src/errors.js';
import { UpstreamFailure } from '../../../../src/upstream.js';
import { geminiFixture } from '../../../helpers/fake-gemini.js';
import { assertOpenAISchema } from '../../../helpers/openai-schemas.js';

function wire(name: string): GeminiGenerateContentResponse {
  return JSON.parse(geminiFixture(name)) as GeminiGenerateContentResponse;
}

function convert(name: string, options: { exposeThoughts?: boolean } = {}) {
  const warnings: string[] = [];
  const result = convertGeminiResponse(wire(name), 'gemini-2.5-flash', {
    exposeThoughts: options.exposeThoughts ?? false,
    warnings,
  });
  assertOpenAISchema('CreateChatCompletionResponse', result.completion);
  return { ...result, warnings, message: result.completion.choices[0]!.message as Record<string, unknown> };
}

function failure(name: string): unknown {
  try {
    convert(name);
  } catch (error) {
    return error;
  }
  throw new Error(`${name} converted without an error`);
}

describe('successful answers', () => {
  it.each([
    ['vertexai/unary-success-quote-reply.json', 'organize the world'],
    ['googleai/unary-success-citations.json', 'break down quantum mechanics'],
    ['googleai/unary-success-google-search-grounding.json', 'current weather in London'],
    ['vertexai/unary-success-basic-response-long-usage-metadata.json', 'description of the image'],
    ['vertexai/unary-success-partial-usage-metadata.json', 'Mountain View'],
    ['vertexai/unary-success-implicit-caching.json', 'Red Riding Hood'],
  ])('%s → one stop choice with the text', (name, text) => {
    const { completion, message } = convert(name);
    expect(completion.choices).toHaveLength(1);
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    expect(completion.choices[0]!.logprobs).toBeNull();
    expect(message['role']).toBe('assistant');
    expect(message['refusal']).toBeNull();
    expect(String(message['content'])).toContain(text);
    expect(completion.id).toMatch(/^chatcmpl-/);
  });

  it('maps full usage, cached and reasoning tokens included', () => {
    const { completion, usage } = convert('vertexai/unary-success-implicit-caching.json');
    expect(completion.usage).toEqual({
      prompt_tokens: 12013,
      completion_tokens: 88,
      total_tokens: 12101,
      prompt_tokens_details: { cached_tokens: 11243, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 73 },
    });
    expect(usage).toEqual({
      promptTokens: 12013,
      completionTokens: 88,
      totalTokens: 12101,
      reasoningTokens: 73,
      cachedTokens: 11243,
    });
    expect(completion.model).toBe('gemini-2.5-flash');
  });

  it('reads partial usage as the zeros proto3 leaves out, and none at all as no usage', () => {
    expect(convert('vertexai/unary-success-partial-usage-metadata.json').completion.usage).toMatchObject({
      prompt_tokens: 6,
      completion_tokens: 0,
      total_tokens: 6,
    });
    expect(convert('vertexai/unary-success-function-call-null.json').completion.usage).toMatchObject({
      prompt_tokens: 774,
      completion_tokens: 4176,
      total_tokens: 4950,
    });
    const noUsage = convert('vertexai/unary-success-function-call-empty-arguments.json');
    expect(noUsage.completion.usage).toBeUndefined();
    expect(noUsage.usage).toBeUndefined();
  });

  it('keeps the response id and model version Gemini gives', () => {
    const { completion } = convert('vertexai/unary-success-empty-part.json');
    expect(completion.id).toBe('chatcmpl-J3yvaJjSDpGgwu8PicCqmQs');
    expect(completion.model).toBe('gemini-2.5-flash-image-preview');
  });

  it('skips an empty part and drops an image part with a warning', () => {
    const { message, warnings } = convert('vertexai/unary-success-empty-part.json');
    expect(message['content']).toMatch(/^I can certainly help you with that!/);
    expect(warnings).toEqual([
      'dropped a inlineData (image/png) part of the answer: chat completions cannot carry it',
    ]);
  });

  it.each([
    ['vertexai/unary-success-function-call-json-literal.json', { original_title: 'String', current: true }],
    [
      'vertexai/unary-success-function-call-complex-json-literal.json',
      { original_title: 'Longer String', current: true, testObject: { testProperty: 'string property' } },
    ],
    ['vertexai/unary-success-function-call-null.json', { original_title: 'String', season: null }],
    ['vertexai/unary-success-function-call-empty-arguments.json', {}],
  ])('%s → a tool call with JSON-string arguments', (name, args) => {
    const { completion, message } = convert(name);
    expect(completion.choices[0]!.finish_reason).toBe('tool_calls');
    expect(message['content']).toBeNull();
    const calls = message['tool_calls'] as { id: string; type: string; function: { arguments: string } }[];
    expect(calls).toHaveLength(1);
    expect(calls[0]!.id).toMatch(/^call_[0-9a-f]{24}$/);
    expect(calls[0]!.type).toBe('function');
    expect(JSON.parse(calls[0]!.function.arguments)).toEqual(args);
  });

  it('returns the thought signature on the tool call, and thoughts only when exposed', () => {
    const name = 'googleai/unary-success-thinking-function-call-thought-summary-signature.json';
    const signature = (wire(name).candidates![0]!.content!.parts![1] as { thoughtSignature: string })
      .thoughtSignature;
    const hidden = convert(name);
    const call = (hidden.message['tool_calls'] as { extra_content: unknown }[])[0]!;
    expect(call.extra_content).toEqual({ google: { thought_signature: signature } });
    expect(hidden.message['reasoning_content']).toBeUndefined();
    expect(JSON.stringify(hidden.completion)).not.toContain('New Year');

    const exposed = convert(name, { exposeThoughts: true });
    expect(exposed.message['reasoning_content']).toMatch(/^\*\*Thinking Through the New Year's Eve/);
    expect(exposed.message['content']).toBeNull();
  });
});

describe('answers that are not a normal reply', () => {
  it('a blocked prompt is a 400 content_filter with the reason and message', () => {
    const error = failure('vertexai/unary-failure-prompt-blocked-safety-with-message.json') as GatewayError;
    expect(error).toBeInstanceOf(GatewayError);
    expect(error.statusCode).toBe(400);
    expect(error.code).toBe('content_filter');
    expect(error.message).toBe("Gemini's safety system blocked the prompt (SAFETY: Reasons).");
    expect(error.details?.['block_reason']).toBe('SAFETY');
  });

  it('a block reason Google adds later is still a block', () => {
    const error = failure('vertexai/unary-failure-unknown-enum-prompt-blocked.json') as GatewayError;
    expect(error.code).toBe('content_filter');
    expect(error.message).toContain('FAKE_NEW_BLOCK_REASON');
  });

  it('no candidates with only a block message is a block too', () => {
    const error = failure('googleai/unary-failure-only-prompt-feedback.json') as GatewayError;
    expect(error.gatewayCode).toBe('GW_ERR_CONTENT_FILTERED');
    expect(error.message).toContain('Message');
  });

  it('a safety finish without content is a content_filter choice with null content', () => {
    const { completion, message } = convert('vertexai/unary-failure-finish-reason-safety-no-content.json');
    expect(completion.choices[0]!.finish_reason).toBe('content_filter');
    expect(message['content']).toBeNull();
    expect(completion.model).toBe('gemini-1.5-flash');
  });

  it('an unknown finish reason with content is a stop', () => {
    const { completion, message } = convert('vertexai/unary-failure-unknown-enum-finish-reason.json');
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    expect(message['content']).toBe('Some text');
  });

  it.each([
    ['vertexai/unary-failure-empty-content.json', 'no finish reason'],
    ['vertexai/unary-failure-malformed-content.json', 'no finish reason'],
    ['googleai/unary-failure-with-message-no-content.json', 'OTHER: Model failed to generate content'],
  ])('%s, a candidate without content nor a reason for it, is a retryable 502', (name, why) => {
    const error = failure(name) as UpstreamFailure;
    expect(error).toBeInstanceOf(UpstreamFailure);
    expect(error.statusCode).toBe(502);
    expect(error.code).toBe('upstream_bad_response');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain(why);
  });

  it.each([
    'vertexai/unary-success-total-tokens.json',
    'vertexai/unary-success-detailed-token-response.json',
  ])('%s (a countTokens answer, not generateContent) is a 502, not a crash', (name) => {
    const error = failure(name) as UpstreamFailure;
    expect(error.statusCode).toBe(502);
    expect(error.message).toBe('Gemini answered without a candidate or a block reason.');
  });
});

describe('finish reasons', () => {
  it.each([
    ['STOP', false, 'stop'],
    ['STOP', true, 'tool_calls'],
    ['MAX_TOKENS', false, 'length'],
    ['MAX_TOKENS', true, 'length'],
    ['SAFETY', false, 'content_filter'],
    ['RECITATION', false, 'content_filter'],
    ['BLOCKLIST', false, 'content_filter'],
    ['PROHIBITED_CONTENT', false, 'content_filter'],
    ['SPII', false, 'content_filter'],
    ['IMAGE_SAFETY', false, 'content_filter'],
    ['OTHER', false, 'stop'],
    ['MALFORMED_FUNCTION_CALL', false, 'stop'],
    ['SOMETHING_NEW', true, 'tool_calls'],
    [null, false, 'stop'],
  ] as const)('%s (tool calls: %s) → %s', (reason, calledTools, expected) => {
    expect(mapGeminiFinishReason(reason, calledTools)).toBe(expected);
  });
});

describe('usage and logprobs', () => {
  it('counts tool-use prompt tokens as prompt and audio input as audio', () => {
    expect(
      mapGeminiUsage({
        promptTokenCount: 10,
        toolUsePromptTokenCount: 5,
        candidatesTokenCount: 3,
        promptTokensDetails: [
          { modality: 'AUDIO', tokenCount: 4 },
          { modality: 'TEXT', tokenCount: 6 },
        ],
      })?.usage,
    ).toEqual({
      prompt_tokens: 15,
      completion_tokens: 3,
      total_tokens: 18,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 4 },
      completion_tokens_details: { reasoning_tokens: 0 },
    });
  });

  it('maps chosen tokens with their alternatives, valid in a chat.completion', () => {
    const logprobs = mapGeminiLogprobs({
      chosenCandidates: [
        { token: 'Hé', logProbability: -0.1 },
        { token: '!', logProbability: -0.5 },
      ],
      topCandidates: [
        {
          candidates: [
            { token: 'Hé', logProbability: -0.1 },
            { token: 'Hi', logProbability: -2.3 },
          ],
        },
      ],
    });
    expect(logprobs).toEqual({
      content: [
        {
          token: 'Hé',
          logprob: -0.1,
          bytes: [72, 195, 169],
          top_logprobs: [
            { token: 'Hé', logprob: -0.1, bytes: [72, 195, 169] },
            { token: 'Hi', logprob: -2.3, bytes: [72, 105] },
          ],
        },
        { token: '!', logprob: -0.5, bytes: [33], top_logprobs: [] },
      ],
      refusal: null,
    });
    const completion = convertGeminiResponse(
      {
        candidates: [
          {
            content: { parts: [{ text: 'Hé!' }] },
            finishReason: 'STOP',
            logprobsResult: { chosenCandidates: [{ token: 'Hé', logProbability: -0.1 }] },
          },
        ],
      },
      'gemini-2.5-flash',
      { exposeThoughts: false, warnings: [] },
    ).completion;
    assertOpenAISchema('CreateChatCompletionResponse', completion);
    expect(completion.choices[0]!.logprobs).not.toBeNull();
  });

  it('makes one choice per candidate, in index order', () => {
    const completion = convertGeminiResponse(
      {
        candidates: [
          { index: 1, content: { parts: [{ text: 'second' }] }, finishReason: 'MAX_TOKENS' },
          { content: { parts: [{ text: 'first' }] }, finishReason: 'STOP' },
        ],
      },
      'gemini-2.5-flash',
      { exposeThoughts: false, warnings: [] },
    ).completion;
    assertOpenAISchema('CreateChatCompletionResponse', completion);
    expect(
      completion.choices.map((choice) => [choice.index, choice.message.content, choice.finish_reason]),
    ).toEqual([
      [0, 'first', 'stop'],
      [1, 'second', 'length'],
    ]);
  });
});
