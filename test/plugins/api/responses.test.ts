import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FakeUpstream } from '../../helpers/fake-upstream.js';
import {
  RESPONSE,
  RESPONSE_DELETED,
  RESPONSE_STREAM,
  RESPONSE_STREAM_TOOL_CALLS,
  STORED_RESPONSE_ID,
  openaiError,
  startFakeOpenAI,
  streamChat,
} from '../../helpers/fake-openai.js';
import { OPENAI_KEY, authHeaders, buildTestApp, type TestApp } from '../../helpers/build-app.js';
import { assertOpenAISchema } from '../../helpers/openai-schemas.js';

let upstream: FakeUpstream;
let gateway: TestApp;

const ask = { model: 'o3-pro', input: 'What is the capital of France?' };

function post(body: unknown) {
  return gateway.app.inject({
    method: 'POST',
    url: '/v1/responses',
    headers: { ...authHeaders(), 'content-type': 'application/json' },
    payload: JSON.stringify(body),
  });
}

/** Each `event:`/`data:` frame of a Responses event stream. */
function frames(payload: string): { event: string; data: unknown }[] {
  return payload
    .split('\n\n')
    .filter((frame) => frame.length > 0)
    .map((frame) => {
      const [eventLine, dataLine] = frame.split('\n');
      return {
        event: eventLine!.slice('event: '.length),
        data: JSON.parse(dataLine!.slice('data: '.length)),
      };
    });
}

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  gateway = await buildTestApp({
    env: { OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: `${upstream.origin}/v1`, REQUEST_TIMEOUT: '3000' },
  });
});

afterAll(async () => {
  await gateway.close();
  await upstream.close();
});

afterEach(() => upstream.reset());

describe('POST /v1/responses, passed through', () => {
  it('returns the upstream response byte for byte, valid against the Response schema', async () => {
    const body = { ...ask, reasoning: { effort: 'high' }, store: true, future_field: { a: 1 } };
    const response = await post(body);
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe(RESPONSE);
    assertOpenAISchema('Response', response.json());
    expect(upstream.last().path).toBe('/v1/responses');
    expect(upstream.last().json).toEqual(body);
    expect(response.headers['x-gateway-provider']).toBe('openai');
    const line = gateway.logs.accessLines().at(-1)!;
    expect(line['promptTokens']).toBe(18);
    expect(line['completionTokens']).toBe(210);
  });

  it('serves any chat model, not only Responses-only ones, with the upstream model name', async () => {
    await post({ ...ask, model: 'openai/gpt-5.1-codex' });
    expect((upstream.last().json as { model: string }).model).toBe('gpt-5.1-codex');
  });

  it('relays the typed event stream unchanged, every event valid, with no [DONE]', async () => {
    const response = await post({ ...ask, stream: true });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(response.body).toBe(RESPONSE_STREAM);
    for (const frame of frames(response.body)) {
      assertOpenAISchema('ResponseStreamEvent', frame.data);
      expect(frame.event).toBe((frame.data as { type: string }).type);
    }
    expect(response.body).not.toContain('[DONE]');
    expect(gateway.logs.accessLines().at(-1)!['completionTokens']).toBe(210);
  });

  it('relays a tool-call stream cut at awkward places unchanged', async () => {
    for (const size of [1, 7, 64]) {
      upstream.enqueue('POST', '/v1/responses', streamChat(RESPONSE_STREAM_TOOL_CALLS, size));
      const response = await post({ ...ask, stream: true });
      expect(response.body).toBe(RESPONSE_STREAM_TOOL_CALLS);
    }
  });

  it('ends with an error event when the upstream stream is cut', async () => {
    const cut = RESPONSE_STREAM.indexOf('event: response.output_text.delta');
    upstream.enqueue('POST', '/v1/responses', { ...streamChat(RESPONSE_STREAM), reset: cut });
    const response = await post({ ...ask, stream: true });
    const all = frames(response.body);
    const last = all.at(-1)!;
    expect(last.event).toBe('error');
    assertOpenAISchema('ResponseStreamEvent', last.data);
    expect(last.data).toMatchObject({
      type: 'error',
      code: 'upstream_unreachable',
      sequence_number: all.length - 1,
    });
  });

  it('treats a stream that ends without a terminal event as cut', async () => {
    const end = RESPONSE_STREAM.indexOf('event: response.completed');
    upstream.enqueue('POST', '/v1/responses', streamChat(RESPONSE_STREAM.slice(0, end)));
    const response = await post({ ...ask, stream: true });
    expect(frames(response.body).at(-1)!.event).toBe('error');
  });

  it('keeps the upstream status and message on an error', async () => {
    upstream.enqueue('POST', '/v1/responses', openaiError(400, 'error-context-length.json'));
    const response = await post(ask);
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({ type: 'provider_error', code: 'context_length_exceeded' });
  });

  it.each([
    ['no model', { input: 'Hi' }, 'model', 'missing_required_parameter'],
    ['a string stream', { ...ask, stream: 'true' }, 'stream', 'invalid_type'],
    ['a temperature out of range', { ...ask, temperature: 3 }, 'temperature', 'invalid_value'],
    [
      'a tool without a type',
      { ...ask, tools: [{ name: 'x' }] },
      'tools[0].type',
      'missing_required_parameter',
    ],
  ])('refuses %s with a 400 naming the field', async (_label, body, param, code) => {
    const response = await post(body);
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({ param, code });
    expect(upstream.requests).toHaveLength(0);
  });

  it('refuses an embeddings model', async () => {
    const response = await post({ ...ask, model: 'text-embedding-3-small' });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('model_not_supported');
  });
});

describe('GET and DELETE /v1/responses/{id}', () => {
  it('retrieves a stored response from the default instance, passing the query through', async () => {
    const response = await gateway.app.inject({
      method: 'GET',
      url: `/v1/responses/${STORED_RESPONSE_ID}?include[]=message.output_text.logprobs`,
      headers: authHeaders(),
    });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe(RESPONSE);
    assertOpenAISchema('Response', response.json());
    expect(upstream.last().method).toBe('GET');
    expect(decodeURIComponent(upstream.last().url)).toBe(
      `/v1/responses/${STORED_RESPONSE_ID}?include[]=message.output_text.logprobs`,
    );
    expect(upstream.last().headers['content-type']).toBeUndefined();
    expect(response.headers['x-gateway-provider']).toBe('openai');
  });

  it('deletes through the instance of the model named in the query, which is not sent on', async () => {
    const response = await gateway.app.inject({
      method: 'DELETE',
      url: `/v1/responses/${STORED_RESPONSE_ID}?model=o3-pro`,
      headers: authHeaders(),
    });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe(RESPONSE_DELETED);
    expect(upstream.last().url).toBe(`/v1/responses/${STORED_RESPONSE_ID}`);
  });

  it('passes a 404 for an unknown id through', async () => {
    const response = await gateway.app.inject({
      method: 'GET',
      url: '/v1/responses/resp_missing',
      headers: authHeaders(),
    });
    expect(response.statusCode).toBe(404);
    expect(response.json().error.type).toBe('provider_error');
  });

  it('refuses an id that is not one', async () => {
    const response = await gateway.app.inject({
      method: 'GET',
      url: '/v1/responses/..%2Fmodels',
      headers: authHeaders(),
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.param).toBe('id');
    expect(upstream.requests).toHaveLength(0);
  });
});
