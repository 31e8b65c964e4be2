/** Routing over HTTP: failover across deployments, stream failover, circuits, strategies, limits. */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LoadedConfig } from '../../src/config.js';
import {
  CHAT_COMPLETION,
  CHAT_STREAM,
  CHAT_STREAM_USAGE,
  openaiError,
  startFakeOpenAI,
  streamChat,
  withoutUsage,
} from '../helpers/fake-openai.js';
import type { FakeUpstream } from '../helpers/fake-upstream.js';
import { authHeaders, buildTestApp, type TestApp } from '../helpers/build-app.js';
import { GEMINI_KEY, startFakeGemini } from '../helpers/fake-gemini.js';
import { assertOpenAISchema } from '../helpers/openai-schemas.js';

let primary: FakeUpstream;
let secondary: FakeUpstream;
let gateway: TestApp;

function withDeployments(config: LoadedConfig): void {
  config.gateway.providers['openai'] = {
    ...config.gateway.providers['openai']!,
    baseUrl: `${primary.origin}/v1`,
    apiKey: 'sk-primary',
  };
  config.gateway.providers['openai-eu'] = {
    type: 'openai',
    baseUrl: `${secondary.origin}/v1`,
    apiKey: 'sk-secondary',
  };
  const routing = config.gateway.routing;
  routing.retries.maxRetries = 0;
  routing.circuitBreaker.consecutiveFailures = 3;
  routing.streamFirstByteTimeoutMs = 300;
  routing.models = {
    'gpt-4o': {
      deployments: [
        { provider: 'openai', priority: 0 },
        { provider: 'openai-eu', model: 'gpt-4o-eu', priority: 1 },
      ],
    },
    balanced: {
      deployments: [
        { provider: 'openai', model: 'gpt-4o', weight: 3 },
        { provider: 'openai-eu', model: 'gpt-4o', weight: 1 },
      ],
      strategy: 'weighted',
    },
    thrifty: { models: ['gpt-4o', 'gpt-4o-mini'], strategy: 'cost', description: 'cheapest that fits' },
    pinned: { models: ['gpt-4o-mini'], allowStrategyHeader: false },
    vision: { models: ['gpt-3.5-turbo', 'gpt-4o-mini'] },
  };
}

beforeAll(async () => {
  primary = await startFakeOpenAI();
  secondary = await startFakeOpenAI();
});
afterAll(async () => {
  await primary.close();
  await secondary.close();
});
// Each test gets a gateway of its own: circuits, cool-downs and counters start fresh.
beforeEach(async () => {
  gateway = await buildTestApp({
    env: { REQUEST_TIMEOUT: '3000', MAX_CONCURRENT_REQUESTS: '4' },
    configure: withDeployments,
  });
});
afterEach(async () => {
  await gateway.close();
  primary.reset();
  secondary.reset();
});

function post(body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return gateway.app.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    headers: { ...authHeaders(), 'content-type': 'application/json', ...headers },
    payload: JSON.stringify({ messages: [{ role: 'user', content: 'Hi' }], ...body }),
  });
}

describe('failover', () => {
  it.each([
    ['a 500', openaiError(500, 'error-server.json')],
    ['a 503', openaiError(503, 'error-server.json')],
    ['a 429 with Retry-After', openaiError(429, 'error-rate-limit.json', { 'retry-after': '1' })],
    ['a reset connection', { reset: 'before-headers' as const }],
    ['an answer that is not JSON', { status: 200, body: '<html>' }],
  ])('moves to the next deployment after %s and says so in headers', async (_label, failure) => {
    primary.enqueue('POST', '/v1/chat/completions', failure);
    const response = await post({ model: 'gpt-4o' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe(CHAT_COMPLETION);
    expect(response.headers['x-gateway-provider']).toBe('openai-eu');
    expect(response.headers['x-gateway-model']).toBe('gpt-4o-eu');
    expect(response.headers['x-gateway-attempts']).toBe('2');
    expect((secondary.last().json as { model: string }).model).toBe('gpt-4o-eu');
    expect(secondary.last().headers['authorization']).toBe('Bearer sk-secondary');
  });

  it('does not fail over a client error', async () => {
    primary.enqueue('POST', '/v1/chat/completions', openaiError(400, 'error-context-length.json'));
    const response = await post({ model: 'gpt-4o' });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('context_length_exceeded');
    expect(secondary.requests).toHaveLength(0);
  });

  it('fails a stream over while nothing has been sent: error status, reset, late first byte', async () => {
    for (const failure of [
      openaiError(502, 'error-server.json'),
      { reset: 'before-headers' as const },
      { hang: 'after-headers' as const },
    ]) {
      primary.enqueue('POST', '/v1/chat/completions', failure);
      const response = await post({ model: 'gpt-4o', stream: true });
      expect(response.statusCode).toBe(200);
      expect(response.body).toBe(withoutUsage(CHAT_STREAM_USAGE));
      expect(response.headers['x-gateway-provider']).toBe('openai-eu');
    }
  });

  it('ends a stream that fails after its first event with an error event, without failing over', async () => {
    primary.enqueue('POST', '/v1/chat/completions', { ...streamChat(CHAT_STREAM), reset: 700 });
    const response = await post({ model: 'gpt-4o', stream: true });
    expect(response.headers['x-gateway-provider']).toBe('openai');
    const events = response.body.split('\n\n').filter(Boolean);
    const last = JSON.parse(events.at(-1)!.slice(6));
    assertOpenAISchema('ErrorResponse', last);
    expect(response.body).not.toContain('[DONE]');
    expect(secondary.requests).toHaveLength(0);
  });

  it('opens the circuit after repeated failures, then skips the deployment and reports it', async () => {
    for (let index = 0; index < 3; index++) {
      primary.enqueue('POST', '/v1/chat/completions', openaiError(500, 'error-server.json'));
      expect((await post({ model: 'gpt-4o' })).statusCode).toBe(200);
    }
    primary.reset();
    const skipped = await post({ model: 'gpt-4o' });
    expect(skipped.headers['x-gateway-provider']).toBe('openai-eu');
    expect(skipped.headers['x-gateway-attempts']).toBe('1');
    expect(primary.requests).toHaveLength(0);

    const health = await gateway.app.inject({ url: '/v1/health/detailed', headers: authHeaders() });
    const deployment = health
      .json()
      .deployments.find((entry: { id: string }) => entry.id === 'openai/gpt-4o');
    expect(deployment).toMatchObject({
      circuit: 'open',
      available: false,
      unavailableReason: 'circuit_open',
    });
    expect(deployment.lastError.status).toBe(500);
    expect(deployment.errorRate).toBeGreaterThan(0);
  });
});

describe('strategies over HTTP', () => {
  it('weighted: shares follow the weights', async () => {
    for (let index = 0; index < 80; index++) expect((await post({ model: 'balanced' })).statusCode).toBe(200);
    expect(primary.received('/v1/chat/completions')).toHaveLength(60);
    expect(secondary.received('/v1/chat/completions')).toHaveLength(20);
  });

  it('cost: the cheaper model of a group serves', async () => {
    const response = await post({ model: 'thrifty' });
    expect(response.headers['x-gateway-model']).toBe('gpt-4o-mini');
  });

  it('the x-gateway-strategy header chooses the strategy where allowed, and is refused where not', async () => {
    const chosen = await post({ model: 'thrifty' }, { 'x-gateway-strategy': 'priority' });
    expect(chosen.headers['x-gateway-model']).toBe('gpt-4o');
    const unknown = await post({ model: 'thrifty' }, { 'x-gateway-strategy': 'fastest' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.code).toBe('invalid_strategy');
    const refused = await post({ model: 'pinned' }, { 'x-gateway-strategy': 'cost' });
    expect(refused.statusCode).toBe(400);
  });

  it('skips models that cannot take the request, and says why when none can', async () => {
    const image = [
      {
        role: 'user',
        content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }],
      },
    ];
    const served = await post({ model: 'vision', messages: image });
    expect(served.headers['x-gateway-model']).toBe('gpt-4o-mini');
    const refused = await post({ model: 'gpt-3.5-turbo', messages: image });
    expect(refused.statusCode).toBe(400);
    const body = refused.json();
    expect(body.error.code).toBe('no_capable_deployment');
    expect(body.error.message).toContain('lacks vision');
  });
});

describe('limits and discovery', () => {
  it('answers 503 with Retry-After beyond MAX_CONCURRENT_REQUESTS, and serves again once a slot frees', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    for (let index = 0; index < 4; index++) {
      primary.enqueue('POST', '/v1/chat/completions', {
        ...streamChat(CHAT_COMPLETION),
        holdAt: 10,
        release: released,
      });
    }
    const held = Array.from({ length: 4 }, () => post({ model: 'gpt-4o-mini' }));
    await expect.poll(() => primary.requests.length).toBe(4);
    const refused = await post({ model: 'gpt-4o-mini' });
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.json().error.code).toBe('overloaded');
    release();
    expect((await Promise.all(held)).map((response) => response.statusCode)).toEqual([200, 200, 200, 200]);
    expect((await post({ model: 'gpt-4o-mini' })).statusCode).toBe(200);
  });

  it('lists aliases and groups in /v1/models with what they map to', async () => {
    const response = await gateway.app.inject({ url: '/v1/models', headers: authHeaders() });
    const body = response.json();
    assertOpenAISchema('ListModelsResponse', body);
    const thrifty = body.data.find((model: { id: string }) => model.id === 'thrifty');
    expect(thrifty).toMatchObject({
      type: 'group',
      strategy: 'cost',
      targets: ['gpt-4o', 'gpt-4o-mini'],
      description: 'cheapest that fits',
    });
    const balanced = body.data.find((model: { id: string }) => model.id === 'balanced');
    expect(balanced).toMatchObject({
      type: 'alias',
      strategy: 'weighted',
      targets: ['openai/gpt-4o', 'openai-eu/gpt-4o'],
    });
    const one = await gateway.app.inject({ url: '/v1/models/thrifty', headers: authHeaders() });
    expect(one.json().targets).toEqual(['gpt-4o', 'gpt-4o-mini']);
  });
});

describe('failover across providers', () => {
  let gemini: FakeUpstream;
  let crossed: TestApp;
  beforeAll(async () => {
    gemini = await startFakeGemini(['gemini-2.5-pro']);
  });
  afterAll(() => gemini.close());
  beforeEach(async () => {
    crossed = await buildTestApp({
      configure: (config) => {
        withDeployments(config);
        config.gateway.providers['gemini'] = {
          ...config.gateway.providers['gemini']!,
          baseUrl: gemini.origin,
          apiKey: GEMINI_KEY,
        };
        config.gateway.routing.models = { 'gpt-4o': { fallbacks: ['gemini-2.5-pro'] } };
      },
    });
  });
  afterEach(async () => {
    await crossed.close();
    gemini.reset();
  });

  const send = (body: Record<string, unknown>) =>
    crossed.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { ...authHeaders(), 'content-type': 'application/json' },
      payload: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }], ...body }),
    });

  it('falls back from an OpenAI model to a Gemini model, translated, unary', async () => {
    primary.enqueue('POST', '/v1/chat/completions', openaiError(503, 'error-server.json'));
    const response = await send({});
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-gateway-provider']).toBe('gemini');
    expect(response.headers['x-gateway-model']).toBe('gemini-2.5-pro');
    assertOpenAISchema('CreateChatCompletionResponse', response.json());
    expect(gemini.last().path).toBe('/v1beta/models/gemini-2.5-pro:generateContent');
    expect(gemini.last().headers['x-goog-api-key']).toBe(GEMINI_KEY);
  });

  it('falls back before the first event of a stream, and the client gets one well-formed stream', async () => {
    primary.enqueue('POST', '/v1/chat/completions', { reset: 'before-headers' });
    const response = await send({ stream: true });
    expect(response.headers['x-gateway-provider']).toBe('gemini');
    const events = response.body
      .split('\n\n')
      .filter(Boolean)
      .map((frame) => frame.slice(6));
    expect(events.at(-1)).toBe('[DONE]');
    for (const event of events.slice(0, -1))
      assertOpenAISchema('CreateChatCompletionStreamResponse', JSON.parse(event));
    expect(gemini.last().path).toBe('/v1beta/models/gemini-2.5-pro:streamGenerateContent');
  });

  it('answers with the last failure when both providers fail', async () => {
    primary.enqueue('POST', '/v1/chat/completions', openaiError(500, 'error-server.json'));
    gemini.enqueue('POST', '/v1beta/models/gemini-2.5-pro:generateContent', {
      status: 503,
      json: { error: { code: 503, message: 'The model is overloaded.', status: 'UNAVAILABLE' } },
    });
    const response = await send({});
    expect(response.statusCode).toBe(503);
    expect(response.json().error).toMatchObject({
      type: 'provider_error',
      message: 'The model is overloaded.',
    });
    expect(response.headers['x-gateway-attempts']).toBe('2');
    expect(response.headers['x-gateway-provider']).toBe('gemini');
    expect(Number(response.headers['x-gateway-overhead-ms'])).toBeGreaterThanOrEqual(0);
  });
});
