/**
 * The Anthropic door end to end for models not served by Anthropic: the official
 * @anthropic-ai/sdk, unmodified, against a listening gateway whose OpenAI and Gemini instances are
 * loopback fakes. Each test checks what the provider received (the translated request) and what
 * the client got (Anthropic's shapes, stream grammar, error classes).
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FakeUpstream } from '../helpers/fake-upstream.js';
import {
  CHAT_STREAM_TOOL_CALLS,
  openaiError,
  openaiFixture,
  startFakeOpenAI,
  streamChat,
  unaryChat,
} from '../helpers/fake-openai.js';
import {
  GEMINI_KEY,
  geminiFixture,
  geminiPath,
  startFakeGemini,
  unaryGemini,
} from '../helpers/fake-gemini.js';
import {
  ANTHROPIC_KEY,
  MESSAGES_PATH,
  anthropicError,
  startFakeAnthropic,
} from '../helpers/fake-anthropic.js';
import { OPENAI_KEY, TEST_KEY, buildTestApp, type TestApp } from '../helpers/build-app.js';
import { parsePrometheus } from '../helpers/prometheus.js';
import { formatKeyHash } from '../../src/identity.js';

const CHAT_PATH = '/v1/chat/completions';
const PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const TEAM_KEY = 'gwk_team-anthropic-door-0001';

let openai: FakeUpstream;
let gemini: FakeUpstream;
let anthropic: FakeUpstream;
let gateway: TestApp;
let client: Anthropic;

beforeAll(async () => {
  openai = await startFakeOpenAI();
  gemini = await startFakeGemini();
  anthropic = await startFakeAnthropic();
  gateway = await buildTestApp({
    env: {
      OPENAI_API_KEY: OPENAI_KEY,
      OPENAI_BASE_URL: `${openai.origin}/v1`,
      GEMINI_API_KEY: GEMINI_KEY,
      GEMINI_BASE_URL: gemini.origin,
      ANTHROPIC_API_KEY: ANTHROPIC_KEY,
      ANTHROPIC_BASE_URL: anthropic.origin,
      REQUEST_TIMEOUT: '5000',
    },
    configure: (config) => {
      config.gateway.routing.retries.maxRetries = 0;
      config.gateway.routing.circuitBreaker.consecutiveFailures = 1_000_000;
      config.gateway.routing.circuitBreaker.minimumRequests = 1_000_000;
      // A group that mixes providers: Claude first, GPT-4o when Claude fails.
      config.gateway.routing.models = {
        'claude-or-gpt': { models: ['claude-sonnet-4-5'], fallbacks: ['gpt-4o'] },
      };
      config.gateway.auth.clients = [
        { id: 'team', name: 'Team', keyHash: formatKeyHash(TEAM_KEY), allowedModels: ['gpt-4o-mini'] },
      ];
    },
  });
  const url = await gateway.listen();
  client = new Anthropic({ baseURL: url, apiKey: TEST_KEY, maxRetries: 0 });
});
afterAll(async () => {
  await gateway.close();
  await openai.close();
  await gemini.close();
  await anthropic.close();
});
afterEach(() => {
  openai.reset();
  gemini.reset();
  anthropic.reset();
});

type ChatBody = Record<string, unknown> & { messages: Record<string, unknown>[] };

function sentToOpenAI(): ChatBody {
  return openai.last().json as ChatBody;
}

async function apiError(call: Promise<unknown>): Promise<InstanceType<typeof Anthropic.APIError>> {
  try {
    await call;
  } catch (error) {
    if (error instanceof Anthropic.APIError) return error;
    throw error;
  }
  throw new Error('the call succeeded; it should have failed');
}

const WEATHER: Anthropic.Tool = {
  name: 'get_weather',
  description: 'The weather in a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

describe('through OpenAI', () => {
  it('answers a unary request in Anthropic’s shape from the translated request', async () => {
    const { data: message, response } = await client.messages
      .create({
        model: 'gpt-4o',
        max_tokens: 300,
        system: 'Be brief.',
        messages: [{ role: 'user', content: 'Hello' }],
        stop_sequences: ['END'],
        temperature: 0.2,
        metadata: { user_id: 'user-7' },
      } as Anthropic.MessageCreateParamsNonStreaming)
      .withResponse();
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
    expect(response.headers.get('x-gateway-provider')).toBe('openai');
    expect(sentToOpenAI()).toEqual({
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hello' },
      ],
      max_completion_tokens: 300,
      stop: ['END'],
      temperature: 0.2,
      user: 'user-7',
    });
    expect(openai.last().headers['authorization']).toBe(`Bearer ${OPENAI_KEY}`);
  });

  it('streams in Anthropic’s grammar (stream: true), with the usage in message_delta', async () => {
    const stream = await client.messages.create({
      model: 'gpt-4o',
      max_tokens: 100,
      stream: true,
      messages: [{ role: 'user', content: 'Hello' }],
    });
    const types: string[] = [];
    let text = '';
    let usage: Anthropic.MessageDeltaUsage | undefined;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
      if (event.type === 'message_delta') usage = event.usage;
    }
    expect(text).toBe('The answer is 42.');
    expect(types[0]).toBe('message_start');
    expect(types.slice(-2)).toEqual(['message_delta', 'message_stop']);
    expect(usage).toMatchObject({ input_tokens: 24, output_tokens: 5 });
    expect(sentToOpenAI()).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    const line = gateway.logs.accessLines().at(-1)!;
    expect(line).toMatchObject({
      route: '/v1/messages',
      stream: true,
      promptTokens: 24,
      completionTokens: 5,
    });
  });

  it('builds the final message with messages.stream()', async () => {
    const stream = client.messages.stream({
      model: 'gpt-4o',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'Hi' }],
    });
    const message = await stream.finalMessage();
    expect(message.content).toEqual([{ type: 'text', text: 'The answer is 42.', citations: null }]);
    expect(message.stop_reason).toBe('end_turn');
    expect(message.usage).toMatchObject({ input_tokens: 24, output_tokens: 5 });
  });

  it('runs tools over two turns, streamed', async () => {
    openai.enqueue('POST', CHAT_PATH, streamChat(CHAT_STREAM_TOOL_CALLS, 50));
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'Weather in Paris and Tokyo?' }];
    const first = await client.messages
      .stream({ model: 'gpt-4o', max_tokens: 500, tools: [WEATHER], tool_choice: { type: 'auto' }, messages })
      .finalMessage();
    expect(first.stop_reason).toBe('tool_use');
    expect(first.content).toEqual([
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
    expect(sentToOpenAI()).toMatchObject({
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: WEATHER.input_schema } }],
      tool_choice: 'auto',
    });

    messages.push({ role: 'assistant', content: first.content });
    messages.push({
      role: 'user',
      content: first.content.map((block) => ({
        type: 'tool_result' as const,
        tool_use_id: (block as Anthropic.ToolUseBlock).id,
        content:
          ((block as Anthropic.ToolUseBlock).input as { city?: string }).city === 'Paris'
            ? 'Sunny, 24°C'
            : 'Rain, 18°C',
      })),
    });
    const second = await client.messages.create({
      model: 'gpt-4o',
      max_tokens: 500,
      tools: [WEATHER],
      messages,
    });
    expect(second.content[0]).toMatchObject({ type: 'text' });
    expect(sentToOpenAI().messages.slice(1)).toEqual([
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'call_8Kq2Zr1mXb7Tn4Vc9Pw3Ls6H',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
          },
          {
            id: 'call_3Hd9Lw2Qn6Vb1Xc7Rt5Mz8Ka',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Tokyo"}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'call_8Kq2Zr1mXb7Tn4Vc9Pw3Ls6H', content: 'Sunny, 24°C' },
      { role: 'tool', tool_call_id: 'call_3Hd9Lw2Qn6Vb1Xc7Rt5Mz8Ka', content: 'Rain, 18°C' },
    ]);
  });

  it('turns thinking into reasoning_effort, and the reasoning text into a thinking block', async () => {
    const answer = JSON.parse(openaiFixture('chat-completion.json')) as {
      choices: { message: Record<string, unknown> }[];
    };
    answer.choices[0]!.message['reasoning_content'] = 'The user greets me.';
    openai.enqueue('POST', CHAT_PATH, unaryChat(JSON.stringify(answer)));
    const message = await client.messages.create({
      model: 'o3',
      max_tokens: 20000,
      thinking: { type: 'enabled', budget_tokens: 10000 },
      messages: [{ role: 'user', content: 'Hello' }],
    });
    expect(sentToOpenAI().reasoning_effort).toBe('medium');
    expect(message.content[0]).toMatchObject({ type: 'thinking', thinking: 'The user greets me.' });
    expect(message.content[1]).toMatchObject({ type: 'text' });
  });

  it('sends images as image_url parts', async () => {
    await client.messages.create({
      model: 'gpt-4o',
      max_tokens: 100,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
            { type: 'text', text: 'What is this?' },
          ],
        },
      ],
    });
    expect(sentToOpenAI().messages[0]).toEqual({
      role: 'user',
      content: [
        { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } },
        { type: 'text', text: 'What is this?' },
      ],
    });
  });

  it('estimates count_tokens, and says so', async () => {
    const { data, response } = await client.messages
      .countTokens({
        model: 'gpt-4o',
        system: 'Be brief.',
        messages: [{ role: 'user', content: 'Hello there' }],
      })
      .withResponse();
    expect(data.input_tokens).toBeGreaterThan(3);
    expect(response.headers.get('x-gateway-token-count')).toBe('estimated');
    expect(openai.requests).toHaveLength(0);
  });

  it('drops what OpenAI cannot honour, with a warning in the client’s terms', async () => {
    const { response } = await client.messages
      .create({
        model: 'gpt-4o',
        max_tokens: 64,
        top_k: 5,
        messages: [{ role: 'user', content: 'Hi' }],
      } as Anthropic.MessageCreateParamsNonStreaming)
      .withResponse();
    expect(response.headers.get('x-gateway-warnings')).toBe(
      "dropped unsupported parameter 'top_k' for model 'gpt-4o'",
    );
    expect(sentToOpenAI()['top_k']).toBeUndefined();
  });
});

describe('through Gemini', () => {
  it('answers unary and streamed requests', async () => {
    const message = await client.messages.create({
      model: 'gemini-2.5-flash',
      max_tokens: 100,
      messages: [{ role: 'user', content: "What is Google's mission?" }],
    });
    expect(message.content[0]).toMatchObject({
      type: 'text',
      text: expect.stringContaining('organize the world'),
    });
    expect(gemini.last().path).toBe(geminiPath('gemini-2.5-flash', 'generateContent'));

    const streamed = await client.messages
      .stream({ model: 'gemini-2.5-flash', max_tokens: 100, messages: [{ role: 'user', content: 'Hi' }] })
      .finalMessage();
    expect(streamed.content[0]).toMatchObject({ type: 'text' });
    expect((streamed.content[0] as Anthropic.TextBlock).text.length).toBeGreaterThan(0);
    expect(gemini.last().path).toBe(geminiPath('gemini-2.5-flash', 'streamGenerateContent'));
  });

  it('sends thinking as Gemini’s thinking budget, and images inline; counts tokens by estimate', async () => {
    await client.messages.create({
      model: 'gemini-2.5-flash',
      max_tokens: 20000,
      thinking: { type: 'enabled', budget_tokens: 6000 },
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
            { type: 'text', text: 'What is this?' },
          ],
        },
      ],
    });
    const sent = gemini.last().json as {
      contents: { parts: Record<string, unknown>[] }[];
      generationConfig: Record<string, unknown>;
    };
    // 6000 tokens is `medium`, which Gemini 2.5 takes as a budget of 8192.
    expect(sent.generationConfig).toMatchObject({
      maxOutputTokens: 20000,
      thinkingConfig: { thinkingBudget: 8192 },
    });
    expect(sent.contents[0]!.parts).toEqual([
      { inlineData: { mimeType: 'image/png', data: PNG } },
      { text: 'What is this?' },
    ]);
    const { response } = await client.messages
      .countTokens({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'Hi' }] })
      .withResponse();
    expect(response.headers.get('x-gateway-token-count')).toBe('estimated');
  });

  it('round-trips the thought signature of a tool call over two turns', async () => {
    gemini.enqueue(
      'POST',
      geminiPath('gemini-3-pro-preview', 'generateContent'),
      unaryGemini(
        geminiFixture('googleai/unary-success-thinking-function-call-thought-summary-signature.json'),
      ),
    );
    const tools: Anthropic.Tool[] = [
      { name: 'now', description: 'The current date', input_schema: { type: 'object', properties: {} } },
    ];
    const messages: Anthropic.MessageParam[] = [
      { role: 'user', content: 'How many days until New Year’s Eve?' },
    ];
    const first = await client.messages.create({
      model: 'gemini-3-pro-preview',
      max_tokens: 2048,
      tools,
      messages,
    });
    expect(first.stop_reason).toBe('tool_use');
    const use = first.content.find((block) => block.type === 'tool_use')!;
    expect(use).toMatchObject({ name: 'now', input: {} });
    // The signature travels in the gateway's own block, which the client keeps with the turn.
    expect(first.content.at(-1)!.type).toBe('redacted_thinking');

    messages.push({ role: 'assistant', content: first.content });
    messages.push({
      role: 'user',
      content: [{ type: 'tool_result', tool_use_id: use.id, content: '{"date": "2025-10-26"}' }],
    });
    await client.messages.create({ model: 'gemini-3-pro-preview', max_tokens: 2048, tools, messages });
    const second = gemini.last().json as { contents: { role: string; parts: Record<string, unknown>[] }[] };
    expect(second.contents[1]).toEqual({
      role: 'model',
      parts: [
        {
          functionCall: { name: 'now', args: {} },
          thoughtSignature: expect.stringMatching(/^CtQOAVSoXO74PmYr9AFurEIJNTAtf/),
        },
      ],
    });
    expect(second.contents[2]).toEqual({
      role: 'user',
      parts: [{ functionResponse: { name: 'now', response: { date: '2025-10-26' } } }],
    });
  });
});

describe('a group mixing providers', () => {
  it('fails over from Claude (passed through) to GPT-4o (translated), unary and streamed', async () => {
    anthropic.enqueue('POST', MESSAGES_PATH, anthropicError(529, 'overloaded_error', 'Overloaded'));
    const { data: message, response } = await client.messages
      .create({ model: 'claude-or-gpt', max_tokens: 64, messages: [{ role: 'user', content: 'Hi' }] })
      .withResponse();
    expect(response.headers.get('x-gateway-provider')).toBe('openai');
    expect(response.headers.get('x-gateway-attempts')).toBe('2');
    expect(message.content[0]).toMatchObject({ type: 'text' });
    expect(anthropic.requests).toHaveLength(1);

    anthropic.enqueue('POST', MESSAGES_PATH, anthropicError(529, 'overloaded_error', 'Overloaded'));
    const streamed = await client.messages
      .stream({ model: 'claude-or-gpt', max_tokens: 64, messages: [{ role: 'user', content: 'Hi' }] })
      .finalMessage();
    expect(streamed.content).toEqual([{ type: 'text', text: 'The answer is 42.', citations: null }]);
  });
});

describe('errors, in the SDK’s classes', () => {
  it('NotFoundError for a model the gateway does not have', async () => {
    const error = await apiError(
      client.messages.create({
        model: 'gpt-99',
        max_tokens: 64,
        messages: [{ role: 'user', content: 'Hi' }],
      }),
    );
    expect(error).toBeInstanceOf(Anthropic.NotFoundError);
    expect(error.type).toBe('not_found_error');
    expect(error.error).toMatchObject({
      type: 'error',
      error: { type: 'not_found_error' },
      request_id: expect.any(String),
    });
  });

  it('BadRequestError for an invalid request, before any provider is called', async () => {
    const error = await apiError(
      client.messages.create({
        model: 'gpt-4o',
        max_tokens: 64,
        messages: [{ role: 'user', content: [{ type: 'tool_use', id: 'toolu_1', name: 'x' } as never] }],
      }),
    );
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect(error.type).toBe('invalid_request_error');
    expect(error.message).toContain('messages[0].content[0].input');
    const missing = await apiError(
      client.messages.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] } as never),
    );
    expect(missing).toBeInstanceOf(Anthropic.BadRequestError);
    expect(missing.message).toContain('max_tokens');
    const unconvertible = await apiError(
      client.messages.create({
        model: 'gpt-4o',
        max_tokens: 64,
        messages: [
          { role: 'user', content: [{ type: 'image', source: { type: 'file', file_id: 'file_1' } }] },
        ],
      }),
    );
    expect(unconvertible).toBeInstanceOf(Anthropic.BadRequestError);
    expect(openai.requests).toHaveLength(0);
  });

  it('BadRequestError for a body that is not JSON', async () => {
    const response = await fetch(`${gateway.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': TEST_KEY },
      body: '{"model": ',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
  });

  it('PermissionDeniedError for a model the key may not call', async () => {
    const team = new Anthropic({ baseURL: gateway.url, apiKey: TEAM_KEY, maxRetries: 0 });
    const error = await apiError(
      team.messages.create({ model: 'gpt-4o', max_tokens: 64, messages: [{ role: 'user', content: 'Hi' }] }),
    );
    expect(error).toBeInstanceOf(Anthropic.PermissionDeniedError);
    expect(error.type).toBe('permission_error');
  });

  it('RateLimitError for OpenAI’s 429, with its Retry-After', async () => {
    openai.enqueue('POST', CHAT_PATH, openaiError(429, 'error-rate-limit.json', { 'retry-after': '3' }));
    const error = await apiError(
      client.messages.create({
        model: 'gpt-4o',
        max_tokens: 64,
        messages: [{ role: 'user', content: 'Hi' }],
      }),
    );
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    expect(error.type).toBe('rate_limit_error');
    expect(error.headers?.get('retry-after')).toBe('3');
  });

  it('InternalServerError for a provider failing, and an error event for a stream cut short', async () => {
    openai.enqueue('POST', CHAT_PATH, openaiError(500, 'error-server.json'));
    const error = await apiError(
      client.messages.create({
        model: 'gpt-4o',
        max_tokens: 64,
        messages: [{ role: 'user', content: 'Hi' }],
      }),
    );
    expect(error).toBeInstanceOf(Anthropic.InternalServerError);
    expect(error.type).toBe('api_error');

    openai.enqueue('POST', CHAT_PATH, { ...streamChat(CHAT_STREAM_TOOL_CALLS), reset: 900 });
    const stream = await client.messages.create({
      model: 'gpt-4o',
      max_tokens: 64,
      stream: true,
      messages: [{ role: 'user', content: 'Hi' }],
    });
    const cut = await apiError(
      (async () => {
        for await (const event of stream) void event;
      })(),
    );
    expect(cut.type).toBe('api_error');
  });
});

describe('the gateway around the door', () => {
  it('lists models in Anthropic’s shape for an Anthropic client, page by page', async () => {
    const page = await client.models.list({ limit: 3 });
    expect(page.data).toHaveLength(3);
    expect(page.data[0]).toMatchObject({
      type: 'model',
      id: expect.any(String),
      display_name: expect.any(String),
    });
    const all: string[] = [];
    for await (const model of client.models.list({ limit: 5 })) all.push(model.id);
    expect(all).toEqual(
      expect.arrayContaining(['claude-or-gpt', 'gpt-4o', 'gemini-2.5-flash', 'claude-sonnet-4-5']),
    );
    expect(new Set(all).size).toBe(all.length);
    const one = await client.models.retrieve('gpt-4o');
    expect(one).toMatchObject({ type: 'model', id: 'gpt-4o', max_input_tokens: 128000, max_tokens: 16384 });
    // Without anthropic-version the list is OpenAI's, as before.
    const plain = await fetch(`${gateway.url}/v1/models`, {
      headers: { authorization: `Bearer ${TEST_KEY}` },
    });
    expect(((await plain.json()) as { object: string }).object).toBe('list');
  });

  it('counts the door’s requests in the metrics', async () => {
    await client.messages.create({
      model: 'gpt-4o',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'Hi' }],
    });
    const text = await (
      await fetch(`${gateway.url}/metrics`, { headers: { authorization: `Bearer ${TEST_KEY}` } })
    ).text();
    const requests = parsePrometheus(text).filter(
      (sample) => sample.name === 'llm_gateway_requests_total' && sample.labels['route'] === '/v1/messages',
    );
    expect(requests.find((sample) => sample.labels['provider'] === 'openai')?.value).toBeGreaterThan(0);
    const tokens = parsePrometheus(text).filter(
      (sample) => sample.name === 'llm_gateway_tokens_total' && sample.labels['model'] === 'gpt-4o',
    );
    expect(tokens.find((sample) => sample.labels['kind'] === 'prompt')?.value).toBeGreaterThan(0);
  });
});
