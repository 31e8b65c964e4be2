import { request as httpRequest } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FakeUpstream } from '../../helpers/fake-upstream.js';
import {
  CHAT_COMPLETION,
  CHAT_STREAM,
  CHAT_STREAM_TOOL_CALLS,
  CHAT_STREAM_USAGE,
  openaiError,
  openaiFixture,
  startFakeOpenAI,
  streamChat,
  withoutUsage,
} from '../../helpers/fake-openai.js';
import { passThroughOnly } from '../../helpers/routing.js';
import { OPENAI_KEY, TEST_KEY, authHeaders, buildTestApp, type TestApp } from '../../helpers/build-app.js';
import { assertOpenAISchema } from '../../helpers/openai-schemas.js';
import { estimateTokens } from '../../../src/tokens.js';

let upstream: FakeUpstream;
let gateway: TestApp;

const hello = { model: 'gpt-4o', messages: [{ role: 'user', content: 'Hello' }] };

function post(body: unknown, headers: Record<string, string> = {}) {
  return gateway.app.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    headers: { ...authHeaders(), 'content-type': 'application/json', ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

function dataEvents(payload: string): string[] {
  return payload
    .split('\n\n')
    .filter((frame) => frame.startsWith('data: '))
    .map((frame) => frame.slice(6));
}

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  gateway = await buildTestApp({
    env: { OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: `${upstream.origin}/v1`, REQUEST_TIMEOUT: '15000' },
    configure: passThroughOnly,
  });
});

afterAll(async () => {
  await gateway.close();
  await upstream.close();
});

afterEach(() => upstream.reset());

describe('unary chat through the OpenAI provider', () => {
  it('returns the upstream body byte for byte and valid against the OpenAI schema', async () => {
    const response = await post(hello);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.body).toBe(CHAT_COMPLETION);
    assertOpenAISchema('CreateChatCompletionResponse', response.json());
    expect(response.headers['x-gateway-provider']).toBe('openai');
    expect(response.headers['x-gateway-model']).toBe('gpt-4o');
    expect(response.headers['x-gateway-attempts']).toBe('1');
    expect(Number(response.headers['x-gateway-overhead-ms'])).toBeGreaterThanOrEqual(0);
    expect(response.headers['x-request-id']).toBeTruthy();
  });

  it('forwards the request faithfully: unknown fields kept, only model set, our key and not the client key', async () => {
    const body = {
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'Hi' }] },
      ],
      temperature: 0.2,
      future_field: { nested: [1, 2, 3] },
      metadata: { team: 'a' },
    };
    await post(body);
    const received = upstream.last();
    expect(received.path).toBe('/v1/chat/completions');
    expect(received.json).toEqual(body);
    expect(received.headers['authorization']).toBe(`Bearer ${OPENAI_KEY}`);
    expect(JSON.stringify(received.headers)).not.toContain(TEST_KEY);
  });

  it('sends the upstream model name and the renames a reasoning model needs', async () => {
    await post({
      model: 'o3',
      messages: [
        { role: 'system', content: 'Rules' },
        { role: 'user', content: 'Hi' },
      ],
      max_tokens: 50,
    });
    const sent = upstream.last().json as Record<string, unknown>;
    expect(sent['model']).toBe('o3');
    expect(sent['max_tokens']).toBeUndefined();
    expect(sent['max_completion_tokens']).toBe(50);
    expect((sent['messages'] as { role: string }[])[0]?.role).toBe('developer');
  });

  it('drops a parameter the model refuses, with a warning header', async () => {
    const response = await post({
      model: 'o3',
      messages: [{ role: 'user', content: 'Hi' }],
      temperature: 0.5,
    });
    expect(response.statusCode).toBe(200);
    expect((upstream.last().json as Record<string, unknown>)['temperature']).toBeUndefined();
    expect(response.headers['x-gateway-warnings']).toContain("dropped unsupported parameter 'temperature'");
  });

  it('calls a model outside the catalog as <provider>/<model>', async () => {
    const response = await post({
      model: 'openai/gpt-5.1-codex',
      messages: [{ role: 'user', content: 'Hi' }],
    });
    expect(response.statusCode).toBe(200);
    expect((upstream.last().json as Record<string, unknown>)['model']).toBe('gpt-5.1-codex');
  });

  it('answers 404 model_not_found listing the available models for an unknown name', async () => {
    const response = await post({ model: 'gpt-99', messages: [{ role: 'user', content: 'Hi' }] });
    expect(response.statusCode).toBe(404);
    const body = response.json();
    assertOpenAISchema('ErrorResponse', body);
    expect(body.error.type).toBe('model_not_found');
    expect(body.error.code).toBe('model_not_found');
    expect(body.error.param).toBe('model');
    expect(body.error.details.available_models).toContain('gpt-4o');
    expect(body.error.details.available_models).not.toContain('gemini-2.5-pro');
    expect(upstream.requests).toHaveLength(0);
  });

  it('refuses an embeddings model on the chat endpoint', async () => {
    const response = await post({
      model: 'text-embedding-3-small',
      messages: [{ role: 'user', content: 'Hi' }],
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('model_not_supported');
  });
});

describe('streamed chat through the OpenAI provider', () => {
  it('relays every event as OpenAI sends it without include_usage, counts the usage it asked for, and ends with [DONE]', async () => {
    const response = await post({ ...hello, stream: true });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect((upstream.last().json as Record<string, unknown>)['stream_options']).toEqual({
      include_usage: true,
    });
    expect(response.body).toBe(withoutUsage(CHAT_STREAM_USAGE));
    expect(response.body).not.toContain('"usage"');
    const line = gateway.logs.accessLines().at(-1)!;
    expect(line['promptTokens']).toBe(24);
    expect(line['completionTokens']).toBe(5);
    const events = dataEvents(response.body);
    expect(events.at(-1)).toBe('[DONE]');
    for (const event of events.slice(0, -1))
      assertOpenAISchema('CreateChatCompletionStreamResponse', JSON.parse(event));
  });

  it('never hides a content chunk that carries a usage (servers that count as they go)', async () => {
    const counted =
      'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}\n\n' +
      'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}\n\n' +
      'data: [DONE]\n\n';
    upstream.enqueue('POST', '/v1/chat/completions', streamChat(counted));
    const response = await post({ ...hello, stream: true });
    const events = dataEvents(response.body);
    expect(events).toHaveLength(2);
    expect(JSON.parse(events[0]!).choices[0].delta.content).toBe('Hi');
    expect(events[1]).toBe('[DONE]');
    expect(gateway.logs.accessLines().at(-1)!['completionTokens']).toBe(1);
  });

  it('survives an upstream stream cut at every awkward boundary (1..7 bytes, inside UTF-8)', async () => {
    for (const size of [1, 2, 3, 5, 7]) {
      upstream.enqueue('POST', '/v1/chat/completions', streamChat(CHAT_STREAM, size));
      const response = await post({ ...hello, stream: true });
      expect(response.body).toBe(CHAT_STREAM);
    }
  });

  it('keeps include_usage semantics: the usage chunk is passed through and accounted', async () => {
    const response = await post({ ...hello, stream: true, stream_options: { include_usage: true } });
    expect(response.body).toBe(CHAT_STREAM_USAGE);
    expect((upstream.last().json as Record<string, unknown>)['stream_options']).toEqual({
      include_usage: true,
    });
    const line = gateway.logs.accessLines().at(-1)!;
    expect(line['promptTokens']).toBe(24);
    expect(line['completionTokens']).toBe(5);
  });

  it('relays parallel tool calls with their indexes', async () => {
    upstream.enqueue('POST', '/v1/chat/completions', streamChat(CHAT_STREAM_TOOL_CALLS, 11));
    const response = await post({ ...hello, stream: true });
    expect(response.body).toBe(CHAT_STREAM_TOOL_CALLS);
  });

  it('ends with an error event, not [DONE], when the upstream fails after the stream started', async () => {
    const cut = CHAT_STREAM.indexOf('data: ', 800);
    upstream.enqueue('POST', '/v1/chat/completions', { ...streamChat(CHAT_STREAM), reset: cut + 10 });
    const response = await post({ ...hello, stream: true });
    expect(response.statusCode).toBe(200);
    const events = dataEvents(response.body);
    expect(events).not.toContain('[DONE]');
    const last = JSON.parse(events.at(-1)!);
    assertOpenAISchema('ErrorResponse', last);
    expect(last.error.type).toBe('provider_error');
    // Cut before its usage: the completion is estimated from the text the client was sent.
    const sent = events
      .slice(0, -1)
      .map((event) => (JSON.parse(event).choices[0]?.delta?.content ?? '') as string)
      .join('');
    expect(sent.length).toBeGreaterThan(0);
    const line = gateway.logs.accessLines().at(-1)!;
    expect(line['usageEstimated']).toBe(true);
    expect(line['completionTokens']).toBe(estimateTokens(sent.length));
  });

  it('turns an error event sent mid-stream into the final error event', async () => {
    const first = CHAT_STREAM.split('\n\n')[0];
    upstream.enqueue('POST', '/v1/chat/completions', {
      status: 200,
      headers: { 'content-type': 'text/event-stream' },
      body: `${first}\n\ndata: {"error":{"message":"overloaded ${OPENAI_KEY}","type":"server_error"}}\n\n`,
    });
    const response = await post({ ...hello, stream: true });
    const last = JSON.parse(dataEvents(response.body).at(-1)!);
    expect(last.error.message).toContain('overloaded');
    expect(last.error.message).not.toContain(OPENAI_KEY);
  });

  it('treats a stream that ends without [DONE] as broken', async () => {
    upstream.enqueue('POST', '/v1/chat/completions', streamChat(CHAT_STREAM.replace('data: [DONE]\n\n', '')));
    const response = await post({ ...hello, stream: true });
    const last = JSON.parse(dataEvents(response.body).at(-1)!);
    expect(last.error.code).toBe('upstream_bad_response');
  });

  it('answers a plain error status when the upstream fails before the stream starts', async () => {
    upstream.enqueue(
      'POST',
      '/v1/chat/completions',
      openaiError(429, 'error-rate-limit.json', { 'retry-after': '7' }),
    );
    const response = await post({ ...hello, stream: true });
    expect(response.statusCode).toBe(429);
    expect(response.headers['retry-after']).toBe('7');
    expect(response.json().error.code).toBe('rate_limit_exceeded');
  });
});

describe('upstream errors', () => {
  it.each([
    [400, 'error-context-length.json', 'context_length_exceeded', 'messages'],
    [401, 'error-invalid-api-key.json', 'invalid_api_key', null],
    [429, 'error-rate-limit.json', 'rate_limit_exceeded', null],
    [500, 'error-server.json', null, null],
    [503, 'error-server.json', null, null],
  ])(
    'keeps status %i, the message, param and code, with type provider_error',
    async (status, fixture, code, param) => {
      upstream.enqueue('POST', '/v1/chat/completions', openaiError(status, fixture));
      const response = await post(hello);
      expect(response.statusCode).toBe(status);
      const body = response.json();
      assertOpenAISchema('ErrorResponse', body);
      expect(body.error.type).toBe('provider_error');
      expect(body.error.code).toBe(code);
      expect(body.error.param).toBe(param);
      expect(body.error.message).toBe(JSON.parse(openaiFixture(fixture)).error.message);
    },
  );

  it('keeps Retry-After on a 429', async () => {
    upstream.enqueue(
      'POST',
      '/v1/chat/completions',
      openaiError(429, 'error-rate-limit.json', { 'retry-after': '20' }),
    );
    const response = await post(hello);
    expect(response.statusCode).toBe(429);
    expect(response.headers['retry-after']).toBe('20');
  });

  it('never echoes our provider key from an upstream message', async () => {
    upstream.enqueue('POST', '/v1/chat/completions', {
      status: 401,
      json: {
        error: {
          message: `Incorrect API key provided: ${OPENAI_KEY}.`,
          type: 'invalid_request_error',
          code: 'invalid_api_key',
        },
      },
    });
    const response = await post(hello);
    expect(response.body).not.toContain(OPENAI_KEY);
  });

  it('answers 502 for a non-JSON error body, with the status in the message', async () => {
    upstream.enqueue('POST', '/v1/chat/completions', { status: 502, body: '<html>Bad gateway</html>' });
    const response = await post(hello);
    expect(response.statusCode).toBe(502);
    expect(response.json().error.type).toBe('provider_error');
  });

  it('answers 502 upstream_bad_response for a 200 that is not JSON', async () => {
    upstream.enqueue('POST', '/v1/chat/completions', { status: 200, body: 'not json' });
    const response = await post(hello);
    expect(response.statusCode).toBe(502);
    expect(response.json().error.code).toBe('upstream_bad_response');
  });

  it('answers 502 upstream_unreachable when the connection is reset', async () => {
    upstream.enqueue('POST', '/v1/chat/completions', { reset: 'before-headers' });
    const response = await post(hello);
    expect(response.statusCode).toBe(502);
    expect(response.json().error.code).toBe('upstream_unreachable');
  });

  describe('with a short REQUEST_TIMEOUT', () => {
    let short: TestApp;
    beforeAll(async () => {
      short = await buildTestApp({
        env: { OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: `${upstream.origin}/v1`, REQUEST_TIMEOUT: '300' },
        configure: passThroughOnly,
      });
    });
    afterAll(() => short.close());
    const postShort = (body: unknown) =>
      short.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers: { ...authHeaders(), 'content-type': 'application/json' },
        payload: JSON.stringify(body),
      });

    it('answers 504 timeout when the upstream hangs, and aborts the upstream call', async () => {
      upstream.enqueue('POST', '/v1/chat/completions', { hang: 'before-headers' });
      const response = await postShort(hello);
      expect(response.statusCode).toBe(504);
      const body = response.json();
      assertOpenAISchema('ErrorResponse', body);
      expect(body.error.type).toBe('timeout');
      expect(body.error.code).toBe('timeout');
      await expect.poll(() => upstream.aborted).toBe(1);
    });

    it('answers 504 when the upstream stalls in the middle of a unary body', async () => {
      upstream.enqueue('POST', '/v1/chat/completions', { ...streamChat(CHAT_COMPLETION), hang: 100 });
      const response = await postShort(hello);
      expect(response.statusCode).toBe(504);
    });

    it('ends a stream that outlives the timeout with a timeout error event', async () => {
      upstream.enqueue('POST', '/v1/chat/completions', { ...streamChat(CHAT_STREAM), hang: 400 });
      const response = await postShort({ ...hello, stream: true });
      const last = JSON.parse(dataEvents(response.body).at(-1)!);
      expect(last.error.code).toBe('timeout');
    });
  });
});

describe('client disconnects', () => {
  it('aborts the upstream request when the client goes away mid-stream', async () => {
    const url = new URL(await gateway.listen());
    upstream.enqueue('POST', '/v1/chat/completions', { ...streamChat(CHAT_STREAM), hang: 400 });
    await new Promise<void>((resolve, reject) => {
      const request = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: '/v1/chat/completions',
          method: 'POST',
          headers: { ...authHeaders(), 'content-type': 'application/json' },
        },
        (response) => {
          response.once('data', () => {
            request.destroy();
            resolve();
          });
        },
      );
      request.on('error', () => {});
      request.on('close', () => resolve());
      request.end(JSON.stringify({ ...hello, stream: true }));
      setTimeout(() => reject(new Error('no data')), 5000).unref();
    });
    await expect.poll(() => upstream.aborted, { timeout: 3000 }).toBe(1);
  });
});
