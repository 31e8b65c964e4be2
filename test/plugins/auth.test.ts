import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI } from '../helpers/fake-openai.js';
import type { FakeUpstream } from '../helpers/fake-upstream.js';
import { OPENAI_KEY, TEST_KEY, buildTestApp, type TestApp } from '../helpers/build-app.js';
import { assertOpenAISchema } from '../helpers/openai-schemas.js';

let upstream: FakeUpstream;
let gateway: TestApp;
let protectedGateway: TestApp;
const SECOND_KEY = 'second-gateway-key-42';

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  const env = { OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: `${upstream.origin}/v1` };
  gateway = await buildTestApp({ env: { ...env, GATEWAY_API_KEYS: `${TEST_KEY},${SECOND_KEY}` } });
  protectedGateway = await buildTestApp({ env: { ...env, GATEWAY_API_KEYS: '' } });
});
afterAll(async () => {
  await gateway.close();
  await protectedGateway.close();
  await upstream.close();
});

const chat = { model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] };

function post(app: TestApp, headers: Record<string, string>, remoteAddress = '127.0.0.1') {
  return app.app.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    headers: { 'content-type': 'application/json', ...headers },
    payload: JSON.stringify(chat),
    remoteAddress,
  });
}

describe('gateway keys', () => {
  it.each([
    ['Authorization: Bearer', { authorization: `Bearer ${TEST_KEY}` }],
    ['lower-case bearer', { authorization: `bearer ${TEST_KEY}` }],
    ['X-API-Key', { 'x-api-key': TEST_KEY }],
    ['the second of several keys', { authorization: `Bearer ${SECOND_KEY}` }],
  ])('accepts a key sent as %s', async (_label, headers) => {
    const response = await post(gateway, headers, '10.1.2.3');
    expect(response.statusCode).toBe(200);
  });

  it.each([
    ['no key', {}, 'Missing API key'],
    ['an unknown key', { authorization: 'Bearer not-the-key-at-all' }, 'Invalid API key'],
    [
      'a key differing in one character',
      { authorization: `Bearer ${TEST_KEY.slice(0, -1)}x` },
      'Invalid API key',
    ],
    ['an empty bearer', { authorization: 'Bearer ' }, 'Missing API key'],
    ['another scheme', { authorization: `Basic ${TEST_KEY}` }, 'Missing API key'],
  ])('answers 401 invalid_api_key for %s', async (_label, headers, message) => {
    const response = await post(gateway, headers as Record<string, string>, '10.1.2.3');
    expect(response.statusCode).toBe(401);
    const body = response.json();
    assertOpenAISchema('ErrorResponse', body);
    expect(body.error.type).toBe('invalid_api_key');
    expect(body.error.code).toBe('invalid_api_key');
    expect(body.error.message).toContain(message);
  });

  it('identifies each key separately, by a hash prefix, in the access log', async () => {
    await post(gateway, { authorization: `Bearer ${TEST_KEY}` });
    await post(gateway, { authorization: `Bearer ${SECOND_KEY}` });
    const keys = gateway.logs
      .accessLines()
      .slice(-2)
      .map((line) => line['key']);
    expect(keys[0]).toMatch(/^key_[0-9a-f]{12}$/);
    expect(keys[1]).toMatch(/^key_[0-9a-f]{12}$/);
    expect(keys[0]).not.toBe(keys[1]);
  });

  it('never forwards the client key upstream and never logs it', async () => {
    upstream.reset();
    await post(gateway, { authorization: `Bearer ${TEST_KEY}` });
    await post(gateway, { authorization: 'Bearer wrong-key-but-still-secret' });
    expect(upstream.last().headers['authorization']).toBe(`Bearer ${OPENAI_KEY}`);
    expect(JSON.stringify(upstream.requests.map((request) => request.headers))).not.toContain(TEST_KEY);
    const logs = gateway.logs.text();
    expect(logs).not.toContain(TEST_KEY);
    expect(logs).not.toContain('wrong-key-but-still-secret');
    expect(logs).not.toContain(OPENAI_KEY);
    expect(gateway.logs.lines.some((line) => line['event'] === 'auth_failure')).toBe(true);
  });

  it('lets health, discovery and docs through without a key', async () => {
    for (const url of [
      '/health',
      '/v1/health/live',
      '/v1/health/ready',
      '/',
      '/v1/',
      '/openapi.json',
      '/docs/',
    ]) {
      const response = await gateway.app.inject({ method: 'GET', url, remoteAddress: '10.1.2.3' });
      expect(response.statusCode, url).toBeLessThan(400);
    }
  });

  it('protects the model list and the detailed health', async () => {
    for (const url of ['/v1/models', '/v1/health/detailed']) {
      const response = await gateway.app.inject({ method: 'GET', url, remoteAddress: '10.1.2.3' });
      expect(response.statusCode, url).toBe(401);
    }
  });
});

describe('protected mode (no keys configured)', () => {
  it.each(['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1'])(
    'serves a loopback client at %s',
    async (address) => {
      const response = await post(protectedGateway, {}, address);
      expect(response.statusCode).toBe(200);
    },
  );

  it.each(['10.0.0.5', '192.168.1.20', '::ffff:10.0.0.5', '2001:db8::1'])(
    'refuses %s with a 401 that says how to set keys',
    async (address) => {
      const response = await post(protectedGateway, { authorization: 'Bearer anything-at-all' }, address);
      expect(response.statusCode).toBe(401);
      const body = response.json();
      expect(body.error.type).toBe('invalid_api_key');
      expect(body.error.code).toBe('protected_mode');
      expect(body.error.message).toContain('GATEWAY_API_KEYS');
    },
  );

  it.each([
    ['Forwarded', { forwarded: 'for=203.0.113.7;proto=https' }],
    ['X-Forwarded-For', { 'x-forwarded-for': '203.0.113.7' }],
    ['X-Forwarded-Proto', { 'x-forwarded-proto': 'https' }],
    ['X-Real-IP', { 'x-real-ip': '203.0.113.7' }],
    ['X-Envoy-External-Address', { 'x-envoy-external-address': '203.0.113.7' }],
  ])(
    'refuses a loopback peer relaying a request with %s (a proxy or sidecar on this machine)',
    async (header, headers) => {
      const before = upstream.received().length;
      const response = await post(protectedGateway, headers, '127.0.0.1');
      expect(response.statusCode).toBe(401);
      const body = response.json();
      assertOpenAISchema('ErrorResponse', body);
      expect(body.error.code).toBe('protected_mode');
      expect(body.error.message).toContain(Object.keys(headers)[0]);
      expect(body.error.message).toContain('GATEWAY_API_KEYS');
      expect(response.headers['x-gateway-error-code']).toBe('GW_ERR_AUTH_PROTECTED_MODE_PROXIED');
      expect(upstream.received().length, header).toBe(before);
    },
  );

  it('still serves the loopback client that calls directly, and answers health behind a proxy', async () => {
    expect((await post(protectedGateway, {}, '127.0.0.1')).statusCode).toBe(200);
    const ready = await protectedGateway.app.inject({
      method: 'GET',
      url: '/v1/health/ready',
      headers: { 'x-forwarded-for': '203.0.113.7' },
      remoteAddress: '127.0.0.1',
    });
    expect(ready.statusCode).toBe(200);
  });

  it('does not take X-Forwarded-For as proof of being local', async () => {
    const response = await protectedGateway.app.inject({
      method: 'GET',
      url: '/v1/models',
      headers: { 'x-forwarded-for': '127.0.0.1' },
      remoteAddress: '10.0.0.5',
    });
    expect(response.statusCode).toBe(401);
  });
});
