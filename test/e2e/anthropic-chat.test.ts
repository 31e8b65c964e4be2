/**
 * Claude behind the OpenAI API, end to end: the official openai SDK, unmodified, against a listening
 * gateway whose Anthropic instance is the loopback fake serving recorded Messages API answers. A
 * thinking + tool-use conversation over two turns (unary, and streamed through the SDK's stream
 * helper), a stream cut mid-way, and an overloaded Claude; every body and chunk the client receives
 * is checked against OpenAI's published schemas, and what Anthropic received is checked too.
 */
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TEST_KEY, buildTestApp, type TestApp } from '../helpers/build-app.js';
import {
  ANTHROPIC_KEY,
  MESSAGES_PATH,
  anthropicError,
  anthropicFixture,
  anthropicSse,
  fixtureEvents,
  fixtureSse,
  startFakeAnthropic,
  streamAnthropic,
  unaryAnthropic,
} from '../helpers/fake-anthropic.js';
import type { FakeUpstream } from '../helpers/fake-upstream.js';
import { assertOpenAISchema } from '../helpers/openai-schemas.js';

const CLAUDE = 'claude-sonnet-4-5';

let anthropic: FakeUpstream;
let gateway: TestApp;
let client: OpenAI;

beforeAll(async () => {
  anthropic = await startFakeAnthropic();
  gateway = await buildTestApp({
    env: {
      ANTHROPIC_API_KEY: ANTHROPIC_KEY,
      ANTHROPIC_BASE_URL: anthropic.origin,
      REQUEST_TIMEOUT: '5000',
      CACHE_ENABLED: 'false',
    },
    configure: (config) => {
      config.gateway.routing.retries.maxRetries = 0;
    },
  });
  const url = await gateway.listen();
  client = new OpenAI({ baseURL: `${url}/v1`, apiKey: TEST_KEY, maxRetries: 0 });
});

afterAll(async () => {
  await gateway.close();
  await anthropic.close();
});

afterEach(() => anthropic.reset());

/** The plain JSON of what the SDK returned, as it came over the wire. */
function json<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

type Sent = Record<string, unknown> & { messages: { role: string; content: Record<string, unknown>[] }[] };

function sent(): Sent {
  return anthropic.last().json as Sent;
}

const UPDATE_ISSUES: OpenAI.ChatCompletionTool = {
  type: 'function',
  function: { name: 'updateIssueList', parameters: { type: 'object', properties: {} } },
};
const QUESTION = 'Update the issue list, then divide 925 by 5.';

const thinkingAnswer = JSON.parse(anthropicFixture('anthropic-clear-thinking.1.json')) as {
  content: Record<string, unknown>[];
};
const toolAnswer = JSON.parse(anthropicFixture('anthropic-tool-no-args.json')) as {
  content: Record<string, unknown>[];
};

/** Turn two: the assistant message of turn one as the client got it, and the tool's result. */
async function secondTurn(assistant: OpenAI.ChatCompletionMessageParam, toolCallId: string) {
  anthropic.enqueue(
    'POST',
    MESSAGES_PATH,
    unaryAnthropic(anthropicFixture('anthropic-clear-thinking.1.json')),
  );
  const { data, response } = await client.chat.completions
    .create({
      model: CLAUDE,
      messages: [
        { role: 'user', content: QUESTION },
        assistant,
        { role: 'tool', tool_call_id: toolCallId, content: 'Updated.' },
      ],
      tools: [UPDATE_ISSUES],
      reasoning_effort: 'low',
    })
    .withResponse();
  assertOpenAISchema('CreateChatCompletionResponse', json(data));
  expect(response.headers.get('x-gateway-warnings')).toBeNull();
  const answer = data.choices[0]!.message as OpenAI.ChatCompletionMessage & { reasoning_content?: string };
  expect(answer.content).toBe(
    (thinkingAnswer.content.find((block) => block['type'] === 'text') as { text: string }).text,
  );
  expect(answer.reasoning_content).toBe((thinkingAnswer.content[0] as { thinking: string }).thinking);
  return sent();
}

describe('thinking and tool use over two turns', () => {
  it('unary: the signed thinking block of turn one goes back to Claude first in its turn', async () => {
    anthropic.enqueue(
      'POST',
      MESSAGES_PATH,
      unaryAnthropic({
        ...thinkingAnswer,
        content: [thinkingAnswer.content[0], toolAnswer.content[1]],
        stop_reason: 'tool_use',
      }),
    );
    const { data, response } = await client.chat.completions
      .create({
        model: CLAUDE,
        messages: [{ role: 'user', content: QUESTION }],
        tools: [UPDATE_ISSUES],
        reasoning_effort: 'low',
      })
      .withResponse();
    assertOpenAISchema('CreateChatCompletionResponse', json(data));
    expect(response.headers.get('x-gateway-provider')).toBe('anthropic');
    expect(anthropic.last().headers['x-api-key']).toBe(ANTHROPIC_KEY);
    expect(anthropic.last().headers['anthropic-version']).toBe('2023-06-01');
    expect(sent()['thinking']).toEqual({ type: 'enabled', budget_tokens: 2048 });
    const choice = data.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.tool_calls).toEqual([
      {
        id: toolAnswer.content[1]!['id'],
        type: 'function',
        function: { name: 'updateIssueList', arguments: '{}' },
      },
    ]);
    const usage = (thinkingAnswer as unknown as { usage: { input_tokens: number; output_tokens: number } })
      .usage;
    expect(data.usage).toMatchObject({
      prompt_tokens: usage.input_tokens,
      completion_tokens: usage.output_tokens,
    });

    const body = await secondTurn(
      json(choice.message) as OpenAI.ChatCompletionMessageParam,
      String(toolAnswer.content[1]!['id']),
    );
    expect(body['thinking']).toEqual({ type: 'enabled', budget_tokens: 2048 });
    expect(body.messages[1]).toEqual({
      role: 'assistant',
      content: [
        thinkingAnswer.content[0],
        { type: 'tool_use', id: toolAnswer.content[1]!['id'], name: 'updateIssueList', input: {} },
      ],
    });
    expect(body.messages[2]).toEqual({
      role: 'user',
      content: [{ type: 'tool_result', tool_use_id: toolAnswer.content[1]!['id'], content: 'Updated.' }],
    });
  });

  it('streamed: the message the SDK puts together carries the thinking back with its whole signature', async () => {
    const thinkingEvents = fixtureEvents('anthropic-clear-thinking.1.chunks.txt');
    const toolEvents = fixtureEvents('anthropic-tool-no-args.chunks.txt');
    const isBlock = (event: Record<string, unknown>, index: number) =>
      String(event['type']).startsWith('content_block') && event['index'] === index;
    const events = [
      thinkingEvents[0]!,
      ...thinkingEvents.filter((event) => isBlock(event, 0) || event['type'] === 'ping'),
      ...toolEvents.filter((event) => isBlock(event, 1)),
      ...toolEvents.filter((event) => event['type'] === 'message_delta' || event['type'] === 'message_stop'),
    ];
    anthropic.enqueue('POST', MESSAGES_PATH, streamAnthropic(anthropicSse(events), { chunkBytes: 50 }));
    const runner = client.chat.completions.stream({
      model: CLAUDE,
      messages: [{ role: 'user', content: QUESTION }],
      tools: [UPDATE_ISSUES],
      reasoning_effort: 'low',
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    runner.on('chunk', (chunk) => chunks.push(json(chunk)));
    const final = await runner.finalChatCompletion();
    expect(chunks.length).toBeGreaterThan(3);
    for (const chunk of chunks) assertOpenAISchema('CreateChatCompletionStreamResponse', chunk);
    expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    expect(chunks.at(-1)!.usage).toMatchObject({ completion_tokens: expect.any(Number) });
    expect(sent()['stream']).toBe(true);

    const choice = final.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    const toolUse = toolEvents.find((event) => isBlock(event, 1))!['content_block'] as { id: string };
    expect(choice.message.tool_calls).toEqual([
      { id: toolUse.id, type: 'function', function: { name: 'updateIssueList', arguments: '{}' } },
    ]);
    const signature = thinkingEvents
      .map((event) => (event['delta'] as { signature?: string } | undefined)?.signature)
      .find(Boolean);
    const thinking = thinkingEvents
      .map((event) => (event['delta'] as { thinking?: string } | undefined)?.thinking ?? '')
      .join('');

    const body = await secondTurn(json(choice.message) as OpenAI.ChatCompletionMessageParam, toolUse.id);
    expect(body.messages[1]!.content[0]).toEqual({ type: 'thinking', thinking, signature });
    expect(body.messages[1]!.content[1]).toEqual({
      type: 'tool_use',
      id: toolUse.id,
      name: 'updateIssueList',
      input: {},
    });
  });
});

describe('failures', () => {
  it('a stream cut mid-way ends with an error event, not [DONE], every chunk before it valid', async () => {
    const body = fixtureSse('anthropic-text.chunks.txt');
    anthropic.enqueue(
      'POST',
      MESSAGES_PATH,
      streamAnthropic(body, { chunkBytes: 64, reset: body.indexOf('event: content_block_stop') }),
    );
    const stream = await client.chat.completions.create({
      model: CLAUDE,
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
    });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    const failure = await (async () => {
      try {
        for await (const chunk of stream) chunks.push(json(chunk));
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect((failure as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({ type: 'provider_error' });
    assertOpenAISchema('ErrorResponse', { error: (failure as InstanceType<typeof OpenAI.APIError>).error });
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) assertOpenAISchema('CreateChatCompletionStreamResponse', chunk);
    expect(chunks.some((chunk) => chunk.choices[0]?.finish_reason)).toBe(false);
    const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
    expect(text.length).toBeGreaterThan(0);
    const access = gateway.logs.accessLines().at(-1)!;
    expect(access['stream']).toBe(true);
  });

  it('the raw stream of a cut connection has no [DONE], and its last event is the error', async () => {
    const body = fixtureSse('anthropic-text.chunks.txt');
    anthropic.enqueue(
      'POST',
      MESSAGES_PATH,
      streamAnthropic(body, { chunkBytes: 64, reset: body.indexOf('event: content_block_stop') }),
    );
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: CLAUDE, messages: [{ role: 'user', content: 'Hi' }], stream: true }),
    });
    expect(response.status).toBe(200);
    const events = (await response.text())
      .split('\n\n')
      .filter((frame) => frame.startsWith('data: '))
      .map((frame) => frame.slice('data: '.length));
    expect(events).not.toContain('[DONE]');
    const last = JSON.parse(events.at(-1)!) as object;
    assertOpenAISchema('ErrorResponse', last);
  });

  it('an overloaded Claude is a 529 in the OpenAI envelope, raised by the SDK', async () => {
    anthropic.enqueue('POST', MESSAGES_PATH, anthropicError(529, 'overloaded_error', 'Overloaded'));
    const failure = await client.chat.completions
      .create({ model: CLAUDE, messages: [{ role: 'user', content: 'Hi' }] })
      .then(() => undefined)
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    const error = failure as InstanceType<typeof OpenAI.APIError>;
    expect(error.status).toBe(529);
    assertOpenAISchema('ErrorResponse', { error: error.error });
    expect(error.message).toContain('Overloaded');
  });
});
