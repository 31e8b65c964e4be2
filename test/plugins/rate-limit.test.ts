import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FakeUpstream } from '../helpers/fake-upstream.js';
import { startFakeOpenAI } from '../helpers/fake-openai.js';
import { OPENAI_KEY, authHeaders, buildTestApp, type TestApp } from '../helpers/build-app.js';
import { assertOpenAISchema } from '../helpers/openai-schemas.js';
import { formatKeyHash } from '../../src/identity.js';

const KEY_1 = 'rate-test-key-one-1111';
const KEY_2 = 'rate-test-key-two-2222';
const KEY_3 = 'rate-test-key-three-333';
const SLOW_CLIENT_KEY = 'gwk_rate-test-slow-client';
const TOKEN_CLIENT_KEY = 'gwk_rate-test-token-client';

let upstream: FakeUpstream;
const apps: TestApp[] = [];

async function gatewayWith(env: Record<string, string>) {
  const app = await buildTestApp({
    env: {
      OPENAI_API_KEY: OPENAI_KEY,
      OPENAI_BASE_URL: `${upstream.origin}/v1`,
      GATEWAY_API_KEYS: `${KEY_1},${KEY_2},${KEY_3}`,
      RATE_LIMITING_ENABLED: 'true',
      ...env,
    },
    configure: (config) => {
      config.gateway.auth.clients = [
        { id: 'slow', name: 'Slow client', keyHash: formatKeyHash(SLOW_CLIENT_KEY), rateLimits: { chat: 1 } },
        {
          id: 'tokens',
          name: 'Token client',
          keyHash: formatKeyHash(TOKEN_CLIENT_KEY),
          rateLimits: { tokensPerMinute: 40 },
        },
      ];
    },
  });
  apps.push(app);
  return app;
}

const hello = { model: 'gpt-4o', messages: [{ role: 'user', content: 'Hello' }] };

function post(app: TestApp, url: string, key: string, body: unknown) {
  return app.app.inject({
    method: 'POST',
    url,
    headers: { ...authHeaders(key), 'content-type': 'application/json' },
    payload: JSON.stringify(body),
  });
}

const chat = (app: TestApp, key = KEY_1, body: unknown = hello) =>
  post(app, '/v1/chat/completions', key, body);
const embed = (app: TestApp, key = KEY_1) =>
  post(app, '/v1/embeddings', key, { model: 'text-embedding-3-small', input: 'x' });

beforeAll(async () => {
  upstream = await startFakeOpenAI();
});

afterAll(async () => {
  for (const app of apps) await app.close();
  await upstream.close();
});

afterEach(() => upstream.reset());

describe('requests per minute', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await gatewayWith({ RATE_LIMIT_CHAT_RPM: '3', RATE_LIMIT_EMBEDDINGS_RPM: '2' });
  });

  it('counts each answer in X-RateLimit-* headers, then answers 429 rate_limit_exceeded with Retry-After', async () => {
    const remaining: string[] = [];
    for (let index = 0; index < 3; index++) {
      const response = await chat(app);
      expect(response.statusCode).toBe(200);
      expect(response.headers['x-ratelimit-limit']).toBe('3');
      expect(Number(response.headers['x-ratelimit-reset'])).toBeGreaterThan(0);
      expect(Number(response.headers['x-ratelimit-reset'])).toBeLessThanOrEqual(60);
      remaining.push(String(response.headers['x-ratelimit-remaining']));
    }
    expect(remaining).toEqual(['2', '1', '0']);

    const over = await chat(app);
    expect(over.statusCode).toBe(429);
    const body = over.json();
    assertOpenAISchema('ErrorResponse', body);
    expect(body.error).toMatchObject({ type: 'rate_limit_exceeded', code: 'rate_limit_exceeded' });
    expect(body.error.message).toContain('3 chat requests per minute');
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    expect(over.headers['x-ratelimit-limit']).toBe('3');
    expect(over.headers['x-ratelimit-remaining']).toBe('0');
    expect(over.headers['x-gateway-error-code']).toBe('GW_ERR_RATE_LIMITED');
    expect(upstream.received()).toHaveLength(3);
  });

  it('gives every key its own counter', async () => {
    const response = await chat(app, KEY_2);
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-ratelimit-remaining']).toBe('2');
  });

  it('limits each class on its own: embeddings at RATE_LIMIT_EMBEDDINGS_RPM', async () => {
    const first = await embed(app, KEY_3);
    expect(first.headers['x-ratelimit-limit']).toBe('2');
    await embed(app, KEY_3);
    expect((await embed(app, KEY_3)).statusCode).toBe(429);
    const chatStill = await chat(app, KEY_3);
    expect(chatStill.statusCode).toBe(200);
    expect(chatStill.headers['x-ratelimit-remaining']).toBe('2');
  });

  it('puts the headers on error answers of limited routes too, and none on routes without a class', async () => {
    const invalid = await post(app, '/v1/chat/completions', KEY_2, { model: 'gpt-4o' });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.headers['x-ratelimit-limit']).toBe('3');
    expect(invalid.headers['x-ratelimit-remaining']).toBe('1');
    const models = await app.app.inject({ method: 'GET', url: '/v1/models', headers: authHeaders(KEY_2) });
    expect(models.statusCode).toBe(200);
    expect(models.headers['x-ratelimit-limit']).toBeUndefined();
  });

  it('applies a client override of its class limit', async () => {
    expect((await chat(app, SLOW_CLIENT_KEY)).headers['x-ratelimit-limit']).toBe('1');
    expect((await chat(app, SLOW_CLIENT_KEY)).statusCode).toBe(429);
  });
});

describe('defaults and switches', () => {
  it('uses 60 chat and 30 embeddings requests per minute by default', async () => {
    const app = await gatewayWith({});
    expect((await chat(app)).headers['x-ratelimit-limit']).toBe('60');
    expect((await embed(app)).headers['x-ratelimit-limit']).toBe('30');
  });

  it('RATE_LIMITING_ENABLED=false turns it off', async () => {
    const app = await gatewayWith({ RATE_LIMITING_ENABLED: 'false', RATE_LIMIT_CHAT_RPM: '1' });
    for (let index = 0; index < 3; index++) {
      const response = await chat(app);
      expect(response.statusCode).toBe(200);
      expect(response.headers['x-ratelimit-limit']).toBeUndefined();
    }
  });
});

describe('tokens per minute', () => {
  it('refuses a key once the usage reported in the current minute reached its limit', async () => {
    const app = await gatewayWith({});
    // Each answer of the fake reports 30 tokens; the limit is 40.
    const first = await chat(app, TOKEN_CLIENT_KEY);
    expect(first.statusCode).toBe(200);
    expect(first.headers['x-ratelimit-limit-tokens']).toBe('40');
    expect(first.headers['x-ratelimit-remaining-tokens']).toBe('40');
    // The usage is counted once the answer is complete; a refused request (400) shows the count.
    await expect
      .poll(async () => (await chat(app, TOKEN_CLIENT_KEY, {})).headers['x-ratelimit-remaining-tokens'])
      .toBe('10');
    expect((await chat(app, TOKEN_CLIENT_KEY)).statusCode).toBe(200);
    await expect
      .poll(async () => (await chat(app, TOKEN_CLIENT_KEY, {})).headers['x-ratelimit-remaining-tokens'])
      .toBe('0');

    const over = await chat(app, TOKEN_CLIENT_KEY);
    expect(over.statusCode).toBe(429);
    assertOpenAISchema('ErrorResponse', over.json());
    expect(over.json().error.message).toContain('40 tokens per minute');
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(over.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(upstream.received()).toHaveLength(2);

    // Other keys have no token limit.
    const other = await chat(app, KEY_1);
    expect(other.statusCode).toBe(200);
    expect(other.headers['x-ratelimit-limit-tokens']).toBeUndefined();
  });

  it('applies RATE_LIMIT_TOKENS_PER_MINUTE to every key without its own', async () => {
    const app = await gatewayWith({ RATE_LIMIT_TOKENS_PER_MINUTE: '1000' });
    expect((await chat(app, KEY_2)).headers['x-ratelimit-limit-tokens']).toBe('1000');
    expect((await chat(app, TOKEN_CLIENT_KEY)).headers['x-ratelimit-limit-tokens']).toBe('40');
  });
});
