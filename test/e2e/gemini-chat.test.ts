/**
 * The Gemini provider end to end: the official openai SDK against a listening gateway whose Gemini
 * instance points at a loopback fake serving recorded Gemini responses. Each test checks both what
 * Gemini received and what the client got.
 */
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FakeUpstream } from '../helpers/fake-upstream.js';
import {
  GEMINI_KEY,
  geminiError,
  geminiFixture,
  geminiPath,
  startFakeGemini,
  streamGemini,
  unaryGemini,
} from '../helpers/fake-gemini.js';
import { TEST_KEY, buildTestApp, type TestApp } from '../helpers/build-app.js';
import { assertOpenAISchema } from '../helpers/openai-schemas.js';

let upstream: FakeUpstream;
let gateway: TestApp;
let client: OpenAI;

const FLASH = geminiPath('gemini-2.5-flash', 'generateContent');
const FLASH_STREAM = geminiPath('gemini-2.5-flash', 'streamGenerateContent');
const SIGNATURE = 'CtQOAVSoXO74PmYr9AFurEIJNTAtfagOIxtRA5FcMPow3t';

beforeAll(async () => {
  upstream = await startFakeGemini();
  gateway = await buildTestApp({
    env: { GEMINI_API_KEY: GEMINI_KEY, GEMINI_BASE_URL: upstream.origin, REQUEST_TIMEOUT: '3000' },
  });
  const url = await gateway.listen();
  client = new OpenAI({ baseURL: `${url}/v1`, apiKey: TEST_KEY, maxRetries: 0 });
});

afterAll(async () => {
  await gateway.close();
  await upstream.close();
});

afterEach(() => upstream.reset());

type Body = Record<string, unknown> & {
  contents: { role: string; parts: Record<string, unknown>[] }[];
  generationConfig?: Record<string, unknown>;
};

function sent(): Body {
  return upstream.last().json as Body;
}

/** The API error a call ends with (the test fails if it succeeds). */
async function apiError(call: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await call;
  } catch (error) {
    if (error instanceof OpenAI.APIError) return error;
    throw error;
  }
  throw new Error('the call succeeded; it should have failed');
}

/** Collects a stream's chunks, validating each against OpenAI's schema. */
async function collect(stream: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>) {
  const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
  for await (const chunk of stream) {
    assertOpenAISchema('CreateChatCompletionStreamResponse', chunk);
    chunks.push(chunk);
  }
  return chunks;
}

describe('unary chat through Gemini', () => {
  it('translates the request and the recorded answer, valid against the OpenAI schema', async () => {
    const { data: completion, response } = await client.chat.completions
      .create({
        model: 'gemini-2.5-flash',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: "What is Google's mission?" },
        ],
        temperature: 0.3,
        max_tokens: 100,
      })
      .withResponse();
    assertOpenAISchema('CreateChatCompletionResponse', completion);
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0]!.message.content).toBe(
      'Google\'s mission is to "organize the world\'s information and make it universally accessible and useful."',
    );
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    expect(response.headers.get('x-gateway-provider')).toBe('gemini');

    const received = upstream.last();
    expect(received.path).toBe(FLASH);
    expect(received.url).not.toContain(GEMINI_KEY);
    expect(received.headers['x-goog-api-key']).toBe(GEMINI_KEY);
    expect(received.headers['authorization']).toBeUndefined();
    expect(JSON.stringify(received.headers)).not.toContain(TEST_KEY);
    expect(sent()).toEqual({
      systemInstruction: { parts: [{ text: 'Be brief.' }] },
      contents: [{ role: 'user', parts: [{ text: "What is Google's mission?" }] }],
      generationConfig: { temperature: 0.3, maxOutputTokens: 100 },
    });
  });

  it('sends a string stop as a one-element stopSequences', async () => {
    await client.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: 'Count' }],
      stop: 'END',
    });
    expect(sent().generationConfig).toEqual({ stopSequences: ['END'] });
  });

  it('answers a response without usageMetadata without crashing, and without inventing usage', async () => {
    upstream.enqueue(
      'POST',
      FLASH,
      unaryGemini(geminiFixture('vertexai/unary-success-function-call-empty-arguments.json')),
    );
    const completion = await client.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: 'What time is it?' }],
      tools: [{ type: 'function', function: { name: 'current_time', parameters: { type: 'object' } } }],
    });
    assertOpenAISchema('CreateChatCompletionResponse', completion);
    expect(completion.usage).toBeUndefined();
    const call = completion.choices[0]!.message.tool_calls![0]!;
    expect(call.type === 'function' && call.function).toEqual({ name: 'current_time', arguments: '{}' });
    expect(completion.choices[0]!.finish_reason).toBe('tool_calls');
  });

  it('answers a blocked prompt with 400 content_filter, not a 500', async () => {
    upstream.enqueue(
      'POST',
      FLASH,
      unaryGemini(geminiFixture('vertexai/unary-failure-prompt-blocked-safety-with-message.json')),
    );
    const error = await apiError(
      client.chat.completions.create({
        model: 'gemini-2.5-flash',
        messages: [{ role: 'user', content: 'Something bad' }],
      }),
    );
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    const badRequest = error as InstanceType<typeof OpenAI.BadRequestError>;
    expect(badRequest.status).toBe(400);
    expect(badRequest.code).toBe('content_filter');
    expect(badRequest.message).toContain('SAFETY');
    expect(badRequest.message).toContain('Reasons');
    assertOpenAISchema('ErrorResponse', { error: badRequest.error });
  });
});

describe('tool calls through Gemini', () => {
  it('round-trips the thought signature and names the tool result after its call', async () => {
    upstream.enqueue(
      'POST',
      geminiPath('gemini-3-pro-preview', 'generateContent'),
      unaryGemini(
        geminiFixture('googleai/unary-success-thinking-function-call-thought-summary-signature.json'),
      ),
    );
    const tools: OpenAI.Chat.Completions.ChatCompletionTool[] = [
      {
        type: 'function',
        function: {
          name: 'now',
          description: 'The current date',
          parameters: { type: 'object', properties: {} },
        },
      },
    ];
    const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [
      { role: 'user', content: 'How many days until New Year’s Eve?' },
    ];
    const first = await client.chat.completions.create({ model: 'gemini-3-pro-preview', messages, tools });
    assertOpenAISchema('CreateChatCompletionResponse', first);
    const message = first.choices[0]!.message;
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    expect(message.content).toBeNull();
    const call = message.tool_calls![0] as OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall & {
      extra_content?: { google?: { thought_signature?: string } };
    };
    expect(call.id).toMatch(/^call_/);
    expect(call.function).toEqual({ name: 'now', arguments: '{}' });
    expect(call.extra_content?.google?.thought_signature?.startsWith(SIGNATURE)).toBe(true);
    // Thought summaries are dropped by default.
    expect(JSON.stringify(first)).not.toContain('Thinking Through');
    expect(first.usage).toMatchObject({
      prompt_tokens: 38,
      completion_tokens: 509,
      total_tokens: 547,
      completion_tokens_details: { reasoning_tokens: 501 },
    });

    // The client sends the conversation back as any OpenAI client does: the assistant message as
    // received, then the tool result.
    messages.push(message as OpenAI.Chat.Completions.ChatCompletionMessageParam);
    messages.push({ role: 'tool', tool_call_id: call.id, content: '{"date": "2025-10-26"}' });
    await client.chat.completions.create({ model: 'gemini-3-pro-preview', messages, tools });
    const second = sent();
    expect(second.contents).toHaveLength(3);
    expect(second.contents[1]).toEqual({
      role: 'model',
      parts: [
        {
          functionCall: { name: 'now', args: {} },
          thoughtSignature: call.extra_content!.google!.thought_signature,
        },
      ],
    });
    expect(second.contents[2]).toEqual({
      role: 'user',
      parts: [{ functionResponse: { name: 'now', response: { date: '2025-10-26' } } }],
    });
    // Gemini 3 takes plain JSON Schema: the tool's schema is passed as written.
    expect((second['tools'] as { functionDeclarations: unknown[] }[])[0]!.functionDeclarations[0]).toEqual({
      name: 'now',
      description: 'The current date',
      parametersJsonSchema: { type: 'object', properties: {} },
    });
  });

  it('refuses a tool result that answers no earlier call, naming it', async () => {
    const error = await apiError(
      client.chat.completions.create({
        model: 'gemini-2.5-flash',
        messages: [
          { role: 'user', content: 'Hi' },
          { role: 'tool', tool_call_id: 'call_unknown', content: '42' },
        ],
      }),
    );
    expect(error.status).toBe(400);
    expect(error.param).toBe('messages[1].tool_call_id');
    expect(upstream.requests).toHaveLength(0);
  });

  it('strips additionalProperties from tool schemas for models that take only the Schema subset', async () => {
    await client.chat.completions.create({
      model: 'gemini-2.0-flash',
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            parameters: {
              $schema: 'http://json-schema.org/draft-07/schema#',
              type: 'object',
              properties: {
                city: { type: 'string' },
                unit: { type: ['string', 'null'], enum: ['C', 'F'] },
              },
              required: ['city'],
              additionalProperties: false,
            },
          },
        },
      ],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
    });
    const body = sent();
    expect(upstream.last().path).toBe(geminiPath('gemini-2.0-flash', 'generateContent'));
    expect(body['tools']).toEqual([
      {
        functionDeclarations: [
          {
            name: 'get_weather',
            parameters: {
              type: 'object',
              properties: {
                city: { type: 'string' },
                unit: { type: 'string', nullable: true, enum: ['C', 'F'] },
              },
              required: ['city'],
            },
          },
        ],
      },
    ]);
    expect(body['toolConfig']).toEqual({
      functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] },
    });
  });
});

describe('streamed chat through Gemini', () => {
  it('streams the recorded answer as OpenAI chunks: one id, role first, one finish, [DONE] last', async () => {
    const stream = await client.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: 'Count to 8' }],
      stream: true,
    });
    const chunks = await collect(stream);
    expect(upstream.last().url).toBe(`${FLASH_STREAM}?alt=sse`);
    expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
    expect(new Set(chunks.map((chunk) => chunk.created)).size).toBe(1);
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe('1 2 3 4 5 6 7 8');
    const finishes = chunks.filter((chunk) => chunk.choices[0]?.finish_reason);
    expect(finishes).toHaveLength(1);
    expect(finishes[0]!.choices[0]!.finish_reason).toBe('stop');
    expect(chunks.at(-1)).toBe(finishes[0]);
    // Not asked for, the usage is not sent, but it is counted.
    expect(chunks.some((chunk) => chunk.usage)).toBe(false);
    const line = gateway.logs.accessLines().at(-1)!;
    expect(line['promptTokens']).toBeGreaterThan(0);
    expect(line['completionTokens']).toBeGreaterThan(0);
  });

  it('ends the raw stream with data: [DONE]', async () => {
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'gemini-2.5-flash',
        messages: [{ role: 'user', content: 'Hi' }],
        stream: true,
      }),
    });
    const text = await response.text();
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it('sends usage once, at the end, only when include_usage is set', async () => {
    const fixture = geminiFixture('googleai/streaming-success-citations.txt');
    upstream.enqueue('POST', FLASH_STREAM, streamGemini(fixture, 97));
    const withUsage = await collect(
      await client.chat.completions.create({
        model: 'gemini-2.5-flash',
        messages: [{ role: 'user', content: 'Explain quantum mechanics' }],
        stream: true,
        stream_options: { include_usage: true },
      }),
    );
    const withUsageChunks = withUsage.filter((chunk) => chunk.usage);
    expect(withUsageChunks).toHaveLength(1);
    expect(withUsage.at(-1)).toBe(withUsageChunks[0]);
    expect(withUsageChunks[0]!.choices).toEqual([]);
    const last = fixture
      .trim()
      .split(/\r?\n\r?\n/)
      .at(-1)!;
    const usage = (JSON.parse(last.slice(6)) as { usageMetadata: Record<string, number> }).usageMetadata;
    expect(withUsageChunks[0]!.usage).toMatchObject({
      prompt_tokens: usage['promptTokenCount'],
      completion_tokens: usage['candidatesTokenCount'],
      total_tokens: usage['totalTokenCount'],
    });

    upstream.enqueue('POST', FLASH_STREAM, streamGemini(fixture));
    const without = await collect(
      await client.chat.completions.create({
        model: 'gemini-2.5-flash',
        messages: [{ role: 'user', content: 'Explain quantum mechanics' }],
        stream: true,
      }),
    );
    expect(without.some((chunk) => chunk.usage)).toBe(false);
    expect(without.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe(
      withUsage.map((chunk) => chunk.choices[0]?.delta.content ?? '').join(''),
    );
  });

  it('gives parallel calls in a stream increasing indexes and their own ids', async () => {
    const call = (name: string, city: string, signature?: string) => ({
      functionCall: { name, args: { city } },
      ...(signature ? { thoughtSignature: signature } : {}),
    });
    upstream.enqueue(
      'POST',
      FLASH_STREAM,
      streamGemini(
        [
          { candidates: [{ content: { role: 'model', parts: [call('get_weather', 'Paris', 'sig-1')] } }] },
          {
            candidates: [
              { content: { role: 'model', parts: [call('get_weather', 'Rome'), call('get_time', 'Rome')] } },
            ],
          },
          {
            candidates: [{ content: { role: 'model', parts: [{ text: '' }] }, finishReason: 'STOP' }],
            usageMetadata: { promptTokenCount: 20, candidatesTokenCount: 30, totalTokenCount: 50 },
          },
        ]
          .map((event) => `data: ${JSON.stringify(event)}\r\n\r\n`)
          .join(''),
        13,
      ),
    );
    const chunks = await collect(
      await client.chat.completions.create({
        model: 'gemini-2.5-flash',
        messages: [{ role: 'user', content: 'Weather and time in Paris and Rome' }],
        tools: [
          { type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } },
          { type: 'function', function: { name: 'get_time', parameters: { type: 'object' } } },
        ],
        stream: true,
      }),
    );
    const deltas = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []);
    expect(deltas.map((delta) => delta.index)).toEqual([0, 1, 2]);
    expect(new Set(deltas.map((delta) => delta.id)).size).toBe(3);
    expect(deltas.map((delta) => [delta.function?.name, delta.function?.arguments])).toEqual([
      ['get_weather', '{"city":"Paris"}'],
      ['get_weather', '{"city":"Rome"}'],
      ['get_time', '{"city":"Rome"}'],
    ]);
    expect((deltas[0] as { extra_content?: unknown }).extra_content).toEqual({
      google: { thought_signature: 'sig-1' },
    });
    const finishes = chunks.filter((chunk) => chunk.choices[0]?.finish_reason);
    expect(finishes.map((chunk) => chunk.choices[0]!.finish_reason)).toEqual(['tool_calls']);
  });

  it('answers a prompt blocked before the stream started with 400 content_filter', async () => {
    upstream.enqueue(
      'POST',
      FLASH_STREAM,
      streamGemini(geminiFixture('vertexai/streaming-failure-prompt-blocked-safety-with-message.txt')),
    );
    const error = await apiError(
      client.chat.completions.create({
        model: 'gemini-2.5-flash',
        messages: [{ role: 'user', content: 'x' }],
        stream: true,
      }),
    );
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.code).toBe('content_filter');
  });

  it('ends with an error event when Gemini writes an error into a started stream', async () => {
    upstream.enqueue(
      'POST',
      FLASH_STREAM,
      streamGemini(geminiFixture('vertexai/streaming-failure-error-mid-stream.txt'), 50),
    );
    const stream = await client.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
    });
    const received: string[] = [];
    const error = await apiError(
      (async () => {
        for await (const chunk of stream) received.push(chunk.choices[0]?.delta.content ?? '');
      })(),
    );
    expect(received.join('')).toBe('First Second ');
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error.message).toContain('The operation was cancelled.');
  });

  it('cancels the Gemini call when the client goes away mid-stream', async () => {
    const fixture = geminiFixture('googleai/streaming-success-citations.txt');
    upstream.enqueue('POST', FLASH_STREAM, {
      ...streamGemini(fixture),
      hang: fixture.indexOf('data: ', 1000),
    });
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'Hi' }], stream: true },
      { signal: controller.signal },
    );
    for await (const chunk of stream) {
      expect(chunk.choices[0]?.delta.role).toBe('assistant');
      controller.abort();
      break;
    }
    await expect.poll(() => upstream.aborted, { timeout: 3000 }).toBe(1);
  });

  it('ends with an error event, not [DONE], when the connection is cut mid-stream', async () => {
    const fixture = geminiFixture('googleai/streaming-success-citations.txt');
    upstream.enqueue('POST', FLASH_STREAM, {
      ...streamGemini(fixture),
      reset: fixture.indexOf('data: ', 3000) + 20,
    });
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'gemini-2.5-flash',
        messages: [{ role: 'user', content: 'Hi' }],
        stream: true,
      }),
    });
    expect(response.status).toBe(200);
    const events = (await response.text())
      .split('\n\n')
      .filter((frame) => frame.startsWith('data: '))
      .map((frame) => frame.slice(6));
    expect(events).not.toContain('[DONE]');
    const chunks = events.slice(0, -1).map((event) => JSON.parse(event) as object);
    for (const chunk of chunks) assertOpenAISchema('CreateChatCompletionStreamResponse', chunk);
    expect(chunks.length).toBeGreaterThan(1);
    const last = JSON.parse(events.at(-1)!) as { error: { type: string } };
    assertOpenAISchema('ErrorResponse', last);
    expect(last.error.type).toBe('provider_error');
  });
});

describe('Gemini errors', () => {
  it.each([
    ['googleai/unary-failure-generativelanguage-api-not-enabled.json', 403, 'PERMISSION_DENIED'],
    ['vertexai/unary-failure-iam-permission-denied.json', 403, 'PERMISSION_DENIED'],
    ['googleai/streaming-failure-image-rejected.txt', 400, 'INVALID_ARGUMENT'],
    ['vertexai/streaming-failure-http-error.txt', 400, 'FAILED_PRECONDITION'],
  ])('keeps the status and message of %s, with type provider_error', async (fixture, status, code) => {
    upstream.enqueue('POST', FLASH, geminiError(fixture));
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'Hi' }] }),
    });
    expect(response.status).toBe(status);
    const body = (await response.json()) as { error: Record<string, unknown> };
    assertOpenAISchema('ErrorResponse', body);
    expect(body.error['type']).toBe('provider_error');
    expect(body.error['code']).toBe(code);
    expect(body.error['message']).toBe(
      (JSON.parse(geminiFixture(fixture)) as { error: { message: string } }).error.message,
    );
  });

  it('turns the RetryInfo of a 429 into Retry-After, and never echoes our key', async () => {
    upstream.enqueue('POST', FLASH, {
      status: 429,
      json: {
        error: {
          code: 429,
          message: `Quota exceeded for key ${GEMINI_KEY}.`,
          status: 'RESOURCE_EXHAUSTED',
          details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '37.5s' }],
        },
      },
    });
    const error = await apiError(
      client.chat.completions.create({
        model: 'gemini-2.5-flash',
        messages: [{ role: 'user', content: 'Hi' }],
      }),
    );
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error.headers?.get('retry-after')).toBe('38');
    expect(error.message).toContain('Quota exceeded');
    expect(error.message).not.toContain(GEMINI_KEY);
    expect(gateway.logs.text()).not.toContain(GEMINI_KEY);
  });
});
