import { describe, expect, it } from 'vitest';
import type { ChatCompletion, ChatCompletionChunk } from '../../../../schemas/chat.js';
import type { ResponsesRequest } from '../../../../schemas/responses.js';
import {
  ResponseBuilder,
  convertChatCompletion,
  type AnswerOptions,
} from '../../../../plugins/api/responses/convert-chat-answer.js';
import { convertInputItems } from '../../../../plugins/api/responses/convert-input-items.js';
import { decodeTurnState } from '../../../../plugins/api/responses/turn-state.js';
import type { Usage } from '../../../../src/provider.js';
import { assertOpenAISchema } from '../../../helpers/openai-schemas.js';

const USAGE: Usage = {
  promptTokens: 40,
  completionTokens: 30,
  totalTokens: 70,
  reasoningTokens: 12,
  cachedTokens: 8,
  cacheWriteTokens: 4,
};

function options(request: Record<string, unknown> = {}): AnswerOptions {
  let next = 0;
  return {
    request: { model: 'claude-sonnet-4-5', input: 'x', ...request } as ResponsesRequest,
    id: 'resp_test',
    createdAt: 1_756_951_232,
    newId: (prefix) => `${prefix}_${++next}`,
  };
}

function completion(message: Record<string, unknown>, finishReason = 'stop'): ChatCompletion {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1_756_951_232,
    model: 'claude-sonnet-4-5-20250929',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          refusal: null,
          ...message,
        } as ChatCompletion['choices'][number]['message'],
        finish_reason: finishReason,
        logprobs: null,
      },
    ],
  };
}

function chunk(delta: Record<string, unknown>, finishReason: string | null = null): ChatCompletionChunk {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    created: 1_756_951_232,
    model: 'claude-sonnet-4-5-20250929',
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  };
}

/** Streams `chunks` through a builder: every event validated, then the events and the response. */
function stream(
  chunks: ChatCompletionChunk[],
  usage: Usage | undefined,
  request: Record<string, unknown> = {},
) {
  const builder = new ResponseBuilder(options(request));
  const events = [
    ...builder.start(chunks[0]?.model),
    ...chunks.flatMap((each) => builder.push(each)),
    ...builder.finish(usage),
  ].map((event) => {
    const data = JSON.parse(event.data) as { type: string };
    expect(data.type).toBe(event.type);
    assertOpenAISchema('ResponseStreamEvent', data);
    return data as Record<string, unknown> & { type: string; sequence_number: number };
  });
  events.forEach((event, index) => expect(event.sequence_number).toBe(index));
  return { events, response: builder.response };
}

const thinkingBlocks = {
  anthropic: { thinking_blocks: [{ type: 'thinking', thinking: 'Two cities.', signature: 'EqQB' }] },
};

describe('convertChatCompletion', () => {
  it('answers text as a message item, with the request echoed and the usage in Responses terms', () => {
    const response = convertChatCompletion(
      completion({ content: 'Paris.' }),
      USAGE,
      options({ instructions: 'Be brief.', temperature: 0.5, metadata: { a: 'b' } }),
    );
    assertOpenAISchema('Response', response);
    expect(response).toMatchObject({
      id: 'resp_test',
      object: 'response',
      created_at: 1_756_951_232,
      status: 'completed',
      model: 'claude-sonnet-4-5-20250929',
      instructions: 'Be brief.',
      temperature: 0.5,
      metadata: { a: 'b' },
      store: true,
      error: null,
      incomplete_details: null,
      output: [
        {
          id: 'msg_1',
          type: 'message',
          status: 'completed',
          role: 'assistant',
          content: [{ type: 'output_text', annotations: [], logprobs: [], text: 'Paris.' }],
        },
      ],
      usage: {
        input_tokens: 40,
        input_tokens_details: { cached_tokens: 8, cache_write_tokens: 4 },
        output_tokens: 30,
        output_tokens_details: { reasoning_tokens: 12 },
        total_tokens: 70,
      },
    });
  });

  it('answers tool calls as function_call items, the provider state in a last reasoning item', () => {
    const response = convertChatCompletion(
      completion(
        {
          content: 'Checking both.',
          reasoning_content: 'Two cities.',
          tool_calls: [
            {
              id: 'toolu_1',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"location":"Paris"}' },
            },
            {
              id: 'toolu_2',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"location":"Rome"}' },
              extra_content: { google: { thought_signature: 'CtQO' } },
            },
          ],
          extra_content: thinkingBlocks,
        },
        'tool_calls',
      ),
      USAGE,
      options({ tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object' } }] }),
    );
    assertOpenAISchema('Response', response);
    const output = response['output'] as Record<string, unknown>[];
    expect(output.map((item) => item['type'])).toEqual([
      'reasoning',
      'message',
      'function_call',
      'function_call',
      'reasoning',
    ]);
    // No summary was asked for: the reasoning stays unsaid, as OpenAI's does.
    expect(output[0]).toEqual({ id: 'rs_1', type: 'reasoning', summary: [] });
    expect(output[2]).toEqual({
      id: 'fc_3',
      type: 'function_call',
      status: 'completed',
      arguments: '{"location":"Paris"}',
      call_id: 'toolu_1',
      name: 'get_weather',
    });
    expect(decodeTurnState(output[4]!['encrypted_content'])).toEqual({
      message: thinkingBlocks,
      calls: { toolu_2: { google: { thought_signature: 'CtQO' } } },
    });
    expect(response['tools']).toEqual([
      {
        type: 'function',
        name: 'get_weather',
        description: null,
        parameters: { type: 'object' },
        strict: null,
      },
    ]);

    // The output, sent back as input, is the assistant message the provider gave.
    expect(convertInputItems(output, (index) => `input[${index}]`)).toEqual([
      {
        role: 'assistant',
        content: 'Checking both.',
        tool_calls: [
          {
            id: 'toolu_1',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"location":"Paris"}' },
          },
          {
            id: 'toolu_2',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"location":"Rome"}' },
            extra_content: { google: { thought_signature: 'CtQO' } },
          },
        ],
        extra_content: thinkingBlocks,
      },
    ]);
  });

  it('gives the reasoning as a summary when the request asked for one', () => {
    const response = convertChatCompletion(
      completion({ content: '185', reasoning_content: '925 / 5 = 185' }),
      undefined,
      options({ reasoning: { effort: 'low', summary: 'detailed' } }),
    );
    assertOpenAISchema('Response', response);
    expect((response['output'] as unknown[])[0]).toEqual({
      id: 'rs_1',
      type: 'reasoning',
      summary: [{ type: 'summary_text', text: '925 / 5 = 185' }],
    });
    expect(response['reasoning']).toEqual({ effort: 'low', summary: 'detailed' });
    expect(response).not.toHaveProperty('usage');
  });

  it('marks a cut answer incomplete, and a refused one incomplete for content_filter', () => {
    const cut = convertChatCompletion(completion({ content: 'Once upon' }, 'length'), USAGE, options());
    assertOpenAISchema('Response', cut);
    expect(cut).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
    expect((cut['output'] as Record<string, unknown>[])[0]!['status']).toBe('incomplete');
    expect(cut['completed_at']).toBeNull();

    const refused = convertChatCompletion(
      completion({ content: null, refusal: 'I cannot help with that.' }, 'content_filter'),
      USAGE,
      options(),
    );
    assertOpenAISchema('Response', refused);
    expect(refused).toMatchObject({
      status: 'incomplete',
      incomplete_details: { reason: 'content_filter' },
      output: [{ type: 'message', content: [{ type: 'refusal', refusal: 'I cannot help with that.' }] }],
    });
  });
});

describe('ResponseBuilder, streamed', () => {
  it('emits the typed event sequence of a text answer, ending with the response the unary path gives', () => {
    const { events, response } = stream(
      [chunk({ role: 'assistant', content: 'Par' }), chunk({ content: 'is.' }), chunk({}, 'stop')],
      USAGE,
    );
    expect(events.map((event) => event.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events[0]).toMatchObject({ response: { status: 'in_progress', output: [] } });
    expect(events[2]).toMatchObject({ item: { type: 'message', status: 'in_progress', content: [] } });
    expect(events.at(-1)!['response']).toEqual(response);
    const { completed_at: _streamed, ...streamed } = response;
    const { completed_at: _unary, ...unary } = convertChatCompletion(
      completion({ content: 'Paris.' }),
      USAGE,
      options(),
    );
    expect(streamed).toEqual(unary);
  });

  it('streams reasoning summaries, then the text, each item closed before the next opens', () => {
    const { events } = stream(
      [
        chunk({ reasoning_content: '925 / 5' }),
        chunk({ reasoning_content: ' = 185' }),
        chunk({ content: '185' }),
        chunk({}, 'stop'),
      ],
      USAGE,
      { reasoning: { summary: 'auto' } },
    );
    expect(events.map((event) => event.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.reasoning_summary_part.added',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.done',
      'response.reasoning_summary_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events[6]).toMatchObject({ text: '925 / 5 = 185', output_index: 0 });
    expect(events[9]).toMatchObject({ output_index: 1 });
  });

  it('streams parallel tool calls by their chat index, arguments in pieces, the state in a last item', () => {
    const { events, response } = stream(
      [
        chunk({
          role: 'assistant',
          tool_calls: [
            { index: 0, id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '' } },
          ],
        }),
        chunk({
          tool_calls: [
            {
              index: 1,
              id: 'call_b',
              type: 'function',
              function: { name: 'get_time', arguments: '{}' },
              extra_content: { google: { thought_signature: 'sig-b' } },
            },
          ],
        }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '{"location":' } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
        chunk({ extra_content: thinkingBlocks }, 'tool_calls'),
      ],
      USAGE,
    );
    const deltas = events.filter((event) => event.type === 'response.function_call_arguments.delta');
    expect(deltas.map((event) => [event['output_index'], event['delta']])).toEqual([
      [1, '{}'],
      [0, '{"location":'],
      [0, '"Paris"}'],
    ]);
    const done = events.filter((event) => event.type === 'response.function_call_arguments.done');
    expect(done.map((event) => [event['name'], event['arguments']])).toEqual([
      ['get_weather', '{"location":"Paris"}'],
      ['get_time', '{}'],
    ]);
    const output = response['output'] as Record<string, unknown>[];
    expect(output.map((item) => [item['type'], item['call_id']])).toEqual([
      ['function_call', 'call_a'],
      ['function_call', 'call_b'],
      ['reasoning', undefined],
    ]);
    expect(decodeTurnState(output[2]!['encrypted_content'])).toEqual({
      message: thinkingBlocks,
      calls: { call_b: { google: { thought_signature: 'sig-b' } } },
    });
  });

  it('builds the same response without making events when asked for none', () => {
    const chunks = [
      chunk({ reasoning_content: 'Two cities.' }),
      chunk({ content: 'Checking.' }),
      chunk({
        tool_calls: [
          { index: 0, id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{}' } },
        ],
      }),
      chunk({ extra_content: thinkingBlocks }, 'tool_calls'),
    ];
    const request = { reasoning: { summary: 'auto' } };
    const { response: streamed } = stream(chunks, USAGE, request);
    const quiet = new ResponseBuilder({ ...options(request), events: false });
    const events = [
      ...quiet.start(chunks[0]!.model),
      ...chunks.flatMap((each) => quiet.push(each)),
      ...quiet.finish(USAGE),
    ];
    expect(events).toEqual([]);
    const { completed_at: _streamed, ...withEvents } = streamed;
    const { completed_at: _quiet, ...withoutEvents } = quiet.response;
    expect(withoutEvents).toEqual(withEvents);
    expect((withoutEvents['output'] as unknown[]).length).toBe(4);
  });

  it('answers a stream that said nothing with an empty completed response', () => {
    const { events, response } = stream([chunk({ role: 'assistant', content: '' }, 'stop')], undefined);
    expect(events.map((event) => event.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.completed',
    ]);
    expect(response['output']).toEqual([]);
  });
});
