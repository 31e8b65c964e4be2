import { describe, expect, it } from 'vitest';
import { parseExportHeaders } from '../../../src/tracing/gateway-tracing.js';
import {
  readAnswer,
  readInputMessages,
  readRequestParameters,
} from '../../../src/tracing/read-model-exchange.js';
import { tracesUrlOf } from '../../../plugins/tracing.js';
import { resolveGatewayOptions } from '../../../src/options.js';

const json = (value: unknown) => ({ body: JSON.stringify(value), contentType: 'application/json' });

describe('readRequestParameters', () => {
  it('reads the sampling parameters of each inbound API by the conventions’ names', () => {
    expect(
      readRequestParameters({
        model: 'gpt-4o',
        max_completion_tokens: 100,
        temperature: 0.5,
        top_p: 0.8,
        frequency_penalty: 0.1,
        presence_penalty: 0.2,
        seed: 7,
        n: 2,
        stop: 'END',
      }),
    ).toEqual({
      'gen_ai.request.max_tokens': 100,
      'gen_ai.request.temperature': 0.5,
      'gen_ai.request.top_p': 0.8,
      'gen_ai.request.frequency_penalty': 0.1,
      'gen_ai.request.presence_penalty': 0.2,
      'gen_ai.request.seed': 7,
      'gen_ai.request.choice.count': 2,
      'gen_ai.request.stop_sequences': ['END'],
    });
    expect(readRequestParameters({ max_tokens: 1024, top_k: 40, stop_sequences: ['a', 'b'] })).toEqual({
      'gen_ai.request.max_tokens': 1024,
      'gen_ai.request.top_k': 40,
      'gen_ai.request.stop_sequences': ['a', 'b'],
    });
    expect(
      readRequestParameters({ generationConfig: { maxOutputTokens: 256, temperature: 0.7, topK: 3 } }),
    ).toEqual({
      'gen_ai.request.max_tokens': 256,
      'gen_ai.request.temperature': 0.7,
      'gen_ai.request.top_k': 3,
    });
  });

  it('ignores what is not a number, and bodies that are not objects', () => {
    expect(readRequestParameters({ temperature: '0.7', stop: [1] })).toEqual({});
    expect(readRequestParameters(undefined)).toEqual({});
  });
});

describe('readAnswer', () => {
  it('reads the id and finish reasons of a chat completion, an Anthropic message and a Gemini answer', () => {
    const chat = { value: json({ id: 'chatcmpl-1', choices: [{ finish_reason: 'length' }] }), warnings: [] };
    expect(readAnswer(chat, false)).toEqual({
      id: 'chatcmpl-1',
      finishReasons: ['length'],
      output: undefined,
    });
    expect(readAnswer(json({ id: 'msg_1', stop_reason: 'end_turn', content: [] }), false)).toMatchObject({
      id: 'msg_1',
      finishReasons: ['end_turn'],
    });
    expect(
      readAnswer(json({ responseId: 'r-1', candidates: [{ finishReason: 'STOP', content: {} }] }), false),
    ).toMatchObject({ id: 'r-1', finishReasons: ['STOP'] });
  });

  it('gives the answer’s messages only when content is captured', () => {
    const answer = json({
      choices: [{ message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
    });
    expect(readAnswer(answer, false).output).toBeUndefined();
    expect(JSON.parse(readAnswer(answer, true).output!)).toEqual([{ role: 'assistant', content: 'hi' }]);
  });

  it('reads a stream’s id from its first event, and nothing from audio or broken bodies', () => {
    const start = { first: { done: false, value: { chunk: { id: 'chatcmpl-s' } } }, iterator: {} };
    expect(readAnswer(start, true).id).toBe('chatcmpl-s');
    expect(readAnswer({ body: Buffer.from([1, 2, 3]), contentType: 'audio/mpeg' }, true).id).toBeUndefined();
    expect(readAnswer({ body: '{not json', contentType: 'application/json' }, true).id).toBeUndefined();
  });
});

describe('readInputMessages', () => {
  it('is the request’s messages, input or contents as JSON', () => {
    expect(readInputMessages({ messages: [{ role: 'user', content: 'x' }] })).toBe(
      '[{"role":"user","content":"x"}]',
    );
    expect(readInputMessages({ contents: [{ parts: [] }] })).toBe('[{"parts":[]}]');
    expect(readInputMessages({ model: 'm' })).toBeUndefined();
  });
});

describe('tracing settings', () => {
  const tracing = (input: Record<string, unknown>) =>
    resolveGatewayOptions({ tracing: input } as never).tracing;

  it('is off without an endpoint, or when the SDK is disabled', () => {
    expect(tracesUrlOf(tracing({}))).toBe('');
    expect(tracesUrlOf(tracing({ endpoint: 'http://collector:4318', disabled: true }))).toBe('');
  });

  it('sends to <endpoint>/v1/traces, or to the traces endpoint as given', () => {
    expect(tracesUrlOf(tracing({ endpoint: 'http://collector:4318/' }))).toBe(
      'http://collector:4318/v1/traces',
    );
    expect(
      tracesUrlOf(
        tracing({ endpoint: 'http://collector:4318', tracesEndpoint: 'https://vendor/api/traces' }),
      ),
    ).toBe('https://vendor/api/traces');
  });

  it('reads export headers as OTEL_EXPORTER_OTLP_HEADERS writes them', () => {
    expect(parseExportHeaders('api-key=abc%3D%3D, x-team = platform,broken')).toEqual({
      'api-key': 'abc==',
      'x-team': 'platform',
    });
    expect(parseExportHeaders('')).toEqual({});
  });
});
