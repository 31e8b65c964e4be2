/**
 * The Gemini door's answer converters, as pure functions, on recorded chat completions and streams:
 * the internal answer → Gemini's GenerateContentResponse, unary and streamed, and the framing.
 */
import { describe, expect, it } from 'vitest';
import { decodeCarriedExtensions } from '../../../../plugins/api/gemini/carried-extensions.js';
import { convertToGeminiResponse } from '../../../../plugins/api/gemini/convert-to-gemini-response.js';
import { GeminiResponseStreamTranslator } from '../../../../plugins/api/gemini/gemini-response-stream.js';
import {
  geminiStreamBody,
  type GeminiStreamPiece,
} from '../../../../plugins/api/gemini/gemini-stream-writer.js';
import type { ChatCompletionChunk } from '../../../../schemas/chat.js';
import { GatewayError } from '../../../../src/errors.js';
import { renderError } from '../../../../src/errors.js';
import { convertToGoogleError } from '../../../../plugins/api/gemini/gemini-error.js';
import { readUsageMetadata } from '../../../../plugins/api/gemini/gemini-usage.js';
import { geminiFixture } from '../../../helpers/fake-gemini.js';
import {
  CHAT_COMPLETION,
  CHAT_STREAM_TOOL_CALLS,
  CHAT_STREAM_USAGE,
  openaiFixture,
} from '../../../helpers/fake-openai.js';

const options = () => ({ includeThoughts: false, warnings: [] as string[] });

function chunksOf(stream: string): ChatCompletionChunk[] {
  return stream
    .split('\n\n')
    .map((event) => event.replace(/^data: /, '').trim())
    .filter((data) => data && data !== '[DONE]')
    .map((data) => JSON.parse(data) as ChatCompletionChunk);
}

describe('a unary answer', () => {
  it('converts the recorded chat completion', () => {
    const { response, usage } = convertToGeminiResponse(JSON.parse(CHAT_COMPLETION), options());
    const completion = JSON.parse(CHAT_COMPLETION);
    expect(response).toEqual({
      candidates: [
        {
          content: { role: 'model', parts: [{ text: completion.choices[0].message.content }] },
          finishReason: 'STOP',
          index: 0,
        },
      ],
      usageMetadata: {
        promptTokenCount: completion.usage.prompt_tokens,
        candidatesTokenCount: completion.usage.completion_tokens,
        totalTokenCount: completion.usage.total_tokens,
      },
      modelVersion: completion.model,
      responseId: completion.id,
    });
    expect(usage?.promptTokens).toBe(completion.usage.prompt_tokens);
  });

  it('converts recorded tool calls to functionCall parts, ids kept and arguments parsed', () => {
    const completion = JSON.parse(openaiFixture('chat-completion-tool-calls.json'));
    const { response } = convertToGeminiResponse(completion, options());
    const calls = completion.choices[0].message.tool_calls as {
      id: string;
      function: { name: string; arguments: string };
    }[];
    expect(response.candidates[0]!.content.parts).toEqual(
      calls.map((call) => ({
        functionCall: { name: call.function.name, args: JSON.parse(call.function.arguments), id: call.id },
      })),
    );
    expect(response.candidates[0]!.finishReason).toBe('STOP');
  });

  it('reports thinking and cached tokens as Gemini counts them', () => {
    const { response } = convertToGeminiResponse(
      {
        choices: [{ index: 0, message: { content: 'Done' }, finish_reason: 'length' }],
        usage: {
          prompt_tokens: 100,
          completion_tokens: 60,
          total_tokens: 160,
          prompt_tokens_details: { cached_tokens: 40 },
          completion_tokens_details: { reasoning_tokens: 50 },
        },
      },
      options(),
    );
    expect(response.usageMetadata).toEqual({
      promptTokenCount: 100,
      candidatesTokenCount: 10,
      thoughtsTokenCount: 50,
      cachedContentTokenCount: 40,
      totalTokenCount: 160,
    });
    expect(response.candidates[0]!.finishReason).toBe('MAX_TOKENS');
  });

  it('returns reasoning as a thought part only when thoughts were asked for', () => {
    const completion = {
      choices: [
        { index: 0, message: { content: 'Four.', reasoning_content: 'Two and two.' }, finish_reason: 'stop' },
      ],
    };
    expect(convertToGeminiResponse(completion, options()).response.candidates[0]!.content.parts).toEqual([
      { text: 'Four.' },
    ]);
    expect(
      convertToGeminiResponse(completion, { includeThoughts: true, warnings: [] }).response.candidates[0]!
        .content.parts,
    ).toEqual([{ text: 'Two and two.', thought: true }, { text: 'Four.' }]);
  });

  it('carries the extension fields in thought signatures that decode back', () => {
    const blocks = { anthropic: { thinking_blocks: [{ type: 'redacted_thinking', data: 'abc' }] } };
    const { response } = convertToGeminiResponse(
      {
        choices: [
          {
            index: 0,
            message: {
              content: null,
              extra_content: blocks,
              tool_calls: [
                {
                  id: 'toolu_1',
                  type: 'function',
                  function: { name: 'now', arguments: '' },
                  extra_content: { vendor: { n: 1 } },
                },
              ],
            },
            finish_reason: 'tool_calls',
          },
        ],
      },
      options(),
    );
    const part = response.candidates[0]!.content.parts[0]!;
    expect(part['functionCall']).toEqual({ name: 'now', args: {}, id: 'toolu_1' });
    expect(decodeCarriedExtensions(part['thoughtSignature'] as string)).toEqual({
      message: blocks,
      call: { vendor: { n: 1 } },
    });
  });

  it('sends arguments that are not a JSON object as {}, with a warning', () => {
    const warnings: string[] = [];
    const { response } = convertToGeminiResponse(
      {
        choices: [
          {
            index: 0,
            message: {
              tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{"cut' } }],
            },
            finish_reason: 'length',
          },
        ],
      },
      { includeThoughts: false, warnings },
    );
    expect(response.candidates[0]!.content.parts).toEqual([
      { functionCall: { name: 'f', args: {}, id: 'c' } },
    ]);
    expect(warnings).toEqual(["the arguments of tool call 'f' were not a JSON object and were sent as {}"]);
  });

  it.each([
    ['stop', 'STOP'],
    ['tool_calls', 'STOP'],
    ['length', 'MAX_TOKENS'],
    ['content_filter', 'SAFETY'],
    ['something_new', 'OTHER'],
  ])('maps finish reason %s to %s', (reason, expected) => {
    const { response } = convertToGeminiResponse(
      { choices: [{ index: 0, message: { content: 'x' }, finish_reason: reason }] },
      options(),
    );
    expect(response.candidates[0]!.finishReason).toBe(expected);
  });

  it('maps chosen-token log probabilities', () => {
    const { response } = convertToGeminiResponse(
      {
        choices: [
          {
            index: 0,
            message: { content: 'Hi' },
            finish_reason: 'stop',
            logprobs: {
              content: [
                {
                  token: 'Hi',
                  logprob: -0.5,
                  top_logprobs: [
                    { token: 'Hi', logprob: -0.5 },
                    { token: 'Yo', logprob: -1.5 },
                  ],
                },
              ],
            },
          },
        ],
      },
      options(),
    );
    expect(response.candidates[0]).toMatchObject({
      avgLogprobs: -0.5,
      logprobsResult: {
        chosenCandidates: [{ token: 'Hi', logProbability: -0.5 }],
        topCandidates: [
          {
            candidates: [
              { token: 'Hi', logProbability: -0.5 },
              { token: 'Yo', logProbability: -1.5 },
            ],
          },
        ],
      },
    });
  });
});

describe('a streamed answer', () => {
  function translate(stream: string, includeThoughts = false) {
    const translator = new GeminiResponseStreamTranslator({ includeThoughts, warnings: [] });
    const events = chunksOf(stream).flatMap((chunk) => translator.push(chunk));
    return { events, last: translator.end(), usage: translator.usage };
  }

  it('streams the recorded text, the last piece held back for the closing event with the usage', () => {
    const chunks = chunksOf(CHAT_STREAM_USAGE);
    const text = chunks.map((chunk) => chunk.choices[0]?.delta?.['content'] ?? '').join('');
    const { events, last, usage } = translate(CHAT_STREAM_USAGE);
    const streamed = [...events, last].flatMap((event) =>
      event.candidates.flatMap((candidate) => candidate.content.parts),
    );
    expect(streamed.map((part) => part['text']).join('')).toBe(text);
    // Every event is a model content with parts, none an empty text: both Gemini SDKs keep the turn.
    for (const event of [...events, last]) {
      for (const candidate of event.candidates) {
        expect(candidate.content.role).toBe('model');
        expect(candidate.content.parts.length).toBeGreaterThan(0);
        for (const part of candidate.content.parts) expect(part['text']).not.toBe('');
      }
    }
    expect(
      events.every((event) => event.candidates.every((candidate) => candidate.finishReason === undefined)),
    ).toBe(true);
    expect(last.candidates[0]!.finishReason).toBe('STOP');
    const reported = chunks.at(-1)!.usage!;
    expect(last.usageMetadata).toEqual({
      promptTokenCount: reported.prompt_tokens,
      candidatesTokenCount: reported.completion_tokens,
      totalTokenCount: reported.total_tokens,
    });
    expect(usage?.totalTokens).toBe(reported.total_tokens);
    expect(last.modelVersion).toBe(chunks[0]!.model);
    expect(last.responseId).toBe(chunks[0]!.id);
  });

  it('gathers the recorded parallel tool calls from their fragments into whole functionCall parts', () => {
    const { events, last } = translate(CHAT_STREAM_TOOL_CALLS);
    expect(events).toEqual([]);
    expect(last.candidates).toEqual([
      {
        content: {
          role: 'model',
          parts: [
            {
              functionCall: {
                name: 'get_weather',
                args: { city: 'Paris' },
                id: 'call_8Kq2Zr1mXb7Tn4Vc9Pw3Ls6H',
              },
            },
            {
              functionCall: {
                name: 'get_weather',
                args: { city: 'Tokyo' },
                id: 'call_3Hd9Lw2Qn6Vb1Xc7Rt5Mz8Ka',
              },
            },
          ],
        },
        finishReason: 'STOP',
        index: 0,
      },
    ]);
  });

  it('sends reasoning at once as thought parts when asked, and ends an empty answer on a content', () => {
    const base = { id: 'x', object: 'chat.completion.chunk' as const, created: 1, model: 'm' };
    const translator = new GeminiResponseStreamTranslator({ includeThoughts: true, warnings: [] });
    expect(
      translator.push({
        ...base,
        choices: [{ index: 0, delta: { reasoning_content: 'Hmm' }, finish_reason: null }],
      }),
    ).toEqual([
      {
        candidates: [{ content: { role: 'model', parts: [{ text: 'Hmm', thought: true }] }, index: 0 }],
        modelVersion: 'm',
        responseId: 'x',
      },
    ]);
    translator.push({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
    expect(translator.end().candidates).toEqual([
      { content: { role: 'model', parts: [{ text: '' }] }, finishReason: 'STOP', index: 0 },
    ]);
  });
});

describe('stream framing', () => {
  async function* pieces(...data: string[]): AsyncGenerator<GeminiStreamPiece> {
    for (const item of data) yield { data: item, characters: 0 };
  }
  async function* failing(): AsyncGenerator<GeminiStreamPiece> {
    yield { data: '{"a":1}', characters: 0 };
    throw new GatewayError('GW_ERR_UPSTREAM_UNAVAILABLE');
  }
  const onError = (error: unknown) => convertToGoogleError(renderError(error));
  const collect = async (body: AsyncIterable<unknown>) => {
    let text = '';
    for await (const piece of body) text += String(piece);
    return text;
  };

  it('writes server-sent events with CRLF, nothing after the last', async () => {
    expect(await collect(geminiStreamBody(pieces('{"a":1}', '{"b":2}'), 'sse', { onError }))).toBe(
      'data: {"a":1}\r\n\r\ndata: {"b":2}\r\n\r\n',
    );
  });

  it('writes a JSON array as it grows', async () => {
    const text = await collect(geminiStreamBody(pieces('{"a":1}', '{"b":2}'), 'array', { onError }));
    expect(JSON.parse(text)).toEqual([{ a: 1 }, { b: 2 }]);
    expect(await collect(geminiStreamBody(pieces(), 'array', { onError }))).toBe('[]');
  });

  it("ends a failed stream with Google's error object, in both framings", async () => {
    const sse = await collect(geminiStreamBody(failing(), 'sse', { onError }));
    const last = JSON.parse(sse.trim().split('\r\n\r\n').at(-1)!.slice('data: '.length));
    expect(last.error).toMatchObject({ code: 503, status: 'UNAVAILABLE' });
    const array = JSON.parse(await collect(geminiStreamBody(failing(), 'array', { onError })));
    expect(array[1].error).toMatchObject({ code: 503, status: 'UNAVAILABLE' });
  });
});

describe("Google's error envelope", () => {
  it.each([
    ['GW_ERR_REQUEST_VALIDATION', 400, 'INVALID_ARGUMENT'],
    ['GW_ERR_AUTH_INVALID_KEY', 401, 'UNAUTHENTICATED'],
    ['GW_ERR_AUTH_MODEL_FORBIDDEN', 403, 'PERMISSION_DENIED'],
    ['GW_ERR_MODEL_NOT_FOUND', 404, 'NOT_FOUND'],
    ['GW_ERR_RATE_LIMITED', 429, 'RESOURCE_EXHAUSTED'],
    ['GW_ERR_UPSTREAM_UNAVAILABLE', 503, 'UNAVAILABLE'],
    ['GW_ERR_UPSTREAM_TIMEOUT', 504, 'DEADLINE_EXCEEDED'],
    ['GW_ERR_INTERNAL', 500, 'INTERNAL'],
  ] as const)('renders %s as %i %s', (code, status, name) => {
    const envelope = convertToGoogleError(renderError(new GatewayError(code)));
    expect(envelope.error).toMatchObject({ code: status, status: name });
    expect(envelope.error.details[0]).toMatchObject({ reason: code, domain: 'llm-gateway' });
  });

  it('keeps the canonical name a provider gave, names the field at fault and the delay to wait', () => {
    const fromGemini = convertToGoogleError(
      renderError(new GatewayError('GW_ERR_UPSTREAM_ERROR', { status: 400, code: 'FAILED_PRECONDITION' })),
    );
    expect(fromGemini.error.status).toBe('FAILED_PRECONDITION');
    const invalid = convertToGoogleError(
      renderError(
        new GatewayError('GW_ERR_REQUEST_VALIDATION', { param: 'contents[0].parts', message: 'Bad.' }),
      ),
    );
    expect(invalid.error.details[1]).toEqual({
      '@type': 'type.googleapis.com/google.rpc.BadRequest',
      fieldViolations: [{ field: 'contents[0].parts', description: 'Bad.' }],
    });
    const limited = convertToGoogleError(
      renderError(new GatewayError('GW_ERR_RATE_LIMITED', { headers: { 'retry-after': '7' } })),
    );
    expect(limited.error.details.at(-1)).toEqual({
      '@type': 'type.googleapis.com/google.rpc.RetryInfo',
      retryDelay: '7s',
    });
  });
});

describe("a passed-through event's usage", () => {
  it('reads usageMetadata alone, wherever it stands, and nothing from text that only mentions it', () => {
    const event = geminiFixture('vertexai/streaming-success-basic-reply-parts.txt')
      .split('\n\n')
      .filter((line) => line.includes('usageMetadata'))[0]!
      .slice('data: '.length);
    expect(readUsageMetadata(event)).toEqual({
      promptTokens: 6,
      completionTokens: 326,
      totalTokens: 332,
      reasoningTokens: 0,
      cachedTokens: 0,
    });
    expect(
      readUsageMetadata(
        '{"usageMetadata": {"promptTokenCount": 3, "promptTokensDetails": [{"modality": "TEXT"}]}, "x": 1}',
      ),
    ).toMatchObject({ promptTokens: 3 });
    expect(
      readUsageMetadata('{"candidates": [{"content": {"parts": [{"text": "a \\"usageMetadata\\" key"}]}}]}'),
    ).toBeUndefined();
    expect(readUsageMetadata('{"usageMetadata": {"promptTokenCount": 3')).toBeUndefined();
  });
});
