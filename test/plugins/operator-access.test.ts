/**
 * What only the operator reads, and what a caller without a valid key costs: the metrics and the
 * detailed health answer the operator's keys (GATEWAY_API_KEYS, admin keys, metrics keys) and refuse
 * a client key with 403; requests without a valid key are limited per client address, answered in
 * the envelope of the API they came in by, and their warning lines sampled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/build-app.js';
import { assertOpenAISchema } from '../helpers/openai-schemas.js';
import { formatKeyHash } from '../../src/identity.js';

const GATEWAY_KEY = 'gw-operator-test-key-1';
const ADMIN_KEY = 'gw-admin-test-key-22';
const SCRAPER_KEY = 'gw-scraper-test-key-333';
const CLIENT_KEY = 'gwk_tenant-key-of-a-client-4444';
const UNAUTHENTICATED_LIMIT = 3;

let gateway: TestApp;

beforeAll(async () => {
  gateway = await buildTestApp({
    env: {
      GATEWAY_API_KEYS: GATEWAY_KEY,
      GATEWAY_ADMIN_KEYS: ADMIN_KEY,
      METRICS_API_KEYS: SCRAPER_KEY,
      RATE_LIMITING_ENABLED: 'true',
      RATE_LIMIT_UNAUTHENTICATED_RPM: String(UNAUTHENTICATED_LIMIT),
    },
    configure: (config) => {
      config.gateway.auth.clients = [{ id: 'tenant', name: 'Tenant', keyHash: formatKeyHash(CLIENT_KEY) }];
    },
  });
});
afterAll(() => gateway.close());

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

function get(url: string, headers: Record<string, string>, remoteAddress = '10.20.0.1') {
  return gateway.app.inject({ method: 'GET', url, headers, remoteAddress });
}

const echoChat = { model: 'gateway/echo', messages: [{ role: 'user', content: 'Hi' }] };

function chat(headers: Record<string, string>, remoteAddress: string) {
  return gateway.app.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    headers: { 'content-type': 'application/json', ...headers },
    payload: JSON.stringify(echoChat),
    remoteAddress,
  });
}

function securityEvents(address: string): Record<string, unknown>[] {
  return gateway.logs.lines.filter((line) => line['msg'] === 'security event' && line['address'] === address);
}

const OPERATOR_ROUTES = ['/metrics', '/v1/health/metrics', '/v1/health/detailed'];

describe('the operator endpoints', () => {
  it.each([
    ['a gateway key (GATEWAY_API_KEYS)', GATEWAY_KEY],
    ['an admin key (GATEWAY_ADMIN_KEYS)', ADMIN_KEY],
    ['a metrics key (METRICS_API_KEYS)', SCRAPER_KEY],
  ])('answer %s', async (_label, key) => {
    for (const url of OPERATOR_ROUTES) {
      const response = await get(url, bearer(key));
      expect(response.statusCode, url).toBe(200);
    }
    expect((await get('/metrics', bearer(key))).body).toContain('llm_gateway_');
  });

  it('refuse a client key with 403 operator_key_required, and log it', async () => {
    for (const url of OPERATOR_ROUTES) {
      const response = await get(url, bearer(CLIENT_KEY));
      expect(response.statusCode, url).toBe(403);
      const body = response.json();
      assertOpenAISchema('ErrorResponse', body);
      expect(body.error).toMatchObject({ type: 'permission_denied', code: 'operator_key_required' });
      expect(response.headers['x-gateway-error-code']).toBe('GW_ERR_AUTH_OPERATOR_REQUIRED');
      expect(response.body).not.toContain('baseUrl');
    }
    expect(
      gateway.logs.lines.some((line) => line['reason'] === 'not_operator' && line['key'] === 'tenant'),
    ).toBe(true);
  });

  it('refuse a request without a key with 401', async () => {
    for (const url of OPERATOR_ROUTES) {
      expect((await get(url, {}, '10.20.0.2')).statusCode, url).toBe(401);
    }
  });

  it('give metrics and admin keys nothing else: no model call, no model list', async () => {
    // Each from its own address, to stay under the limit of requests without a valid key.
    for (const [index, key] of [SCRAPER_KEY, ADMIN_KEY].entries()) {
      expect((await chat(bearer(key), `10.20.1.${index}`)).statusCode).toBe(401);
      expect((await get('/v1/models', bearer(key), `10.20.2.${index}`)).statusCode).toBe(401);
    }
    // The client key still calls models, and the gateway key too.
    expect((await chat(bearer(CLIENT_KEY), '10.20.0.3')).statusCode).toBe(200);
    expect((await chat(bearer(GATEWAY_KEY), '10.20.0.3')).statusCode).toBe(200);
  });
});

describe('requests without a valid key', () => {
  it('are limited per client address, with a 429 in the OpenAI envelope, never the valid keys', async () => {
    const address = '10.30.0.1';
    for (let index = 0; index < UNAUTHENTICATED_LIMIT; index++) {
      expect((await chat(bearer(`wrong-key-${index}`), address)).statusCode).toBe(401);
    }
    const limited = await chat(bearer('wrong-key-again'), address);
    expect(limited.statusCode).toBe(429);
    const body = limited.json();
    assertOpenAISchema('ErrorResponse', body);
    expect(body.error).toMatchObject({ type: 'rate_limit_exceeded', code: 'rate_limit_exceeded' });
    expect(body.error.message).toContain('without a valid API key');
    expect(limited.headers['x-gateway-error-code']).toBe('GW_ERR_AUTH_TOO_MANY_ATTEMPTS');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await chat({}, address)).statusCode).toBe(429);

    // Another address is not limited by this one, and a valid key from this one is served.
    expect((await chat(bearer('wrong-key-elsewhere'), '10.30.0.2')).statusCode).toBe(401);
    expect((await chat(bearer(GATEWAY_KEY), address)).statusCode).toBe(200);
    expect((await chat(bearer(CLIENT_KEY), address)).statusCode).toBe(200);
  });

  it("are limited in the Anthropic Messages API's envelope on its door", async () => {
    const send = () =>
      gateway.app.inject({
        method: 'POST',
        url: '/v1/messages',
        headers: { 'content-type': 'application/json', 'x-api-key': 'not-a-valid-key' },
        payload: JSON.stringify({
          model: 'gateway/echo',
          max_tokens: 10,
          messages: [{ role: 'user', content: 'Hi' }],
        }),
        remoteAddress: '10.30.0.3',
      });
    for (let index = 0; index < UNAUTHENTICATED_LIMIT; index++) expect((await send()).statusCode).toBe(401);
    const limited = await send();
    expect(limited.statusCode).toBe(429);
    expect(limited.json()).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
    expect(limited.json().error.message).toContain('without a valid API key');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });

  it("are limited in Google's envelope on the Gemini API's door", async () => {
    const send = () =>
      gateway.app.inject({
        method: 'POST',
        url: '/v1beta/models/gateway%2Fecho:generateContent?key=not-a-valid-key',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'Hi' }] }] }),
        remoteAddress: '10.30.0.4',
      });
    for (let index = 0; index < UNAUTHENTICATED_LIMIT; index++) expect((await send()).statusCode).toBe(401);
    const limited = await send();
    expect(limited.statusCode).toBe(429);
    expect(limited.json()).toMatchObject({ error: { code: 429, status: 'RESOURCE_EXHAUSTED' } });
    expect(limited.json().error.message).toContain('without a valid API key');
  });

  it('write one warning line per address and reason a minute, not one per request', async () => {
    const address = '10.40.0.1';
    for (let index = 0; index < 8; index++) await chat(bearer(`guessed-key-${index}`), address);
    for (let index = 0; index < 4; index++) await chat({}, address);
    const events = securityEvents(address);
    expect(events.map((event) => event['reason'])).toEqual(['invalid_key', 'missing_key']);
    expect(events[0]).toMatchObject({
      event: 'auth_failure',
      keyHashPrefix: expect.stringMatching(/^[0-9a-f]{12}$/),
    });
    // Every request still has its access-log line.
    const refused = gateway.logs
      .accessLines()
      .filter((line) => line['status'] === 401 || line['status'] === 429);
    expect(refused.length).toBeGreaterThanOrEqual(12);
  });
});
