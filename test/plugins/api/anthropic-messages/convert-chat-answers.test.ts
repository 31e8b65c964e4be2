/**
 * Chat answers → Anthropic answers (pure), on the recorded OpenAI answers and streams, and on
 * answers shaped as the Gemini adapter gives them (reasoning text, thought signatures).
 */
import { describe, expect, it } from 'vitest';
import type { ChatCompletionChunk } from '../../../../schemas/chat.js';
import {
  convertChatCompletion,
  type ChatCompletionWire,
} from '../../../../plugins/api/anthropic-messages/convert-chat-completion.js';
import {
  ChatStreamConverter,
  convertChatStream,
  type MessagesStreamEvent,
} from '../../../../plugins/api/anthropic-messages/convert-chat-stream.js';
import {
  GATEWAY_THINKING_SIGNATURE,
  readCarrierBlock,
} from '../../../../plugins/api/anthropic-messages/gateway-thinking-blocks.js';
import { MessageEventCollector } from '../../../../plugins/api/anthropic-messages/convert-events-to-message.js';
import type { StreamEvent } from '../../../../src/provider.js';
import { openaiFixture } from '../../../helpers/fake-openai.js';

const options = (fields: Partial<{ thinking: boolean; omitThinking: boolean }> = {}) => ({
  thinking: false,
  omitThinking: false,
  warnings: [] as string[],
  ...fields,
});

/** The chunks of a recorded chat stream (`data:` lines, `[DONE]` left out). */
function chunksOf(fixture: string): ChatCompletionChunk[] {
  return openaiFixture(fixture)
    .split('\n')
    .filter((line) => line.startsWith('data: {'))
    .map((line) => JSON.parse(line.slice(6)) as ChatCompletionChunk);
}

function convertChunks(chunks: ChatCompletionChunk[], fields: Parameters<typeof options>[0] = {}) {
  const converter = new ChatStreamConverter({ ...options(fields), model: 'fallback-model' });
  const events = [...chunks.flatMap((chunk) => converter.push(chunk)), ...converter.end()];
  return events;
}

const data = (events: MessagesStreamEvent[]) =>
  events.map((event) => JSON.parse(event.data) as Record<string, unknown>);

/**
 * What Anthropic's SDK builds from a stream (its MessageStream accumulation): the message of
 * message_start, blocks by index, deltas appended, message_delta's stop reason and usage.
 */
interface WireEvent {
  type: string;
  index: number;
  message: Record<string, unknown> & { content: Record<string, unknown>[] };
  content_block: Record<string, unknown>;
  delta: {
    type?: string;
    text?: string;
    thinking?: string;
    signature?: string;
    partial_json?: string;
    stop_reason?: string;
  };
  usage: Record<string, unknown>;
}

function accumulate(events: MessagesStreamEvent[]) {
  let message: Record<string, unknown> & { content: Record<string, unknown>[] } = { content: [] };
  const json: Record<number, string> = {};
  for (const event of events) {
    const item = JSON.parse(event.data) as WireEvent;
    expect(item.type).toBe(event.event);
    switch (item.type) {
      case 'message_start':
        message = structuredClone(item.message);
        break;
      case 'content_block_start':
        expect(item.index).toBe(message.content.length);
        message.content.push({ ...item.content_block });
        break;
      case 'content_block_delta': {
        const block = message.content[item.index]!;
        const delta = item.delta;
        if (delta.type === 'text_delta') block['text'] = String(block['text']) + delta.text;
        if (delta.type === 'thinking_delta') block['thinking'] = String(block['thinking']) + delta.thinking;
        if (delta.type === 'signature_delta') block['signature'] = delta.signature;
        if (delta.type === 'input_json_delta')
          json[item.index] = (json[item.index] ?? '') + delta.partial_json;
        break;
      }
      case 'content_block_stop':
        if (json[item.index] !== undefined)
          message.content[item.index]!['input'] = JSON.parse(json[item.index]!);
        break;
      case 'message_delta':
        message['stop_reason'] = item.delta.stop_reason;
        message['usage'] = { ...(message['usage'] as object), ...item.usage };
        break;
    }
  }
  return message;
}

describe('unary answers', () => {
  it('converts the recorded text answer', () => {
    const warnings: string[] = [];
    const message = convertChatCompletion(
      JSON.parse(openaiFixture('chat-completion.json')) as ChatCompletionWire,
      { ...options(), warnings },
    );
    expect(message).toEqual({
      id: 'msg_CZ7xqEBmT4wYhQd1pG3sVb2nK8fLa',
      type: 'message',
      role: 'assistant',
      model: 'gpt-4o-2024-08-06',
      content: [{ type: 'text', text: 'Hello! How can I help you today? 👋', citations: null }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: {
        input_tokens: 19,
        output_tokens: 11,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
      },
    });
    expect(warnings).toEqual([]);
  });

  it('converts the recorded tool calls', () => {
    const message = convertChatCompletion(
      JSON.parse(openaiFixture('chat-completion-tool-calls.json')) as ChatCompletionWire,
      options(),
    );
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content).toEqual([
      {
        type: 'tool_use',
        id: 'call_8Kq2Zr1mXb7Tn4Vc9Pw3Ls6H',
        name: 'get_weather',
        input: { city: 'Paris' },
      },
      {
        type: 'tool_use',
        id: 'call_3Hd9Lw2Qn6Vb1Xc7Rt5Mz8Ka',
        name: 'get_weather',
        input: { city: 'Tokyo' },
      },
    ]);
  });

  it('returns reasoning as a thinking block when asked, cached prompt tokens apart, and carries a thought signature', () => {
    const completion: ChatCompletionWire = {
      id: 'chatcmpl-1',
      model: 'gemini-3-pro-preview',
      choices: [
        {
          finish_reason: 'tool_calls',
          message: {
            content: null,
            reasoning_content: 'I need the date.',
            tool_calls: [
              {
                id: 'call_1',
                type: 'function',
                function: { name: 'now', arguments: '{}' },
                extra_content: { google: { thought_signature: 'CtQOAVSo' } },
              },
            ],
          },
        },
      ],
      usage: {
        prompt_tokens: 100,
        completion_tokens: 40,
        total_tokens: 140,
        prompt_tokens_details: { cached_tokens: 60 },
        completion_tokens_details: { reasoning_tokens: 30 },
      },
    };
    const message = convertChatCompletion(completion, options({ thinking: true }));
    expect(message.content.slice(0, 2)).toEqual([
      { type: 'thinking', thinking: 'I need the date.', signature: GATEWAY_THINKING_SIGNATURE },
      { type: 'tool_use', id: 'call_1', name: 'now', input: {} },
    ]);
    const carrier = message.content[2]!;
    expect(carrier.type).toBe('redacted_thinking');
    expect(readCarrierBlock((carrier as { data: string }).data, 'data')).toEqual({
      toolCalls: { call_1: { google: { thought_signature: 'CtQOAVSo' } } },
      message: undefined,
    });
    expect(message.usage).toEqual({
      input_tokens: 40,
      output_tokens: 40,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 60,
      output_tokens_details: { thinking_tokens: 30 },
    });
    // Not asked for thinking: no thinking block.
    expect(convertChatCompletion(completion, options()).content[0]!.type).toBe('tool_use');
  });

  it.each([
    ['length', 'max_tokens'],
    ['content_filter', 'refusal'],
    ['function_call', 'tool_use'],
    [null, 'end_turn'],
  ])('maps finish_reason %s to stop_reason %s', (finishReason, stopReason) => {
    const message = convertChatCompletion(
      { choices: [{ finish_reason: finishReason, message: { content: 'x', refusal: 'No.' } }] },
      options(),
    );
    expect(message.stop_reason).toBe(stopReason);
  });

  it('gives a refusal’s explanation as the text, and arguments that are not an object as {} with a warning', () => {
    const warnings: string[] = [];
    const message = convertChatCompletion(
      {
        choices: [
          {
            finish_reason: 'content_filter',
            message: {
              content: null,
              refusal: 'I cannot help with that.',
              tool_calls: [{ id: 'call_x', function: { name: 'f', arguments: '{"cut' } }],
            },
          },
        ],
      },
      { ...options(), warnings },
    );
    expect(message.content).toEqual([
      { type: 'text', text: 'I cannot help with that.', citations: null },
      { type: 'tool_use', id: 'call_x', name: 'f', input: {} },
    ]);
    expect(warnings).toEqual([
      'the arguments of tool call call_x are not a JSON object; its input is sent as {}',
      'the provider reported no usage; the usage is given as 0',
    ]);
  });
});

describe('streams', () => {
  it('converts the recorded text stream with its usage, in Anthropic’s grammar', () => {
    const events = convertChunks(chunksOf('chat-completion-stream-usage.txt'));
    expect(events.map((event) => event.event)).toEqual([
      'message_start',
      'content_block_start',
      ...Array(5).fill('content_block_delta'),
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    const message = accumulate(events);
    expect(message).toMatchObject({
      id: 'msg_CZ7zA1bQw8eRt5Yu2Io9Pa3Sd',
      model: 'gpt-4o-2024-08-06',
      content: [{ type: 'text', text: 'The answer is 42.' }],
      stop_reason: 'end_turn',
      usage: {
        input_tokens: 24,
        output_tokens: 5,
        cache_read_input_tokens: 0,
        cache_creation_input_tokens: 0,
      },
    });
    // message_delta carries the usage for the gateway's accounting too; message_start none yet.
    expect(events[0]!.usage).toBeNull();
    expect(events.at(-2)!.usage).toMatchObject({ promptTokens: 24, completionTokens: 5 });
  });

  it('streams the recorded parallel tool calls as tool_use blocks with their input in pieces', () => {
    const events = convertChunks(chunksOf('chat-completion-stream-tool-calls.txt'));
    const message = accumulate(events);
    expect(message['content']).toEqual([
      {
        type: 'tool_use',
        id: 'call_8Kq2Zr1mXb7Tn4Vc9Pw3Ls6H',
        name: 'get_weather',
        input: { city: 'Paris' },
      },
      {
        type: 'tool_use',
        id: 'call_3Hd9Lw2Qn6Vb1Xc7Rt5Mz8Ka',
        name: 'get_weather',
        input: { city: 'Tokyo' },
      },
    ]);
    expect(message['stop_reason']).toBe('tool_use');
    expect(
      data(events).filter((item) => (item['delta'] as { type?: string })?.type === 'input_json_delta'),
    ).toHaveLength(6);
    // No usage in that recording: the delta says 0, the gateway accounts none.
    expect(events.at(-2)!.usage).toBeNull();
  });

  it('gives each event it writes as an object too, which the cache’s collector reads as it would the JSON', () => {
    for (const fixture of ['chat-completion-stream-tool-calls.txt', 'chat-completion-stream.txt']) {
      const events = convertChunks(chunksOf(fixture));
      const fromObjects = new MessageEventCollector();
      const fromText = new MessageEventCollector();
      for (const event of events) {
        expect(event.value).toBeDefined();
        fromObjects.push(event.value!);
        fromText.push(event.data);
      }
      expect(fromObjects.message()).toBeDefined();
      expect(fromObjects.message()).toEqual(fromText.message());
      // The collector changed none of them: each object still is what went out.
      for (const event of events) expect(JSON.stringify(event.value)).toBe(event.data);
    }
  });

  it('streams reasoning as a signed thinking block, then text, then the carrier of a thought signature', () => {
    const chunk = (delta: Record<string, unknown>, finish: string | null = null): ChatCompletionChunk => ({
      id: 'chatcmpl-g',
      object: 'chat.completion.chunk',
      created: 1,
      model: 'gemini-3-pro-preview',
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
    const chunks = [
      chunk({ role: 'assistant', reasoning_content: 'Thinking ' }),
      chunk({ reasoning_content: 'hard.' }),
      chunk({ content: 'Let me check.' }),
      chunk({
        tool_calls: [
          {
            index: 0,
            id: 'call_g',
            type: 'function',
            function: { name: 'now', arguments: '{}' },
            extra_content: { google: { thought_signature: 'SIG' } },
          },
        ],
      }),
      chunk({}, 'tool_calls'),
    ];
    const events = convertChunks(chunks, { thinking: true });
    const message = accumulate(events);
    const content = message['content'] as Record<string, unknown>[];
    expect(content.slice(0, 3)).toEqual([
      { type: 'thinking', thinking: 'Thinking hard.', signature: GATEWAY_THINKING_SIGNATURE },
      { type: 'text', text: 'Let me check.', citations: null },
      { type: 'tool_use', id: 'call_g', name: 'now', input: {} },
    ]);
    expect(readCarrierBlock(String(content[3]!['data']), 'data')?.toolCalls).toEqual({
      call_g: { google: { thought_signature: 'SIG' } },
    });
    // Without thinking asked for, the reasoning is not sent; with display omitted, its text is not.
    expect((accumulate(convertChunks(chunks))['content'] as { type: string }[])[0]!.type).toBe('text');
    expect(
      (accumulate(convertChunks(chunks, { thinking: true, omitThinking: true }))['content'] as object[])[0],
    ).toEqual({
      type: 'thinking',
      thinking: '',
      signature: GATEWAY_THINKING_SIGNATURE,
    });
  });

  it('holds message_start until the first chunk, and still frames an empty stream', async () => {
    const converter = new ChatStreamConverter({ ...options(), model: 'm' });
    expect(converter.started).toBe(false);
    const events = converter.end();
    expect(events.map((event) => event.event)).toEqual(['message_start', 'message_delta', 'message_stop']);
    expect(JSON.parse(events[0]!.data).message.model).toBe('m');
  });

  it('throws a failure of the chat stream as it comes, after what was converted', async () => {
    async function* failing(): AsyncGenerator<StreamEvent> {
      yield { chunk: chunksOf('chat-completion-stream.txt')[0]! };
      throw new Error('cut');
    }
    const seen: string[] = [];
    await expect(async () => {
      for await (const event of convertChatStream(failing(), { ...options(), model: 'm' }))
        seen.push(event.event);
    }).rejects.toThrow('cut');
    expect(seen).toEqual(['message_start']);
  });
});
