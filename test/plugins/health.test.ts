import { passThroughOnly } from '../helpers/routing.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authHeaders, buildTestApp, type TestApp } from '../helpers/build-app.js';
import { openaiError, startFakeOpenAI } from '../helpers/fake-openai.js';
import type { FakeUpstream } from '../helpers/fake-upstream.js';

let upstream: FakeUpstream;
let configured: TestApp;
let bare: TestApp;

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  configured = await buildTestApp({
    env: { OPENAI_API_KEY: 'sk-health', OPENAI_BASE_URL: `${upstream.origin}/v1` },
    configure: passThroughOnly,
  });
  bare = await buildTestApp();
});
afterAll(async () => {
  await configured.close();
  await bare.close();
  await upstream.close();
});

describe('health', () => {
  it('answers liveness with no key', async () => {
    for (const url of ['/health', '/v1/health/live']) {
      const response = await bare.app.inject({ url });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ status: 'ok' });
    }
  });

  it('is ready only when a provider is configured', async () => {
    const ready = await configured.app.inject({ url: '/v1/health/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().status).toBe('ready');
    const notReady = await bare.app.inject({ url: '/v1/health/ready' });
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json().status).toBe('not_ready');
    expect(notReady.json().checks.providers.message).toContain('OPENAI_API_KEY');
  });

  it('details each provider with its origin and last error, never its key', async () => {
    upstream.enqueue('POST', '/v1/chat/completions', openaiError(500, 'error-server.json'));
    await configured.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { ...authHeaders(), 'content-type': 'application/json' },
      payload: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] }),
    });
    const response = await configured.app.inject({ url: '/v1/health/detailed', headers: authHeaders() });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    const openai = body.providers.find((provider: { id: string }) => provider.id === 'openai');
    expect(openai).toMatchObject({ configured: true, baseUrl: upstream.origin });
    expect(openai.lastError).toMatchObject({ status: 500 });
    expect(openai.lastError.message).toContain('server had an error');
    expect(JSON.stringify(body)).not.toContain('sk-health');
  });
});
