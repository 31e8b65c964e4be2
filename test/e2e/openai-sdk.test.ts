/** The official openai client against a listening gateway, as an application would use it. */
import { passThroughOnly } from '../helpers/routing.js';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAT_COMPLETION, openaiError, startFakeOpenAI } from '../helpers/fake-openai.js';
import type { FakeUpstream } from '../helpers/fake-upstream.js';
import { OPENAI_KEY, TEST_KEY, buildTestApp, type TestApp } from '../helpers/build-app.js';
import { assertOpenAISchema } from '../helpers/openai-schemas.js';

let upstream: FakeUpstream;
let gateway: TestApp;
let client: OpenAI;

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  gateway = await buildTestApp({
    env: { OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: `${upstream.origin}/v1` },
    configure: passThroughOnly,
  });
  const url = await gateway.listen();
  client = new OpenAI({ baseURL: `${url}/v1`, apiKey: TEST_KEY, maxRetries: 0 });
});
afterAll(async () => {
  await gateway.close();
  await upstream.close();
});

describe('openai SDK against the gateway', () => {
  it('creates a chat completion', async () => {
    const completion = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Hello' }],
    });
    assertOpenAISchema('CreateChatCompletionResponse', completion);
    expect(completion).toEqual(JSON.parse(CHAT_COMPLETION));
  });

  it('streams a chat completion', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Hello' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      assertOpenAISchema('CreateChatCompletionStreamResponse', chunk);
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('The answer is 42.');
    expect(usage?.total_tokens).toBe(29);
  });

  it('surfaces gateway errors as APIError with status, type and code', async () => {
    const error = await client.chat.completions
      .create({ model: 'gpt-99', messages: [{ role: 'user', content: 'Hello' }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    const apiError = error as InstanceType<typeof OpenAI.APIError>;
    expect(apiError.status).toBe(404);
    expect(apiError.code).toBe('model_not_found');
    expect(apiError.type).toBe('model_not_found');
    expect(apiError.param).toBe('model');
  });

  it('surfaces a provider 429 as RateLimitError with its status', async () => {
    upstream.enqueue(
      'POST',
      '/v1/chat/completions',
      openaiError(429, 'error-rate-limit.json', { 'retry-after': '1' }),
    );
    const error = await client.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hello' }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('rate_limit_exceeded');
  });

  it('surfaces a mid-stream failure as an error thrown by the stream iterator', async () => {
    upstream.enqueue('POST', '/v1/chat/completions', {
      status: 200,
      headers: { 'content-type': 'text/event-stream' },
      body: 'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}\n\ndata: {"error":{"message":"boom","type":"server_error"}}\n\n',
    });
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Hello' }],
      stream: true,
    });
    const seen: string[] = [];
    const error = await (async () => {
      for await (const chunk of stream) seen.push(chunk.choices[0]?.delta?.content ?? '');
    })().catch((caught: unknown) => caught);
    expect(seen).toEqual(['Hi']);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as Error).message).toContain('boom');
  });

  it('authenticates with X-API-Key through defaultHeaders', async () => {
    const keyed = new OpenAI({
      baseURL: `${gateway.url}/v1`,
      apiKey: 'unused-placeholder',
      defaultHeaders: { 'X-API-Key': TEST_KEY, Authorization: null },
      maxRetries: 0,
    });
    const models = await keyed.models.list();
    expect(models.data.map((model) => model.id)).toContain('gpt-4o');
  });

  it('lists and retrieves models', async () => {
    const page = await client.models.list();
    expect(page.data.length).toBeGreaterThan(10);
    const model = await client.models.retrieve('gpt-4o-mini');
    expect(model.id).toBe('gpt-4o-mini');
  });

  it('creates embeddings with the SDK default (base64 decoded by the SDK)', async () => {
    const result = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: ['alpha', 'beta'],
    });
    expect(result.data).toHaveLength(2);
    expect(result.data[0]?.embedding).toHaveLength(8);
    expect(typeof result.data[0]?.embedding[0]).toBe('number');
    expect((upstream.last().json as { encoding_format?: string }).encoding_format).toBe('base64');
  });
});
