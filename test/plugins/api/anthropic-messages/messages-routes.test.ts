/**
 * The Anthropic door's routes over HTTP: bad input is a 400 in Anthropic's envelope (never a 500),
 * the gateway's limits answer in that envelope too, the routes are in the OpenAPI document and on
 * the discovery page, and the Anthropic adapter's pass-through sends the right headers.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FakeUpstream } from '../../../helpers/fake-upstream.js';
import {
  ANTHROPIC_KEY,
  MESSAGES_PATH,
  anthropicSse,
  fixtureEvents,
  startFakeAnthropic,
  streamAnthropic,
} from '../../../helpers/fake-anthropic.js';
import { TEST_KEY, buildTestApp, type TestApp } from '../../../helpers/build-app.js';
import { formatKeyHash } from '../../../../src/identity.js';

const BYOK_KEY = 'gwk_byok-anthropic-door-0001';
const OWN_PROVIDER_KEY = 'sk-ant-client-own-key-0001';

let upstream: FakeUpstream;
let gateway: TestApp;

beforeAll(async () => {
  upstream = await startFakeAnthropic();
  gateway = await buildTestApp({
    env: { ANTHROPIC_API_KEY: ANTHROPIC_KEY, ANTHROPIC_BASE_URL: upstream.origin },
    configure: (config) => {
      config.gateway.routing.retries.maxRetries = 0;
      const instance = config.gateway.providers['anthropic']!;
      config.gateway.providers['anthropic'] = {
        ...instance,
        betas: ['context-1m-2025-08-07'],
      } as typeof instance;
      config.gateway.providers['anthropic-fixed'] = {
        type: 'anthropic',
        baseUrl: upstream.origin,
        apiKey: ANTHROPIC_KEY,
        allowRequestBetas: false,
      } as typeof instance;
      config.gateway.auth.clients = [
        { id: 'byok', name: 'BYOK', keyHash: formatKeyHash(BYOK_KEY), byok: true },
      ];
    },
  });
});
afterAll(async () => {
  await gateway.close();
  await upstream.close();
});
afterEach(() => upstream.reset());

function post(body: unknown, headers: Record<string, string> = {}, url = '/v1/messages') {
  return gateway.app.inject({
    method: 'POST',
    url,
    headers: { 'x-api-key': TEST_KEY, 'content-type': 'application/json', ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const valid = { model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'Hi' }] };

describe('bad input', () => {
  it.each([
    ['no max_tokens', { ...valid, max_tokens: undefined }, 'max_tokens'],
    ['max_tokens as a string', { ...valid, max_tokens: '64' }, 'max_tokens'],
    ['no messages', { ...valid, messages: [] }, 'messages'],
    ['a role it does not know', { ...valid, messages: [{ role: 'tool', content: 'x' }] }, 'messages[0].role'],
    [
      'an image of a type Anthropic does not take',
      {
        ...valid,
        messages: [
          {
            role: 'user',
            content: [{ type: 'image', source: { type: 'base64', media_type: 'image/bmp', data: 'Qk0=' } }],
          },
        ],
      },
      'messages[0].content[0].source.media_type',
    ],
    [
      'a tool result without its call id',
      { ...valid, messages: [{ role: 'user', content: [{ type: 'tool_result', content: 'x' }] }] },
      'messages[0].content[0].tool_use_id',
    ],
    [
      'a thinking budget under 1024',
      { ...valid, thinking: { type: 'enabled', budget_tokens: 100 } },
      'thinking.budget_tokens',
    ],
    ['a tool without input_schema', { ...valid, tools: [{ name: 'x' }] }, 'tools[0].input_schema'],
    ['an unknown metadata field', { ...valid, metadata: { user_id: 'u', team: 't' } }, 'metadata.team'],
    ['a temperature above 1', { ...valid, temperature: 1.5 }, 'temperature'],
    [
      'a block without a type',
      { ...valid, messages: [{ role: 'user', content: [{ text: 'x' }] }] },
      'messages[0].content[0].type',
    ],
  ])('%s is a 400 invalid_request_error naming the field', async (_name, body, field) => {
    const response = await post(body);
    expect(response.statusCode).toBe(400);
    const error = response.json();
    expect(error).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error' },
      request_id: expect.any(String),
    });
    expect(error.error.message).toContain(field);
    expect(upstream.requests).toHaveLength(0);
  });

  it('answers a body that is not JSON, an array, or text with a 4xx in the envelope', async () => {
    for (const [payload, type, status] of [
      ['{"model":', 'application/json', 400],
      ['[1, 2]', 'application/json', 400],
      ['hello', 'text/plain', 415],
    ] as const) {
      const response = await post(payload, { 'content-type': type });
      expect(response.statusCode).toBe(status);
      expect(response.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    }
  });

  it('answers a missing key with authentication_error, and says where the key goes', async () => {
    const response = await gateway.app.inject({
      method: 'POST',
      url: '/v1/messages/count_tokens',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(valid),
    });
    expect(response.statusCode).toBe(401);
    expect(response.json().error).toMatchObject({
      type: 'authentication_error',
      message: expect.stringContaining('X-API-Key'),
    });
    expect(response.headers['request-id']).toBe(response.headers['x-request-id']);
  });
});

describe('the gateway’s limits', () => {
  it('answers a rate limit with rate_limit_error and Retry-After', async () => {
    const limited = await buildTestApp({
      env: {
        ANTHROPIC_API_KEY: ANTHROPIC_KEY,
        ANTHROPIC_BASE_URL: upstream.origin,
        RATE_LIMITING_ENABLED: 'true',
        RATE_LIMIT_CHAT_RPM: '1',
      },
    });
    try {
      const send = () =>
        limited.app.inject({
          method: 'POST',
          url: '/v1/messages',
          headers: { 'x-api-key': TEST_KEY, 'content-type': 'application/json' },
          payload: JSON.stringify(valid),
        });
      expect((await send()).statusCode).toBe(200);
      const refused = await send();
      expect(refused.statusCode).toBe(429);
      expect(refused.json().error.type).toBe('rate_limit_error');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    } finally {
      await limited.close();
    }
  });
});

describe('the Anthropic adapter passing requests through', () => {
  it('sends the instance’s betas with the client’s, and the gateway’s version when the client sent none', async () => {
    await post(valid, { 'anthropic-beta': 'interleaved-thinking-2025-05-14, context-1m-2025-08-07' });
    expect(upstream.last().headers['anthropic-beta']).toBe(
      'context-1m-2025-08-07,interleaved-thinking-2025-05-14',
    );
    expect(upstream.last().headers['anthropic-version']).toBe('2023-06-01');
  });

  it('refuses the client’s betas on an instance that does not take them, and takes none without', async () => {
    const refused = await post(
      { ...valid, model: 'anthropic-fixed/claude-sonnet-4-5' },
      { 'anthropic-beta': 'x-2025-01-01' },
    );
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.message).toContain('anthropic-beta');
    expect(upstream.requests).toHaveLength(0);
    expect((await post({ ...valid, model: 'anthropic-fixed/claude-sonnet-4-5' })).statusCode).toBe(200);
    expect(upstream.last().headers['anthropic-beta']).toBeUndefined();
  });

  it('refuses a malformed beta name', async () => {
    const refused = await post(valid, { 'anthropic-beta': 'not a beta' });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.type).toBe('invalid_request_error');
  });

  it('uses a client’s own provider key when it may bring one', async () => {
    const response = await post(valid, { 'x-api-key': BYOK_KEY, 'x-provider-api-key': OWN_PROVIDER_KEY });
    expect(response.statusCode).toBe(200);
    expect(upstream.last().headers['x-api-key']).toBe(OWN_PROVIDER_KEY);
    expect(gateway.logs.text()).not.toContain(OWN_PROVIDER_KEY);
  });

  it('ends a stream Anthropic cut before message_stop with an error event', async () => {
    const events = fixtureEvents('anthropic-text.chunks.txt').slice(0, -1);
    upstream.enqueue('POST', MESSAGES_PATH, streamAnthropic(anthropicSse(events)));
    const response = await post({ ...valid, stream: true });
    expect(response.statusCode).toBe(200);
    const frames = response.body.trim().split('\n\n');
    expect(frames.at(-2)).toMatch(/^event: message_delta\n/);
    expect(frames.at(-1)).toMatch(
      /^event: error\ndata: \{"type":"error","error":\{"type":"api_error","message":"The provider anthropic ended the stream before message_stop\."\}\}$/,
    );
    expect(gateway.logs.accessLines().at(-1)).toMatchObject({ error: 'GW_ERR_UPSTREAM_BAD_RESPONSE' });
  });
});

describe('the API surface', () => {
  it('documents both routes in the OpenAPI document, and lists them on the discovery page', async () => {
    const document = (await gateway.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(
      document.paths['/v1/messages']?.post?.requestBody?.content['application/json']?.schema?.required,
    ).toEqual(expect.arrayContaining(['model', 'messages', 'max_tokens']));
    expect(document.paths['/v1/messages/count_tokens']?.post).toBeDefined();
    const endpoints = (await gateway.app.inject({ method: 'GET', url: '/v1/' })).json().endpoints;
    expect(endpoints).toEqual(
      expect.arrayContaining(['POST /v1/messages', 'POST /v1/messages/count_tokens']),
    );
  });
});
