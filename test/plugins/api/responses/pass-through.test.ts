/**
 * The Responses API passed through to a provider that speaks it (the fake OpenAI): bodies and events
 * unchanged, and the stored responses it keeps reachable only by the key that created them.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FakeUpstream } from '../../../helpers/fake-upstream.js';
import {
  RESPONSE,
  RESPONSE_DELETED,
  RESPONSE_STREAM,
  RESPONSE_STREAM_TOOL_CALLS,
  STORED_RESPONSE_ID,
  openaiError,
  startFakeOpenAI,
  streamChat,
} from '../../../helpers/fake-openai.js';
import { OPENAI_KEY, TEST_KEY, authHeaders, buildTestApp, type TestApp } from '../../../helpers/build-app.js';
import { assertOpenAISchema } from '../../../helpers/openai-schemas.js';
import { formatKeyHash } from '../../../../src/identity.js';

let upstream: FakeUpstream;
let gateway: TestApp;

const ask = { model: 'o3-pro', input: 'What is the capital of France?' };

const OTHER_KEY = 'gw-test-other-key-9876543210';

function post(body: unknown, key?: string) {
  return gateway.app.inject({
    method: 'POST',
    url: '/v1/responses',
    headers: { ...authHeaders(key), 'content-type': 'application/json' },
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
    env: {
      GATEWAY_API_KEYS: `${TEST_KEY},${OTHER_KEY}`,
      OPENAI_API_KEY: OPENAI_KEY,
      OPENAI_BASE_URL: `${upstream.origin}/v1`,
      REQUEST_TIMEOUT: '3000',
    },
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
  function stored(method: 'GET' | 'DELETE', url: string, key?: string) {
    return gateway.app.inject({ method, url, headers: authHeaders(key) });
  }

  it('retrieves a response its key created, from the instance that made it, passing the query through', async () => {
    await post(ask);
    upstream.reset();
    const response = await stored(
      'GET',
      `/v1/responses/${STORED_RESPONSE_ID}?include[]=message.output_text.logprobs`,
    );
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

  it('deletes at the provider, leaving out the gateway’s own model parameter, and forgets the id', async () => {
    await post(ask);
    const response = await stored('DELETE', `/v1/responses/${STORED_RESPONSE_ID}?model=o3-pro`);
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe(RESPONSE_DELETED);
    expect(upstream.last().url).toBe(`/v1/responses/${STORED_RESPONSE_ID}`);
    upstream.reset();
    expect((await stored('GET', `/v1/responses/${STORED_RESPONSE_ID}`)).statusCode).toBe(404);
    expect(upstream.requests).toHaveLength(0);
  });

  it('answers 404 itself for an id no request of this key created, asking no provider', async () => {
    await post(ask);
    upstream.reset();
    for (const [method, key] of [
      ['GET', undefined],
      ['GET', OTHER_KEY],
      ['DELETE', OTHER_KEY],
    ] as const) {
      const url = `/v1/responses/${key ? STORED_RESPONSE_ID : 'resp_missing'}`;
      const response = await stored(method, url, key);
      expect(response.statusCode).toBe(404);
      expect(response.json().error).toMatchObject({ type: 'not_found', code: 'response_not_found' });
      assertOpenAISchema('ErrorResponse', response.json());
    }
    const continued = await post({ ...ask, previous_response_id: STORED_RESPONSE_ID }, OTHER_KEY);
    expect(continued.statusCode).toBe(404);
    expect(continued.json().error).toMatchObject({
      code: 'previous_response_not_found',
      param: 'previous_response_id',
    });
    expect(upstream.requests).toHaveLength(0);
  });

  it('records nothing for a response the provider does not keep (store: false)', async () => {
    await post({ ...ask, store: false }, OTHER_KEY);
    expect((await stored('GET', `/v1/responses/${STORED_RESPONSE_ID}`, OTHER_KEY)).statusCode).toBe(404);
  });

  it('refuses an id that is not one', async () => {
    const response = await stored('GET', '/v1/responses/..%2Fmodels');
    expect(response.statusCode).toBe(400);
    expect(response.json().error.param).toBe('id');
    expect(upstream.requests).toHaveLength(0);
  });
});

describe('a client key that brings its own provider key', () => {
  const BYOK_KEY = 'gwk_byok-client-key-never-logged-02';
  const OWN_PROVIDER_KEY = 'sk-client-own-provider-key-never-logged';

  it('reaches, with that key, the responses it made at the provider outside the gateway', async () => {
    const byok = await buildTestApp({
      env: { OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: `${upstream.origin}/v1` },
      configure: (config) => {
        config.gateway.auth.clients = [
          { id: 'byok-team', name: 'BYOK team', keyHash: formatKeyHash(BYOK_KEY), byok: true },
        ];
      },
    });
    try {
      const headers = { authorization: `Bearer ${BYOK_KEY}`, 'x-provider-api-key': OWN_PROVIDER_KEY };
      const response = await byok.app.inject({
        method: 'GET',
        url: `/v1/responses/${STORED_RESPONSE_ID}`,
        headers,
      });
      expect(response.statusCode).toBe(200);
      expect(upstream.last().headers['authorization']).toBe(`Bearer ${OWN_PROVIDER_KEY}`);
      const withoutOwnKey = await byok.app.inject({
        method: 'GET',
        url: `/v1/responses/${STORED_RESPONSE_ID}`,
        headers: { authorization: `Bearer ${BYOK_KEY}` },
      });
      expect(withoutOwnKey.statusCode).toBe(404);
      expect(upstream.requests).toHaveLength(1);
    } finally {
      await byok.close();
    }
  });
});
