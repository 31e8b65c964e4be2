import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FakeUpstream } from '../helpers/fake-upstream.js';
import { startFakeOpenAI } from '../helpers/fake-openai.js';
import { OPENAI_KEY, buildTestApp, type TestApp } from '../helpers/build-app.js';
import { assertOpenAISchema } from '../helpers/openai-schemas.js';
import { formatKeyHash, hashKey } from '../../src/identity.js';

const GATEWAY_KEY_1 = 'gw-auth-test-key-one-111';
const GATEWAY_KEY_2 = 'gw-auth-test-key-two-222';
const TEAM_KEY = 'gwk_team-a-key-never-logged-0001';
const BYOK_KEY = 'gwk_byok-client-key-never-logged-02';
const CLIENT_PROVIDER_KEY = 'sk-client-own-provider-key-never-logged';
const EVERY_KEY = [GATEWAY_KEY_1, GATEWAY_KEY_2, TEAM_KEY, BYOK_KEY, CLIENT_PROVIDER_KEY, OPENAI_KEY];

const CLIENTS = [
  {
    id: 'team-a',
    name: 'Team A',
    keyHash: formatKeyHash(TEAM_KEY),
    allowedModels: ['gpt-4o-mini', 'text-embedding-*'],
  },
  { id: 'byok-team', name: 'BYOK team', keyHash: formatKeyHash(BYOK_KEY), byok: true },
];

let upstream: FakeUpstream;
const apps: TestApp[] = [];

async function gatewayWith(mode: 'gateway' | 'client' | 'hybrid', extraEnv: Record<string, string> = {}) {
  const app = await buildTestApp({
    env: {
      OPENAI_API_KEY: OPENAI_KEY,
      OPENAI_BASE_URL: `${upstream.origin}/v1`,
      AUTH_MODE: mode,
      GATEWAY_API_KEYS: mode === 'client' ? '' : `${GATEWAY_KEY_1},${GATEWAY_KEY_2}`,
      ...extraEnv,
    },
    configure: (config) => {
      if (mode !== 'gateway') config.gateway.auth.clients = CLIENTS;
    },
  });
  apps.push(app);
  return app;
}

function chat(app: TestApp, headers: Record<string, string>, model = 'gpt-4o-mini') {
  return app.app.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    headers: { 'content-type': 'application/json', ...headers },
    payload: JSON.stringify({ model, messages: [{ role: 'user', content: 'Hi' }] }),
  });
}

function securityEvents(app: TestApp): Record<string, unknown>[] {
  return app.logs.lines.filter((line) => line['msg'] === 'security event');
}

beforeAll(async () => {
  upstream = await startFakeOpenAI();
});

afterAll(async () => {
  for (const app of apps) await app.close();
  await upstream.close();
});

afterEach(() => upstream.reset());

describe('auth modes', () => {
  it('gateway: each GATEWAY_API_KEYS key works as Bearer and as X-API-Key; client keys do not', async () => {
    const app = await gatewayWith('gateway');
    expect((await chat(app, { authorization: `Bearer ${GATEWAY_KEY_1}` })).statusCode).toBe(200);
    expect((await chat(app, { 'x-api-key': GATEWAY_KEY_2 })).statusCode).toBe(200);
    const refused = await chat(app, { authorization: `Bearer ${TEAM_KEY}` });
    expect(refused.statusCode).toBe(401);
    const lines = app.logs.accessLines();
    expect(lines[0]?.['key']).toBe(`key_${hashKey(GATEWAY_KEY_1).toString('hex', 0, 6)}`);
    expect(lines[1]?.['key']).toBe(`key_${hashKey(GATEWAY_KEY_2).toString('hex', 0, 6)}`);
  });

  it('client: configured client keys only (held as hashes); GATEWAY_API_KEYS are not accepted', async () => {
    const app = await gatewayWith('client');
    expect((await chat(app, { authorization: `Bearer ${TEAM_KEY}` })).statusCode).toBe(200);
    expect((await chat(app, { 'x-api-key': BYOK_KEY })).statusCode).toBe(200);
    expect((await chat(app, { authorization: `Bearer ${GATEWAY_KEY_1}` })).statusCode).toBe(401);
    expect(app.logs.accessLines()[0]?.['key']).toBe('team-a');
    // What the gateway was configured with holds the digests, never a client key.
    expect(JSON.stringify(app.config)).not.toContain(TEAM_KEY);
    expect(JSON.stringify(app.config)).toContain(formatKeyHash(TEAM_KEY));
  });

  it('hybrid: both kinds of keys', async () => {
    const app = await gatewayWith('hybrid');
    expect((await chat(app, { authorization: `Bearer ${GATEWAY_KEY_1}` })).statusCode).toBe(200);
    expect((await chat(app, { authorization: `Bearer ${TEAM_KEY}` })).statusCode).toBe(200);
  });

  it('refuses to start when a client entry holds a plaintext key or a malformed hash', async () => {
    await expect(
      buildTestApp({
        env: { AUTH_MODE: 'client', GATEWAY_API_KEYS: '' },
        configure: (config) => {
          config.gateway.auth.clients = [
            { ...CLIENTS[0]!, key: TEAM_KEY } as unknown as (typeof config.gateway.auth.clients)[number],
          ];
        },
      }),
    ).rejects.toThrow(/auth\.clients\.0\.key/);
    await expect(
      buildTestApp({
        env: { AUTH_MODE: 'client', GATEWAY_API_KEYS: '' },
        configure: (config) => {
          config.gateway.auth.clients = [{ ...CLIENTS[0]!, keyHash: 'md5:abc' }];
        },
      }),
    ).rejects.toThrow(/auth\.clients\.0\.keyHash/);
  });
});

describe('refusals', () => {
  it('answers 401 invalid_api_key for a missing or unknown key, logging a security event without the key', async () => {
    const app = await gatewayWith('hybrid');
    const missing = await chat(app, {});
    expect(missing.statusCode).toBe(401);
    assertOpenAISchema('ErrorResponse', missing.json());
    expect(missing.json().error.code).toBe('invalid_api_key');

    const wrongKey = 'gw-wrong-key-that-must-not-be-logged';
    const unknown = await chat(app, { authorization: `Bearer ${wrongKey}` });
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json().error.type).toBe('invalid_api_key');

    const events = securityEvents(app);
    expect(events.map((event) => event['reason'])).toEqual(['missing_key', 'invalid_key']);
    expect(events[1]?.['keyHashPrefix']).toBe(hashKey(wrongKey).toString('hex', 0, 6));
    expect(app.logs.text()).not.toContain(wrongKey);
  });

  it('answers 403 model_not_allowed for a model outside the key allow-list, naming the model', async () => {
    const app = await gatewayWith('hybrid');
    const forbidden = await chat(app, { authorization: `Bearer ${TEAM_KEY}` }, 'gpt-4o');
    expect(forbidden.statusCode).toBe(403);
    const body = forbidden.json();
    assertOpenAISchema('ErrorResponse', body);
    expect(body.error).toMatchObject({
      type: 'permission_denied',
      code: 'model_not_allowed',
      param: 'model',
    });
    expect(body.error.message).toContain("'gpt-4o'");
    expect(upstream.received()).toHaveLength(0);
    expect(securityEvents(app).at(-1)).toMatchObject({
      reason: 'model_forbidden',
      key: 'team-a',
      model: 'gpt-4o',
    });

    // The same model reached by another name resolves to an allowed catalog id.
    expect((await chat(app, { authorization: `Bearer ${TEAM_KEY}` }, 'openai/gpt-4o-mini')).statusCode).toBe(
      200,
    );
    // A key without an allow-list may call any model.
    expect((await chat(app, { authorization: `Bearer ${GATEWAY_KEY_1}` }, 'gpt-4o')).statusCode).toBe(200);

    const embeddings = await app.app.inject({
      method: 'POST',
      url: '/v1/embeddings',
      headers: { authorization: `Bearer ${TEAM_KEY}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ model: 'text-embedding-3-small', input: 'x' }),
    });
    expect(embeddings.statusCode).toBe(200);
  });
});

describe('bring your own key', () => {
  it('uses the client key for that request only, bypasses the cache and never logs it', async () => {
    const app = await gatewayWith('hybrid', { CACHE_ENABLED: 'true' });
    const headers = { authorization: `Bearer ${BYOK_KEY}`, 'x-provider-api-key': CLIENT_PROVIDER_KEY };
    const first = await chat(app, headers);
    expect(first.statusCode).toBe(200);
    expect(first.headers['x-cache']).toBe('BYPASS');
    expect(upstream.last().headers['authorization']).toBe(`Bearer ${CLIENT_PROVIDER_KEY}`);

    const second = await chat(app, headers);
    expect(second.headers['x-cache']).toBe('BYPASS');
    expect(upstream.received()).toHaveLength(2);

    // Without the header, the same client is served with the gateway's own key.
    const own = await chat(app, { authorization: `Bearer ${BYOK_KEY}` });
    expect(own.headers['x-cache']).toBe('MISS');
    expect(upstream.last().headers['authorization']).toBe(`Bearer ${OPENAI_KEY}`);
  });

  it('refuses a provider key from a client that may not bring one', async () => {
    const app = await gatewayWith('hybrid');
    const refused = await chat(app, {
      authorization: `Bearer ${TEAM_KEY}`,
      'x-provider-api-key': CLIENT_PROVIDER_KEY,
    });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error).toMatchObject({ code: 'byok_not_allowed', param: 'x-provider-api-key' });
    expect(upstream.received()).toHaveLength(0);
    expect(securityEvents(app).at(-1)).toMatchObject({ reason: 'byok_not_allowed', key: 'team-a' });
  });

  it('keeps the client key out of upstream error messages', async () => {
    const app = await gatewayWith('hybrid');
    upstream.enqueue('POST', '/v1/chat/completions', {
      status: 401,
      json: {
        error: { message: `Incorrect API key provided: ${CLIENT_PROVIDER_KEY}.`, code: 'invalid_api_key' },
      },
    });
    const response = await chat(app, {
      authorization: `Bearer ${BYOK_KEY}`,
      'x-provider-api-key': CLIENT_PROVIDER_KEY,
    });
    expect(response.statusCode).toBe(401);
    expect(response.body).not.toContain(CLIENT_PROVIDER_KEY);
  });
});

describe('a client key brought by a client', () => {
  const byok = { authorization: `Bearer ${BYOK_KEY}`, 'x-provider-api-key': CLIENT_PROVIDER_KEY };

  it.each([
    [401, 'refused key', { error: { message: 'Incorrect API key provided.', code: 'invalid_api_key' } }],
    [429, 'quota', { error: { message: 'You exceeded your current quota.', code: 'insufficient_quota' } }],
  ])('does not change the shared deployment when its %s (%s) is answered', async (status, _what, json) => {
    const app = await gatewayWith('hybrid');
    for (let index = 0; index < 6; index++) {
      upstream.enqueue('POST', '/v1/chat/completions', { status, json, headers: { 'retry-after': '600' } });
      expect((await chat(app, byok)).statusCode).toBe(status);
    }
    // Nothing of it reached the deployment's shared health: no refused key, cool-down, failure or circuit.
    const health = (
      await app.app.inject({
        url: '/v1/health/detailed',
        headers: { authorization: `Bearer ${GATEWAY_KEY_1}` },
      })
    ).json() as {
      deployments: {
        circuit: string;
        available: boolean;
        unavailableReason: string | null;
        errorRate: number;
      }[];
    };
    expect(health.deployments.length).toBeGreaterThan(0);
    for (const deployment of health.deployments) {
      expect(deployment).toMatchObject({
        circuit: 'closed',
        available: true,
        unavailableReason: null,
        errorRate: 0,
      });
    }
    const own = await chat(app, { authorization: `Bearer ${GATEWAY_KEY_1}` });
    expect(own.statusCode).toBe(200);
    expect(upstream.last().headers['authorization']).toBe(`Bearer ${OPENAI_KEY}`);
  });
});

describe('logs', () => {
  it('hold none of the keys any gateway of this file saw, in any line', () => {
    expect(apps.length).toBeGreaterThan(5);
    for (const app of apps) {
      expect(app.logs.raw.length).toBeGreaterThan(0);
      for (const key of EVERY_KEY) expect(app.logs.text()).not.toContain(key);
    }
  });
});

describe('model allow-lists on every model endpoint', () => {
  it('refuses a model the key may not use on audio, speech and the Responses API, before any provider call', async () => {
    const app = await gatewayWith('client');
    const headers = { authorization: `Bearer ${TEAM_KEY}` };
    const boundary = 'allowlistboundary';
    const form =
      `--${boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-1\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.mp3"\r\nContent-Type: audio/mpeg\r\n\r\nID3\r\n` +
      `--${boundary}--\r\n`;
    const answers = await Promise.all([
      app.app.inject({
        method: 'POST',
        url: '/v1/audio/transcriptions',
        headers: { ...headers, 'content-type': `multipart/form-data; boundary=${boundary}` },
        payload: form,
      }),
      app.app.inject({
        method: 'POST',
        url: '/v1/audio/speech',
        headers: { ...headers, 'content-type': 'application/json' },
        payload: JSON.stringify({ model: 'tts-1', voice: 'alloy', input: 'Hi' }),
      }),
      app.app.inject({
        method: 'POST',
        url: '/v1/responses',
        headers: { ...headers, 'content-type': 'application/json' },
        payload: JSON.stringify({ model: 'gpt-4o', input: 'Hi' }),
      }),
      app.app.inject({ method: 'GET', url: '/v1/responses/resp_123?model=gpt-4o', headers }),
    ]);
    for (const answer of answers) {
      expect(answer.statusCode).toBe(403);
      expect(answer.json().error.code).toBe('model_not_allowed');
    }
    expect(upstream.requests).toHaveLength(0);
  });
});

describe('model list', () => {
  it('shows a key with an allow-list only the models it may call', async () => {
    const app = await gatewayWith('client');
    const listed = await app.app.inject({
      url: '/v1/models',
      headers: { authorization: `Bearer ${TEAM_KEY}` },
    });
    const ids = listed
      .json()
      .data.map((model: { id: string }) => model.id)
      .sort();
    expect(ids).toEqual([
      'gpt-4o-mini',
      'text-embedding-3-large',
      'text-embedding-3-small',
      'text-embedding-ada-002',
    ]);
    const everything = await app.app.inject({
      url: '/v1/models',
      headers: { authorization: `Bearer ${BYOK_KEY}` },
    });
    expect(everything.json().data.length).toBeGreaterThan(20);
  });

  it('answers a model outside the allow-list as unknown, and suggests only allowed models', async () => {
    const app = await gatewayWith('client');
    const headers = { authorization: `Bearer ${TEAM_KEY}` };
    const allowed = await app.app.inject({ url: '/v1/models/gpt-4o-mini', headers });
    expect(allowed.statusCode).toBe(200);
    expect(allowed.json().id).toBe('gpt-4o-mini');

    const hidden = await app.app.inject({ url: '/v1/models/gpt-4o', headers });
    expect(hidden.statusCode).toBe(404);
    expect(hidden.json().error.code).toBe('model_not_found');
    expect([...hidden.json().error.details.available_models].sort()).toEqual([
      'gpt-4o-mini',
      'text-embedding-3-large',
      'text-embedding-3-small',
      'text-embedding-ada-002',
    ]);

    const unknown = await app.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { ...headers, 'content-type': 'application/json' },
      payload: JSON.stringify({ model: 'no-such-model', messages: [{ role: 'user', content: 'Hi' }] }),
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.details.available_models).toEqual(['gpt-4o-mini']);

    const everything = await app.app.inject({
      url: '/v1/models/gpt-4o',
      headers: { authorization: `Bearer ${BYOK_KEY}` },
    });
    expect(everything.statusCode).toBe(200);
    expect(upstream.requests).toHaveLength(0);
  });
});
