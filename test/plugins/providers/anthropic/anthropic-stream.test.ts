/**
 * Anthropic streams → chat.completion.chunk events, on every recorded stream in Anthropic's SSE
 * framing (pure: the bytes come from an in-memory stream, cut into small pieces), each chunk checked
 * against OpenAI's published schema.
 */
import { describe, expect, it } from 'vitest';
import { UpstreamBody } from '../../../../src/upstream-body.js';
import type { UpstreamAnswer } from '../../../../src/upstream.js';
import type { ChatCompletionChunk } from '../../../../schemas/chat.js';
import {
  AnthropicStreamTranslator,
  readAnthropicStream,
} from '../../../../plugins/providers/anthropic/anthropic-stream.js';
import { UpstreamFailure } from '../../../../src/upstream.js';
import { ANTHROPIC_KEY, anthropicSse, fixtureEvents, fixtureSse } from '../../../helpers/fake-anthropic.js';
import { assertOpenAISchema } from '../../../helpers/openai-schemas.js';

function bodyOf(text: string, pieceBytes: number, cut?: number): UpstreamAnswer {
  const bytes = Buffer.from(text);
  const end = cut ?? bytes.length;
  const pieces: Buffer[] = [];
  for (let offset = 0; offset < end; offset += pieceBytes) {
    pieces.push(bytes.subarray(offset, Math.min(offset + pieceBytes, end)));
  }
  const fault =
    cut === undefined ? undefined : Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
  return { statusCode: 200, headers: {}, body: UpstreamBody.of(pieces, fault) };
}

interface Outcome {
  chunks: ChatCompletionChunk[];
  hidden: ChatCompletionChunk[];
  error: unknown;
  text: string;
  reasoning: string;
  warnings: string[];
  translator: AnthropicStreamTranslator;
}

async function translate(
  text: string,
  options: { includeUsage?: boolean; jsonTool?: string; pieceBytes?: number; cut?: number } = {},
): Promise<Outcome> {
  const warnings: string[] = [];
  const translator = new AnthropicStreamTranslator({
    model: 'claude-requested',
    includeUsage: options.includeUsage ?? false,
    jsonTool: options.jsonTool,
    warnings,
  });
  const chunks: ChatCompletionChunk[] = [];
  const hidden: ChatCompletionChunk[] = [];
  let error: unknown;
  try {
    const events = readAnthropicStream(
      bodyOf(text, options.pieceBytes ?? 7, options.cut),
      translator,
      new AbortController().signal,
      'anthropic',
      [ANTHROPIC_KEY],
    );
    for await (const event of events) {
      assertOpenAISchema('CreateChatCompletionStreamResponse', event.chunk);
      (event.hidden === true ? hidden : chunks).push(event.chunk);
    }
  } catch (caught) {
    error = caught;
  }
  const join = (field: string) =>
    chunks.map((chunk) => (chunk.choices[0]?.delta[field] as string | null | undefined) ?? '').join('');
  return {
    chunks,
    hidden,
    error,
    text: join('content'),
    reasoning: join('reasoning_content'),
    warnings,
    translator,
  };
}

function finishes(chunks: ChatCompletionChunk[]): (string | null)[] {
  return chunks.flatMap((chunk) => chunk.choices.map((choice) => choice.finish_reason)).filter(Boolean);
}

function expectWellFormed(chunks: ChatCompletionChunk[]): void {
  expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
  expect(new Set(chunks.map((chunk) => chunk.created)).size).toBe(1);
  expect(chunks[0]!.choices[0]!.delta['role']).toBe('assistant');
  expect(chunks.filter((chunk) => chunk.choices[0]?.delta['role'])).toHaveLength(1);
  expect(finishes(chunks)).toHaveLength(1);
  expect(chunks.filter((chunk) => chunk.choices.length > 0).at(-1)!.choices[0]!.finish_reason).not.toBeNull();
}

/** The tool calls a client puts together from the deltas, by index. */
function assembledToolCalls(chunks: ChatCompletionChunk[]) {
  const calls: { id: string; name: string; arguments: string }[] = [];
  for (const chunk of chunks) {
    const deltas = (chunk.choices[0]?.delta['tool_calls'] ?? []) as {
      index: number;
      id?: string;
      function?: { name?: string; arguments?: string };
    }[];
    for (const delta of deltas) {
      const call = (calls[delta.index] ??= { id: '', name: '', arguments: '' });
      if (delta.id) call.id = delta.id;
      if (delta.function?.name) call.name = delta.function.name;
      call.arguments += delta.function?.arguments ?? '';
    }
  }
  return calls;
}

describe('recorded streams', () => {
  it('anthropic-text.chunks.txt → text deltas under one id, role first, pings ignored, one stop', async () => {
    const outcome = await translate(fixtureSse('anthropic-text.chunks.txt'));
    expect(outcome.error).toBeUndefined();
    expectWellFormed(outcome.chunks);
    expect(outcome.chunks[0]!.id).toBe('chatcmpl-msg_01QC4g3HwBThD4BaNtBckFDJ');
    expect(outcome.chunks[0]!.model).toBe('claude-sonnet-4-5-20250929');
    expect(outcome.text).toBe(
      "Hello! I'm doing well, thank you for asking. How are you doing today? Is there anything I can help you with?",
    );
    // One chunk per text delta, then the finish: the pings make none.
    expect(outcome.chunks).toHaveLength(7);
    expect(finishes(outcome.chunks)).toEqual(['stop']);
    expect(outcome.chunks.every((chunk) => chunk.usage === undefined)).toBe(true);
  });

  it('gives the same result whatever the cuts in the bytes', async () => {
    const fixture = fixtureSse('anthropic-web-search-tool.1.chunks.txt');
    const whole = await translate(fixture, { pieceBytes: fixture.length });
    for (const pieceBytes of [1, 3, 64]) {
      expect((await translate(fixture, { pieceBytes })).text).toBe(whole.text);
    }
  });

  it('anthropic-tool-no-args.chunks.txt → text, then a tool call whose arguments are "{}"', async () => {
    const outcome = await translate(fixtureSse('anthropic-tool-no-args.chunks.txt'));
    expect(outcome.error).toBeUndefined();
    expectWellFormed(outcome.chunks);
    expect(outcome.text).toBe("I'll update the issue list for you.");
    expect(assembledToolCalls(outcome.chunks)).toEqual([
      { id: 'toolu_01QE1WLsSVp5hy5Q3GmGTmjP', name: 'updateIssueList', arguments: '{}' },
    ]);
    expect(finishes(outcome.chunks)).toEqual(['tool_calls']);
  });

  it('anthropic-json-tool.1.chunks.txt → argument deltas at index 0, or the JSON answer as content', async () => {
    const asTool = await translate(fixtureSse('anthropic-json-tool.1.chunks.txt'));
    expectWellFormed(asTool.chunks);
    const [call] = assembledToolCalls(asTool.chunks);
    expect(call!.name).toBe('json');
    expect(JSON.parse(call!.arguments)).toEqual({
      elements: [{ location: 'San Francisco', temperature: 58, condition: 'sunny' }],
    });
    expect(finishes(asTool.chunks)).toEqual(['tool_calls']);

    const asAnswer = await translate(fixtureSse('anthropic-json-tool.1.chunks.txt'), { jsonTool: 'json' });
    expectWellFormed(asAnswer.chunks);
    expect(assembledToolCalls(asAnswer.chunks)).toEqual([]);
    expect(JSON.parse(asAnswer.text)).toEqual({
      elements: [{ location: 'San Francisco', temperature: 58, condition: 'sunny' }],
    });
    expect(finishes(asAnswer.chunks)).toEqual(['stop']);
  });

  it('anthropic-json-output-format.1.chunks.txt → the structured output as content', async () => {
    const outcome = await translate(fixtureSse('anthropic-json-output-format.1.chunks.txt'));
    expectWellFormed(outcome.chunks);
    const parsed = JSON.parse(outcome.text) as { characters: { name: string }[] };
    expect(parsed.characters[0]!.name).toBe('Theron Ironheart');
  });

  it('anthropic-clear-thinking.1.chunks.txt → reasoning deltas, then text, the signed block in the last chunk', async () => {
    const outcome = await translate(fixtureSse('anthropic-clear-thinking.1.chunks.txt'));
    expectWellFormed(outcome.chunks);
    expect(outcome.reasoning).toBe(
      'The previous result was 925. Now I need to divide that by 5.\n\n925 ÷ 5 = 185',
    );
    expect(outcome.text).toBe('925 ÷ 5 = 185');
    const events = fixtureEvents('anthropic-clear-thinking.1.chunks.txt');
    const signature = events
      .map((event) => (event['delta'] as { signature?: string } | undefined)?.signature)
      .find(Boolean);
    const last = outcome.chunks.at(-1)!;
    expect(last.choices[0]!.finish_reason).toBe('stop');
    expect(last.choices[0]!.delta).toEqual({
      extra_content: {
        anthropic: {
          thinking_blocks: [{ type: 'thinking', thinking: outcome.reasoning, signature }],
        },
      },
    });
    expect(outcome.chunks.filter((chunk) => chunk.choices[0]?.delta['extra_content'])).toHaveLength(1);
  });

  it('anthropic-refusal.chunks.txt → one chunk: role, the refusal, content_filter', async () => {
    const outcome = await translate(fixtureSse('anthropic-refusal.chunks.txt'));
    expect(outcome.error).toBeUndefined();
    expect(outcome.chunks).toHaveLength(1);
    expect(outcome.chunks[0]!.choices[0]).toEqual({
      index: 0,
      delta: {
        role: 'assistant',
        content: null,
        refusal:
          "This request triggered restrictions on violative cyber content and was blocked under Anthropic's Usage Policy.",
      },
      logprobs: null,
      finish_reason: 'content_filter',
    });
  });

  it('anthropic-web-search-tool.1.chunks.txt → the text kept, server tool blocks dropped with a warning', async () => {
    const outcome = await translate(fixtureSse('anthropic-web-search-tool.1.chunks.txt'));
    expectWellFormed(outcome.chunks);
    expect(
      outcome.text.startsWith('Based on my search results, here are the key tech news developments'),
    ).toBe(true);
    expect(outcome.text).toContain('Apple Ginza');
    expect(assembledToolCalls(outcome.chunks)).toEqual([]);
    expect(finishes(outcome.chunks)).toEqual(['stop']);
    expect(outcome.warnings).toEqual([
      "dropped Claude's server_tool_use, web_search_tool_result block(s): chat completions cannot carry them (the text around them is kept)",
    ]);
  });
});

describe('usage', () => {
  it('counts input tokens reported late in message_delta (anthropic-message-delta-input-tokens.chunks.txt)', async () => {
    const outcome = await translate(fixtureSse('anthropic-message-delta-input-tokens.chunks.txt'), {
      includeUsage: true,
    });
    expect(outcome.text).toBe('pong');
    expect(outcome.chunks.slice(0, -1).every((chunk) => chunk.usage === null)).toBe(true);
    expect(outcome.chunks.at(-1)).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 61, completion_tokens: 2, total_tokens: 63 },
    });
    expect(outcome.translator.usage).toMatchObject({
      promptTokens: 61,
      completionTokens: 2,
      totalTokens: 63,
    });
    expect(outcome.hidden).toHaveLength(0);
  });

  it('gives the usage as a hidden event when the client did not ask for it', async () => {
    const outcome = await translate(fixtureSse('anthropic-text.chunks.txt'));
    expect(outcome.chunks.some((chunk) => chunk.usage)).toBe(false);
    expect(outcome.hidden).toHaveLength(1);
    expect(outcome.hidden[0]).toMatchObject({
      choices: [],
      usage: {
        prompt_tokens: 12,
        completion_tokens: 30,
        total_tokens: 42,
        prompt_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
      },
    });
  });

  it('counts cache reads and writes from message_start', async () => {
    const events = [
      {
        type: 'message_start',
        message: {
          id: 'msg_c',
          model: 'claude-haiku-4-5-20251001',
          content: [],
          usage: {
            input_tokens: 10,
            cache_creation_input_tokens: 500,
            cache_read_input_tokens: 4000,
            output_tokens: 1,
          },
        },
      },
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'ok' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 3 } },
      { type: 'message_stop' },
    ];
    const outcome = await translate(anthropicSse(events), { includeUsage: true });
    expect(outcome.chunks.at(-1)!.usage).toEqual({
      prompt_tokens: 4510,
      completion_tokens: 3,
      total_tokens: 4513,
      prompt_tokens_details: { cached_tokens: 4000, cache_write_tokens: 500 },
      completion_tokens_details: { reasoning_tokens: 0 },
    });
  });
});

describe('tool calls', () => {
  it('numbers parallel tool calls from 0, each with its id, arguments streamed in pieces', async () => {
    const start = (index: number, id: string) => ({
      type: 'content_block_start',
      index,
      content_block: { type: 'tool_use', id, name: 'get_weather', input: {} },
    });
    const piece = (index: number, partial: string) => ({
      type: 'content_block_delta',
      index,
      delta: { type: 'input_json_delta', partial_json: partial },
    });
    const events = [
      {
        type: 'message_start',
        message: { id: 'msg_t', model: 'claude-sonnet-4-5', content: [], usage: { input_tokens: 5 } },
      },
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: 'Checking both.' } },
      { type: 'content_block_stop', index: 0 },
      start(1, 'toolu_a'),
      piece(1, '{"city":'),
      piece(1, '"Paris"}'),
      { type: 'content_block_stop', index: 1 },
      start(2, 'toolu_b'),
      piece(2, '{"city":"Rome"}'),
      { type: 'content_block_stop', index: 2 },
      { type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 40 } },
      { type: 'message_stop' },
    ];
    const outcome = await translate(anthropicSse(events));
    expectWellFormed(outcome.chunks);
    expect(outcome.text).toBe('Checking both.');
    expect(assembledToolCalls(outcome.chunks)).toEqual([
      { id: 'toolu_a', name: 'get_weather', arguments: '{"city":"Paris"}' },
      { id: 'toolu_b', name: 'get_weather', arguments: '{"city":"Rome"}' },
    ]);
    expect(finishes(outcome.chunks)).toEqual(['tool_calls']);
  });
});

describe('failing streams', () => {
  it('an error event mid-stream ends with that error, after the chunks that went out', async () => {
    const events = fixtureEvents('anthropic-text.chunks.txt').slice(0, 5);
    const error = {
      type: 'error',
      error: { type: 'overloaded_error', message: `Overloaded (${ANTHROPIC_KEY})` },
    };
    const outcome = await translate(anthropicSse([...events, error]));
    expect(outcome.text).toBe('Hello! I');
    expect(finishes(outcome.chunks)).toEqual([]);
    const failure = outcome.error as UpstreamFailure;
    expect(failure).toBeInstanceOf(UpstreamFailure);
    expect(failure.kind).toBe('mid_stream');
    expect(failure.retryable).toBe(false);
    expect(failure.statusCode).toBe(529);
    expect(failure.code).toBe('overloaded_error');
    expect(failure.message).toBe('Overloaded ([redacted])');
  });

  it('an error event before any content is the HTTP error it stands for, so the router may retry', async () => {
    const events = fixtureEvents('anthropic-text.chunks.txt').slice(0, 2);
    const error = { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } };
    const outcome = await translate(anthropicSse([...events, error]));
    expect(outcome.chunks).toHaveLength(0);
    const failure = outcome.error as UpstreamFailure;
    expect(failure.kind).toBe('http');
    expect(failure.upstreamStatus).toBe(529);
    expect(failure.retryable).toBe(true);
  });

  it('a stream cut mid-way is a mid-stream failure, never a clean end', async () => {
    const fixture = fixtureSse('anthropic-text.chunks.txt');
    const outcome = await translate(fixture, { cut: Math.floor(fixture.length / 2) });
    expect(outcome.chunks.length).toBeGreaterThan(0);
    expect(finishes(outcome.chunks)).toEqual([]);
    const failure = outcome.error as UpstreamFailure;
    expect(failure).toBeInstanceOf(UpstreamFailure);
    expect(failure.kind).toBe('mid_stream');
    expect(failure.message).toBe('The provider anthropic cut the stream short.');
  });

  it('a stream that closes cleanly before message_stop was cut short', async () => {
    const events = fixtureEvents('anthropic-text.chunks.txt').slice(0, -1);
    const outcome = await translate(anthropicSse(events));
    expect(outcome.text).toContain('Hello');
    const failure = outcome.error as UpstreamFailure;
    expect(failure.gatewayCode).toBe('GW_ERR_UPSTREAM_BAD_RESPONSE');
    expect(failure.message).toBe('Anthropic ended the stream before message_stop.');
  });

  it('an event that is not JSON is a bad response', async () => {
    const outcome = await translate('event: message_start\ndata: {not json\n\n');
    const failure = outcome.error as UpstreamFailure;
    expect(failure.gatewayCode).toBe('GW_ERR_UPSTREAM_BAD_RESPONSE');
    expect(failure.kind).toBe('mid_stream');
  });

  it('ignores events and deltas added later', async () => {
    const events = fixtureEvents('anthropic-text.chunks.txt');
    const withNews = [
      ...events.slice(0, 3),
      { type: 'message_annotation', note: 'new' },
      { type: 'content_block_delta', index: 0, delta: { type: 'sparkle_delta', sparkle: '*' } },
      ...events.slice(3),
    ];
    const outcome = await translate(anthropicSse(withNews));
    expect(outcome.error).toBeUndefined();
    expect(outcome.text).toContain('Hello!');
  });
});
