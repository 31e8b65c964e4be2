import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authHeaders, buildTestApp, type TestApp } from '../../helpers/build-app.js';
import { assertOpenAISchema } from '../../helpers/openai-schemas.js';

let gateway: TestApp;
let bare: TestApp;
let withoutEcho: TestApp;

beforeAll(async () => {
  gateway = await buildTestApp({
    env: { OPENAI_API_KEY: 'sk-models', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' },
  });
  bare = await buildTestApp();
  withoutEcho = await buildTestApp({ env: { ECHO_ENABLED: 'false' } });
});
afterAll(async () => {
  await gateway.close();
  await bare.close();
  await withoutEcho.close();
});

describe('GET /v1/models', () => {
  it('lists the models of configured providers in the OpenAI list format, with catalog metadata', async () => {
    const response = await gateway.app.inject({ url: '/v1/models', headers: authHeaders() });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    assertOpenAISchema('ListModelsResponse', body);
    const ids = body.data.map((model: { id: string }) => model.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        'gpt-4o',
        'gpt-4.1-mini',
        'o3',
        'text-embedding-3-small',
        'whisper-1',
        'tts-1',
      ]),
    );
    expect(ids).not.toContain('gemini-2.5-pro');
    const gpt4o = body.data.find((model: { id: string }) => model.id === 'gpt-4o');
    expect(gpt4o).toMatchObject({
      object: 'model',
      owned_by: 'openai',
      provider: 'openai',
      context_window: 128000,
      max_output_tokens: 16384,
      capabilities: expect.arrayContaining(['chat', 'vision', 'tools']),
      pricing: { input: 2.5, output: 10 },
      available: true,
    });
  });

  it('lists every catalog model with ?all=true, marking the unavailable ones', async () => {
    const response = await gateway.app.inject({ url: '/v1/models?all=true', headers: authHeaders() });
    const body = response.json();
    const gemini = body.data.find((model: { id: string }) => model.id === 'gemini-2.5-pro');
    expect(gemini).toMatchObject({ available: false, provider: 'gemini' });
    for (const id of [
      'gemini-2.0-flash',
      'gemini-2.0-flash-exp',
      'gemini-1.5-pro',
      'gemini-1.5-flash',
      'text-embedding-004',
      'gemini-embedding-001',
      'gemini-3-pro-preview',
      'gpt-5',
      'o4-mini',
      'gpt-4o-transcribe',
      'gpt-4o-realtime-preview',
      'gpt-4o-search-preview',
    ]) {
      expect(body.data.map((model: { id: string }) => model.id)).toContain(id);
    }
  });

  it('lists only the built-in echo model without a configured provider, and nothing once it is off', async () => {
    const response = await bare.app.inject({ url: '/v1/models', headers: authHeaders() });
    expect(response.json().data.map((model: { id: string }) => model.id)).toEqual(['gateway/echo']);
    const off = await withoutEcho.app.inject({ url: '/v1/models', headers: authHeaders() });
    expect(off.json()).toEqual({ object: 'list', data: [] });
  });

  it('retrieves one model, ids with a slash included, and 404s an unknown one', async () => {
    const one = await gateway.app.inject({ url: '/v1/models/gpt-4o', headers: authHeaders() });
    expect(one.statusCode).toBe(200);
    assertOpenAISchema('Model', one.json());
    const missing = await gateway.app.inject({ url: '/v1/models/openai/no-such', headers: authHeaders() });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('model_not_found');
    expect(missing.json().error.details.available_models).toContain('gpt-4o');
  });

  it('refuses ?all with a value that is not a boolean', async () => {
    const response = await gateway.app.inject({ url: '/v1/models?all=maybe', headers: authHeaders() });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.param).toBe('all');
  });
});

describe('GET /v1/models for Anthropic clients (anthropic-version)', () => {
  const anthropic = () => ({ ...authHeaders(), 'anthropic-version': '2023-06-01' });

  it('answers the list in Anthropic’s shape, page by page', async () => {
    const first = await gateway.app.inject({ url: '/v1/models?limit=2', headers: anthropic() });
    expect(first.statusCode).toBe(200);
    const page = first.json() as { data: { type: string; id: string }[]; has_more: boolean; last_id: string };
    expect(page.data).toHaveLength(2);
    expect(page.data[0]).toMatchObject({ type: 'model', id: expect.any(String) });
    expect(page.has_more).toBe(true);
    const next = await gateway.app.inject({
      url: `/v1/models?limit=2&after_id=${encodeURIComponent(page.last_id)}`,
      headers: anthropic(),
    });
    const ids = (next.json() as { data: { id: string }[] }).data.map((model) => model.id);
    expect(ids).toHaveLength(2);
    expect(ids).not.toContain(page.last_id);
  });

  it('answers one model in Anthropic’s shape, and its errors in Anthropic’s envelope', async () => {
    const one = await gateway.app.inject({ url: '/v1/models/gpt-4o', headers: anthropic() });
    expect(one.json()).toMatchObject({ type: 'model', id: 'gpt-4o', max_input_tokens: 128000 });
    const missing = await gateway.app.inject({ url: '/v1/models/no-such-model', headers: anthropic() });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
    const badLimit = await gateway.app.inject({ url: '/v1/models?limit=0', headers: anthropic() });
    expect(badLimit.statusCode).toBe(400);
    expect(badLimit.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
  });

  it('leaves the OpenAI answers to requests without the header', async () => {
    const missing = await gateway.app.inject({ url: '/v1/models/no-such-model', headers: authHeaders() });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: { code: 'model_not_found' } });
  });
});
