import { passThroughOnly } from '../helpers/routing.js';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FakeUpstream } from '../helpers/fake-upstream.js';
import {
  CHAT_COMPLETION,
  CHAT_STREAM,
  CHAT_STREAM_TOOL_CALLS,
  CHAT_STREAM_USAGE,
  startFakeOpenAI,
  streamChat,
  withoutUsage,
} from '../helpers/fake-openai.js';
import { OPENAI_KEY, authHeaders, buildTestApp, type TestApp } from '../helpers/build-app.js';
import { assertOpenAISchema } from '../helpers/openai-schemas.js';

const KEY_A = 'cache-test-key-aaaaaaaa';
const KEY_B = 'cache-test-key-bbbbbbbb';

let upstream: FakeUpstream;
let gateway: TestApp;
let question = 0;

/** A chat request no other test asked, so each test starts with a cold cache. */
function freshChat(extra: Record<string, unknown> = {}) {
  question++;
  return { model: 'gpt-4o', messages: [{ role: 'user', content: `Question ${question}` }], ...extra };
}

function post(app: TestApp, url: string, body: unknown, headers: Record<string, string> = {}) {
  return app.app.inject({
    method: 'POST',
    url,
    headers: { ...authHeaders(KEY_A), 'content-type': 'application/json', ...headers },
    payload: JSON.stringify(body),
  });
}

const chat = (body: unknown, headers: Record<string, string> = {}) =>
  post(gateway, '/v1/chat/completions', body, headers);
const embed = (body: unknown, headers: Record<string, string> = {}) =>
  post(gateway, '/v1/embeddings', body, headers);

function dataEvents(payload: string): string[] {
  return payload
    .split('\n\n')
    .filter((frame) => frame.startsWith('data: '))
    .map((frame) => frame.slice(6));
}

/** Checks every event of an SSE answer against OpenAI's chunk schema; returns the chunks. */
function validStream(payload: string): Record<string, unknown>[] {
  const events = dataEvents(payload);
  expect(events.at(-1)).toBe('[DONE]');
  const chunks = events.slice(0, -1).map((event) => JSON.parse(event) as Record<string, unknown>);
  for (const chunk of chunks) assertOpenAISchema('CreateChatCompletionStreamResponse', chunk);
  return chunks;
}

function streamedText(chunks: Record<string, unknown>[]): string {
  return chunks
    .flatMap((chunk) => chunk['choices'] as { delta: { content?: string | null } }[])
    .map((choice) => choice.delta.content ?? '')
    .join('');
}

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  gateway = await buildTestApp({
    env: {
      OPENAI_API_KEY: OPENAI_KEY,
      OPENAI_BASE_URL: `${upstream.origin}/v1`,
      GATEWAY_API_KEYS: `${KEY_A},${KEY_B}`,
      CACHE_ENABLED: 'true',
      CACHE_TTL: '60',
    },
    configure: passThroughOnly,
  });
});

afterAll(async () => {
  await gateway.close();
  await upstream.close();
});

afterEach(() => {
  upstream.reset();
  vi.useRealTimers();
});

describe('chat completions: unary', () => {
  it('misses, stores, then answers the same request from the cache byte for byte', async () => {
    const body = freshChat();
    const first = await chat(body);
    expect(first.statusCode).toBe(200);
    expect(first.headers['x-cache']).toBe('MISS');
    const second = await chat(body);
    expect(second.statusCode).toBe(200);
    expect(second.headers['x-cache']).toBe('HIT');
    expect(second.body).toBe(CHAT_COMPLETION);
    assertOpenAISchema('CreateChatCompletionResponse', second.json());
    expect(second.headers['x-gateway-provider']).toBe('openai');
    expect(second.headers['x-gateway-model']).toBe('gpt-4o');
    expect(second.headers['x-gateway-attempts']).toBe('0');
    expect(upstream.received('/v1/chat/completions')).toHaveLength(1);
    expect(gateway.logs.accessLines().at(-1)?.['cache']).toBe('HIT');
  });

  it('ignores key order, user, metadata and stream_options, and the provider prefix of a catalog model', async () => {
    const body = freshChat({ temperature: 0.3, user: 'alice', metadata: { team: 'a' } });
    await chat(body);
    const reordered = {
      temperature: 0.3,
      user: 'bob',
      messages: body.messages,
      model: 'openai/gpt-4o',
    };
    const again = await chat(reordered);
    expect(again.headers['x-cache']).toBe('HIT');
    expect(upstream.received()).toHaveLength(1);
  });

  it('misses when anything that changes the answer differs', async () => {
    const body = freshChat({ temperature: 0.3 });
    await chat(body);
    const variants = [
      { ...body, temperature: 0.4 },
      { ...body, messages: [...body.messages, { role: 'user', content: 'and?' }] },
      { ...body, response_format: { type: 'json_object' } },
      {
        ...body,
        tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }],
      },
      { ...body, model: 'gpt-4o-mini' },
    ];
    for (const variant of variants) {
      const response = await chat(variant);
      expect(response.headers['x-cache'], JSON.stringify(variant)).toBe('MISS');
    }
    expect(upstream.received()).toHaveLength(1 + variants.length);
  });

  it('keeps each key to its own entries by default', async () => {
    const body = freshChat();
    await chat(body);
    const other = await chat(body, authHeaders(KEY_B));
    expect(other.headers['x-cache']).toBe('MISS');
    expect(upstream.received()).toHaveLength(2);
  });

  it('honours Cache-Control no-cache (fresh answer, stored) and no-store (neither)', async () => {
    const body = freshChat();
    await chat(body);
    const noCache = await chat(body, { 'cache-control': 'no-cache' });
    expect(noCache.headers['x-cache']).toBe('BYPASS');
    expect(upstream.received()).toHaveLength(2);

    const other = freshChat();
    const noStore = await chat(other, { 'cache-control': 'no-store' });
    expect(noStore.headers['x-cache']).toBe('BYPASS');
    const after = await chat(other);
    expect(after.headers['x-cache']).toBe('MISS');
    expect(upstream.received()).toHaveLength(4);
  });

  it('keeps nothing with x-gateway-cache-ttl: 0 and refuses a malformed TTL with a 400 naming the header', async () => {
    const body = freshChat();
    await chat(body, { 'x-gateway-cache-ttl': '0' });
    expect((await chat(body)).headers['x-cache']).toBe('MISS');

    for (const value of ['soon', '-5', '1.5', '999999999']) {
      const response = await chat(freshChat(), { 'x-gateway-cache-ttl': value });
      expect(response.statusCode).toBe(400);
      const error = response.json();
      assertOpenAISchema('ErrorResponse', error);
      expect(error.error.param).toBe('x-gateway-cache-ttl');
      expect(response.headers['x-cache']).toBe('BYPASS');
    }
  });

  it('forgets an entry after its TTL (the per-request TTL included)', async () => {
    vi.useFakeTimers({ toFake: ['performance', 'Date'] });
    // The fake clock starts at 0, a time lru-cache reads as "no start recorded".
    vi.advanceTimersByTime(1_000);
    const body = freshChat();
    await chat(body, { 'x-gateway-cache-ttl': '5' });
    vi.advanceTimersByTime(4_000);
    expect((await chat(body)).headers['x-cache']).toBe('HIT');
    vi.advanceTimersByTime(1_500);
    expect((await chat(body)).headers['x-cache']).toBe('MISS');

    const defaultTtl = freshChat();
    await chat(defaultTtl);
    vi.advanceTimersByTime(59_000);
    expect((await chat(defaultTtl)).headers['x-cache']).toBe('HIT');
    vi.advanceTimersByTime(2_000);
    expect((await chat(defaultTtl)).headers['x-cache']).toBe('MISS');
  });

  it('never stores an error answer', async () => {
    const body = freshChat();
    upstream.enqueue('POST', '/v1/chat/completions', { status: 500, json: { error: { message: 'boom' } } });
    const failed = await chat(body);
    expect(failed.statusCode).toBe(500);
    expect(failed.headers['x-cache']).toBe('MISS');
    const retried = await chat(body);
    expect(retried.statusCode).toBe(200);
    expect(retried.headers['x-cache']).toBe('MISS');
  });

  it('says BYPASS on answers refused before the cache was asked', async () => {
    const response = await gateway.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { authorization: 'Bearer wrong-key-000000', 'content-type': 'application/json' },
      payload: JSON.stringify(freshChat()),
    });
    expect(response.statusCode).toBe(401);
    expect(response.headers['x-cache']).toBe('BYPASS');
    const invalid = await chat({ model: 'gpt-4o', messages: [] });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.headers['x-cache']).toBe('BYPASS');
  });
});

describe('chat completions: streams', () => {
  it('stores a stream that ended cleanly and replays it as the same SSE events', async () => {
    const body = freshChat({ stream: true });
    const first = await chat(body);
    expect(first.headers['x-cache']).toBe('MISS');
    expect(first.body).toBe(withoutUsage(CHAT_STREAM_USAGE));
    const second = await chat(body);
    expect(second.headers['x-cache']).toBe('HIT');
    expect(second.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(second.body).toBe(first.body);
    validStream(second.body);
    // The usage the gateway asked for is kept, so a client that wants it is answered too.
    const withUsage = await chat({ ...body, stream_options: { include_usage: true } });
    expect(withUsage.headers['x-cache']).toBe('HIT');
    expect(validStream(withUsage.body).at(-1)?.['usage']).toMatchObject({ total_tokens: 29 });
    expect(upstream.received()).toHaveLength(1);
  });

  it('replays the usage chunk only to a request that asked for it', async () => {
    const body = freshChat({ stream: true, stream_options: { include_usage: true } });
    await chat(body);
    const again = await chat(body);
    expect(again.headers['x-cache']).toBe('HIT');
    expect(again.body).toBe(CHAT_STREAM_USAGE);

    const noUsage = await chat({ ...body, stream_options: undefined });
    expect(noUsage.headers['x-cache']).toBe('HIT');
    const chunks = validStream(noUsage.body);
    expect(chunks.some((chunk) => chunk['usage'])).toBe(false);
    expect(upstream.received()).toHaveLength(1);
  });

  it('answers a unary request from a stored stream with the assembled chat.completion', async () => {
    const body = freshChat({ stream: true, stream_options: { include_usage: true } });
    const streamed = await chat(body);
    const unary = await chat({ ...body, stream: false, stream_options: undefined });
    expect(unary.headers['x-cache']).toBe('HIT');
    expect(unary.headers['content-type']).toMatch(/^application\/json/);
    const completion = unary.json();
    assertOpenAISchema('CreateChatCompletionResponse', completion);
    expect(completion.choices[0].message.content).toBe(streamedText(validStream(streamed.body)));
    expect(completion.choices[0].finish_reason).toBe('stop');
    expect(completion.usage.total_tokens).toBe(29);
    expect(upstream.received()).toHaveLength(1);
  });

  it('assembles streamed tool calls into the message', async () => {
    upstream.enqueue('POST', '/v1/chat/completions', streamChat(CHAT_STREAM_TOOL_CALLS));
    const body = freshChat({ stream: true, stream_options: { include_usage: true } });
    await chat(body);
    const unary = await chat({ ...body, stream: false });
    // The tool-call fixture carries no usage chunk, so it cannot stand in for a unary answer.
    expect(unary.headers['x-cache']).toBe('MISS');

    upstream.enqueue(
      'POST',
      '/v1/chat/completions',
      streamChat(
        CHAT_STREAM_TOOL_CALLS.replace(
          'data: [DONE]',
          `data: ${JSON.stringify({
            id: 'chatcmpl-CZ7zA1bQw8eRt5Yu2Io9Pa3Sd',
            object: 'chat.completion.chunk',
            created: 1762560502,
            model: 'gpt-4o-2024-08-06',
            choices: [],
            usage: { prompt_tokens: 50, completion_tokens: 40, total_tokens: 90 },
          })}\n\ndata: [DONE]`,
        ),
      ),
    );
    const withUsage = freshChat({ stream: true, stream_options: { include_usage: true } });
    const streamed = await chat(withUsage);
    validStream(streamed.body);
    const assembled = await chat({ ...withUsage, stream: false });
    expect(assembled.headers['x-cache']).toBe('HIT');
    const completion = assembled.json();
    assertOpenAISchema('CreateChatCompletionResponse', completion);
    const calls = completion.choices[0].message.tool_calls;
    expect(calls.length).toBeGreaterThanOrEqual(2);
    for (const call of calls) {
      expect(call.id).toMatch(/^call_/);
      expect(() => JSON.parse(call.function.arguments)).not.toThrow();
    }
    expect(completion.choices[0].finish_reason).toBe('tool_calls');
  });

  it('answers a stream request from a stored unary answer as valid SSE', async () => {
    const body = freshChat();
    await chat(body);
    const streamed = await chat({ ...body, stream: true, stream_options: { include_usage: true } });
    expect(streamed.headers['x-cache']).toBe('HIT');
    expect(streamed.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const chunks = validStream(streamed.body);
    const original = JSON.parse(CHAT_COMPLETION);
    expect(streamedText(chunks)).toBe(original.choices[0].message.content);
    expect(chunks.at(-1)?.['usage']).toEqual(original.usage);
    expect(chunks.every((chunk) => chunk['id'] === original.id)).toBe(true);
    expect(upstream.received()).toHaveLength(1);
  });

  it('never stores a stream cut short or ended by an error', async () => {
    const cut = CHAT_STREAM.indexOf('data: ', 800);
    const body = freshChat({ stream: true });
    upstream.enqueue('POST', '/v1/chat/completions', { ...streamChat(CHAT_STREAM), reset: cut + 10 });
    const broken = await chat(body);
    expect(dataEvents(broken.body)).not.toContain('[DONE]');
    expect((await chat(body)).headers['x-cache']).toBe('MISS');

    const other = freshChat({ stream: true });
    const first = CHAT_STREAM.split('\n\n')[0];
    upstream.enqueue('POST', '/v1/chat/completions', {
      status: 200,
      headers: { 'content-type': 'text/event-stream' },
      body: `${first}\n\ndata: {"error":{"message":"overloaded","type":"server_error"}}\n\n`,
    });
    await chat(other);
    expect((await chat(other)).headers['x-cache']).toBe('MISS');

    const noDone = freshChat({ stream: true });
    upstream.enqueue('POST', '/v1/chat/completions', streamChat(CHAT_STREAM.replace('data: [DONE]\n\n', '')));
    await chat(noDone);
    expect((await chat(noDone)).headers['x-cache']).toBe('MISS');
  });
});

describe('embeddings', () => {
  it('caches per input item: a batch with known items sends only the others upstream', async () => {
    const model = 'text-embedding-3-small';
    const first = await embed({ model, input: ['alpha', 'beta'] });
    expect(first.headers['x-cache']).toBe('MISS');
    const firstData = first.json().data;

    const mixed = await embed({ model, input: ['gamma', 'alpha', 'delta', 'beta'], user: 'someone' });
    expect(mixed.statusCode).toBe(200);
    expect(mixed.headers['x-cache']).toBe('MISS');
    expect(mixed.headers['x-gateway-cache-hits']).toBe('2/4');
    expect((upstream.last().json as { input: string[] }).input).toEqual(['gamma', 'delta']);
    const body = mixed.json();
    assertOpenAISchema('CreateEmbeddingResponse', body);
    expect(body.data.map((item: { index: number }) => item.index)).toEqual([0, 1, 2, 3]);
    expect(body.data[1].embedding).toEqual(firstData[0].embedding);
    expect(body.data[3].embedding).toEqual(firstData[1].embedding);

    const all = await embed({ model, input: ['delta', 'alpha'] });
    expect(all.headers['x-cache']).toBe('HIT');
    const allBody = all.json();
    assertOpenAISchema('CreateEmbeddingResponse', allBody);
    expect(allBody.data[0].embedding).toEqual(body.data[2].embedding);
    expect(allBody.usage).toEqual({ prompt_tokens: 0, total_tokens: 0 });
    expect(upstream.received('/v1/embeddings')).toHaveLength(2);
  });

  it('keeps different parameters apart (dimensions, encoding format)', async () => {
    const model = 'text-embedding-3-small';
    await embed({ model, input: 'epsilon' });
    expect((await embed({ model, input: 'epsilon', dimensions: 4 })).headers['x-cache']).toBe('MISS');
    const base64 = await embed({ model, input: 'epsilon', encoding_format: 'base64' });
    expect(base64.headers['x-cache']).toBe('MISS');
    const again = await embed({ model, input: 'epsilon', encoding_format: 'base64' });
    expect(again.headers['x-cache']).toBe('HIT');
    expect(typeof again.json().data[0].embedding).toBe('string');
    expect(again.json().data[0].embedding).toBe(base64.json().data[0].embedding);
  });

  it('caches token-id inputs too', async () => {
    const model = 'text-embedding-3-small';
    await embed({
      model,
      input: [
        [1, 2, 3],
        [4, 5],
      ],
    });
    const again = await embed({ model, input: [[4, 5], [6]] });
    expect(again.headers['x-gateway-cache-hits']).toBe('1/2');
    expect((upstream.last().json as { input: number[][] }).input).toEqual([[6]]);
  });
});

describe('global scope', () => {
  it('shares entries between keys with CACHE_SCOPE=global', async () => {
    const shared = await buildTestApp({
      env: {
        OPENAI_API_KEY: OPENAI_KEY,
        OPENAI_BASE_URL: `${upstream.origin}/v1`,
        GATEWAY_API_KEYS: `${KEY_A},${KEY_B}`,
        CACHE_ENABLED: 'true',
        CACHE_SCOPE: 'global',
      },
    });
    try {
      const body = freshChat();
      expect((await post(shared, '/v1/chat/completions', body)).headers['x-cache']).toBe('MISS');
      const other = await post(shared, '/v1/chat/completions', body, authHeaders(KEY_B));
      expect(other.headers['x-cache']).toBe('HIT');
      expect(upstream.received()).toHaveLength(1);
    } finally {
      await shared.close();
    }
  });
});

describe('switched off', () => {
  it('calls the provider every time and sends no X-Cache with CACHE_ENABLED=false', async () => {
    const off = await buildTestApp({
      env: { OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: `${upstream.origin}/v1`, CACHE_ENABLED: 'false' },
    });
    try {
      const body = freshChat();
      for (let index = 0; index < 2; index++) {
        const response = await post(off, '/v1/chat/completions', body, authHeaders());
        expect(response.statusCode).toBe(200);
        expect(response.headers['x-cache']).toBeUndefined();
      }
      expect(upstream.received()).toHaveLength(2);
    } finally {
      await off.close();
    }
  });
});
