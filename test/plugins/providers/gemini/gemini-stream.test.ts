/**
 * Gemini streams → chat.completion.chunk events, on every recorded stream (pure: the bytes come from
 * an in-memory stream, cut into small pieces).
 */
import { describe, expect, it } from 'vitest';
import { UpstreamBody } from '../../../../src/upstream-body.js';
import type { UpstreamAnswer } from '../../../../src/upstream.js';
import type { ChatCompletionChunk } from '../../../../schemas/chat.js';
import {
  GeminiStreamTranslator,
  readGeminiStream,
} from '../../../../plugins/providers/gemini/gemini-stream.js';
import { GatewayError } from '../../../../src/errors.js';
import { UpstreamFailure } from '../../../../src/upstream.js';
import { GEMINI_KEY, geminiFixture } from '../../../helpers/fake-gemini.js';
import { assertOpenAISchema } from '../../../helpers/openai-schemas.js';

function bodyOf(text: string, pieceBytes: number): UpstreamAnswer {
  const bytes = Buffer.from(text);
  const pieces: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += pieceBytes)
    pieces.push(bytes.subarray(offset, offset + pieceBytes));
  return { statusCode: 200, headers: {}, body: UpstreamBody.of(pieces) };
}

interface Outcome {
  chunks: ChatCompletionChunk[];
  /** Events read for the accounting only (the usage of a client that did not ask for it). */
  hidden: ChatCompletionChunk[];
  error: unknown;
  text: string;
  warnings: string[];
}

async function translate(
  text: string,
  options: { includeUsage?: boolean; exposeThoughts?: boolean; pieceBytes?: number } = {},
): Promise<Outcome> {
  const warnings: string[] = [];
  const translator = new GeminiStreamTranslator({
    model: 'gemini-2.5-flash',
    includeUsage: options.includeUsage ?? false,
    exposeThoughts: options.exposeThoughts ?? false,
    warnings,
  });
  const chunks: ChatCompletionChunk[] = [];
  const hidden: ChatCompletionChunk[] = [];
  let error: unknown;
  try {
    const events = readGeminiStream(
      bodyOf(text, options.pieceBytes ?? 7),
      translator,
      new AbortController().signal,
      'gemini',
      [GEMINI_KEY],
    );
    for await (const event of events) {
      assertOpenAISchema('CreateChatCompletionStreamResponse', event.chunk);
      (event.hidden === true ? hidden : chunks).push(event.chunk);
    }
  } catch (caught) {
    error = caught;
  }
  const content = chunks.map((chunk) => (chunk.choices[0]?.delta['content'] as string | null) ?? '').join('');
  return { chunks, hidden, error, text: content, warnings };
}

function finishes(chunks: ChatCompletionChunk[]): (string | null)[] {
  return chunks.flatMap((chunk) => chunk.choices.map((choice) => choice.finish_reason)).filter(Boolean);
}

function expectWellFormed(chunks: ChatCompletionChunk[]): void {
  expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
  expect(new Set(chunks.map((chunk) => chunk.created)).size).toBe(1);
  expect(chunks[0]!.choices[0]!.delta['role']).toBe('assistant');
  expect(chunks.filter((chunk) => chunk.choices[0]?.delta['role'])).toHaveLength(1);
}

describe('successful streams', () => {
  it.each([
    ['vertexai/streaming-success-basic-reply-parts.txt', '1 2 3 4 5 6 7 8', 'stop'],
    ['googleai/streaming-success-finish-message.txt', 'Hello world!', 'stop'],
    ['vertexai/streaming-success-empty-text-part.txt', '1', 'stop'],
    ['vertexai/streaming-success-quotes-escaped.txt', 'Pineapples and "bananas"', 'stop'],
    ['googleai/streaming-success-citations.txt', "Okay, let's break down quantum mechanics.", 'stop'],
    ['googleai/streaming-success-no-content-parts.txt', 'I will generate a 3D rendering', 'stop'],
  ])('%s → text deltas, one finish (%s)', async (name, text, reason) => {
    const outcome = await translate(geminiFixture(name));
    expect(outcome.error).toBeUndefined();
    expectWellFormed(outcome.chunks);
    expect(outcome.text).toContain(text);
    expect(finishes(outcome.chunks)).toEqual([reason]);
    expect(outcome.chunks.at(-1)!.choices[0]!.finish_reason).toBe(reason);
  });

  it('gives the same result whatever the cuts in the bytes', async () => {
    const fixture = geminiFixture('googleai/streaming-success-citations.txt');
    const whole = await translate(fixture, { pieceBytes: fixture.length });
    for (const pieceBytes of [1, 3, 64]) {
      expect((await translate(fixture, { pieceBytes })).text).toBe(whole.text);
    }
  });

  it('reports the model version and the cumulative usage once, last, when asked', async () => {
    const outcome = await translate(geminiFixture('googleai/streaming-success-no-content-parts.txt'), {
      includeUsage: true,
    });
    expect(outcome.chunks[0]!.model).toBe('gemini-2.0-flash-preview-image-generation');
    expect(outcome.chunks.slice(0, -1).every((chunk) => chunk.usage === null)).toBe(true);
    expect(outcome.chunks.at(-1)).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 34, completion_tokens: 1370, total_tokens: 1404 },
    });
  });

  it('gives the usage as a hidden event, after the last chunk, when the client did not ask for it', async () => {
    const outcome = await translate(geminiFixture('googleai/streaming-success-no-content-parts.txt'));
    expect(outcome.chunks.every((chunk) => chunk.usage === undefined)).toBe(true);
    expect(outcome.hidden).toHaveLength(1);
    expect(outcome.hidden[0]).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 34, completion_tokens: 1370, total_tokens: 1404 },
    });
    const asked = await translate(geminiFixture('googleai/streaming-success-no-content-parts.txt'), {
      includeUsage: true,
    });
    expect(asked.hidden).toHaveLength(0);
  });

  it('has no usage chunk when the stream carried no usage, even when asked', async () => {
    const outcome = await translate(geminiFixture('googleai/streaming-success-finish-message.txt'), {
      includeUsage: true,
    });
    expect(outcome.chunks.some((chunk) => chunk.usage)).toBe(false);
    expect(outcome.chunks.at(-1)!.choices[0]!.finish_reason).toBe('stop');
  });

  it('sends finish_reason once although Vertex repeats STOP on every event', async () => {
    const outcome = await translate(geminiFixture('vertexai/streaming-failure-unknown-finish-enum.txt'));
    expect(outcome.error).toBeUndefined();
    expect(finishes(outcome.chunks)).toEqual(['stop']);
    expect(outcome.text).toContain('**Cats:**');
  });
});

describe('failing streams', () => {
  it('a recitation stop after text ends with content_filter', async () => {
    const outcome = await translate(geminiFixture('googleai/streaming-failure-recitation-no-content.txt'));
    expect(outcome.error).toBeUndefined();
    expect(outcome.text).toBe('text1text2text3text4text5text6text7text8');
    expect(finishes(outcome.chunks)).toEqual(['content_filter']);
  });

  it('a prompt blocked before any chunk is a 400 content_filter', async () => {
    const outcome = await translate(
      geminiFixture('vertexai/streaming-failure-prompt-blocked-safety-with-message.txt'),
    );
    expect(outcome.chunks).toHaveLength(0);
    expect(outcome.error).toBeInstanceOf(GatewayError);
    expect((outcome.error as GatewayError).gatewayCode).toBe('GW_ERR_CONTENT_FILTERED');
  });

  it('a prompt blocked after chunks went out ends the stream with content_filter', async () => {
    const events = [
      { candidates: [{ content: { parts: [{ text: 'Partial' }] } }] },
      { promptFeedback: { blockReason: 'PROHIBITED_CONTENT' } },
      { candidates: [{ content: { parts: [{ text: ' ignored' }] } }] },
    ];
    const outcome = await translate(events.map((event) => `data: ${JSON.stringify(event)}\n\n`).join(''));
    expect(outcome.error).toBeUndefined();
    expect(outcome.text).toBe('Partial');
    expect(finishes(outcome.chunks)).toEqual(['content_filter']);
  });

  it('an error body written after events ends with that error, the key scrubbed', async () => {
    const outcome = await translate(geminiFixture('vertexai/streaming-failure-error-mid-stream.txt'));
    expect(outcome.text).toBe('First Second ');
    expect(finishes(outcome.chunks)).toEqual([]);
    const error = outcome.error as UpstreamFailure;
    expect(error).toBeInstanceOf(UpstreamFailure);
    expect(error.kind).toBe('mid_stream');
    expect(error.message).toBe('The operation was cancelled.');
    expect(error.code).toBe('CANCELLED');
    expect(error.statusCode).toBe(502);
  });

  it('an error event is thrown with its message, our key scrubbed', async () => {
    const event = { error: { code: 500, message: `Internal error for ${GEMINI_KEY}`, status: 'INTERNAL' } };
    const outcome = await translate(
      `data: {"candidates":[{"content":{"parts":[{"text":"a"}]}}]}\n\ndata: ${JSON.stringify(event)}\n\n`,
    );
    const error = outcome.error as UpstreamFailure;
    expect(error.statusCode).toBe(500);
    expect(error.message).toBe('Internal error for [redacted]');
  });

  it.each([
    'vertexai/streaming-failure-empty-content.txt',
    'vertexai/streaming-failure-malformed-content.txt',
    'vertexai/streaming-failure-invalid-json.txt',
  ])('%s, a stream that says nothing, is a 502 before any chunk', async (name) => {
    const outcome = await translate(geminiFixture(name));
    expect(outcome.chunks).toHaveLength(0);
    const error = outcome.error as UpstreamFailure;
    expect(error).toBeInstanceOf(UpstreamFailure);
    expect(error.code).toBe('upstream_bad_response');
    expect(error.retryable).toBe(true);
  });

  it('an event that is not JSON is an error', async () => {
    const outcome = await translate(
      'data: {"candidates":[{"content":{"parts":[{"text":"a"}]}}]}\n\ndata: {oops\n\n',
    );
    expect(outcome.text).toBe('a');
    expect((outcome.error as UpstreamFailure).message).toContain('not JSON');
  });
});

describe('tool calls and thoughts in streams', () => {
  const call = (name: string, signature?: string) => ({
    functionCall: { name, args: { q: name } },
    ...(signature ? { thoughtSignature: signature } : {}),
  });

  it('numbers parallel calls across events, each with its own id, and ends with tool_calls', async () => {
    const events = [
      { candidates: [{ content: { parts: [{ text: 'Let me check.' }] } }] },
      { candidates: [{ content: { parts: [call('a', 'sig')] } }] },
      { candidates: [{ content: { parts: [call('b'), call('c')] }, finishReason: 'STOP' }] },
    ];
    const outcome = await translate(events.map((event) => `data: ${JSON.stringify(event)}\n\n`).join(''));
    const calls = outcome.chunks.flatMap(
      (chunk) => (chunk.choices[0]?.delta['tool_calls'] as { index: number; id: string }[] | undefined) ?? [],
    );
    expect(calls.map((item) => item.index)).toEqual([0, 1, 2]);
    expect(new Set(calls.map((item) => item.id)).size).toBe(3);
    expect(calls[0]).toMatchObject({ extra_content: { google: { thought_signature: 'sig' } } });
    expect(finishes(outcome.chunks)).toEqual(['tool_calls']);
  });

  it('streams thoughts as reasoning_content only when exposed', async () => {
    const events = [
      { candidates: [{ content: { parts: [{ text: 'Pondering', thought: true }] } }] },
      { candidates: [{ content: { parts: [{ text: 'Answer' }] }, finishReason: 'STOP' }] },
    ];
    const text = events.map((event) => `data: ${JSON.stringify(event)}\n\n`).join('');
    const exposed = await translate(text, { exposeThoughts: true });
    expect(exposed.chunks[0]!.choices[0]!.delta).toEqual({
      role: 'assistant',
      reasoning_content: 'Pondering',
      content: null,
    });
    expect(exposed.text).toBe('Answer');
    const dropped = await translate(text);
    expect(JSON.stringify(dropped.chunks)).not.toContain('Pondering');
    expect(dropped.chunks[0]!.choices[0]!.delta).toEqual({ role: 'assistant', content: 'Answer' });
  });

  it('keeps each candidate its own choice', async () => {
    const events = [
      {
        candidates: [
          { index: 0, content: { parts: [{ text: 'A' }] } },
          { index: 1, content: { parts: [{ text: 'B' }] } },
        ],
      },
      { candidates: [{ index: 1, content: { parts: [{ text: 'b' }] }, finishReason: 'MAX_TOKENS' }] },
      { candidates: [{ index: 0, content: { parts: [{ text: 'a' }] }, finishReason: 'STOP' }] },
    ];
    const outcome = await translate(events.map((event) => `data: ${JSON.stringify(event)}\n\n`).join(''));
    const byChoice = new Map<number, string>();
    for (const chunk of outcome.chunks) {
      for (const choice of chunk.choices) {
        byChoice.set(
          choice.index,
          (byChoice.get(choice.index) ?? '') + ((choice.delta['content'] as string) ?? ''),
        );
      }
    }
    expect(Object.fromEntries(byChoice)).toEqual({ 0: 'Aa', 1: 'Bb' });
    const reasons = outcome.chunks.flatMap((chunk) =>
      chunk.choices
        .filter((choice) => choice.finish_reason)
        .map((choice) => [choice.index, choice.finish_reason]),
    );
    expect(reasons).toEqual([
      [0, 'stop'],
      [1, 'length'],
    ]);
  });
});
