/**
 * A budgeted key is charged by price, so it may call only models whose price is known: a model
 * outside the catalog (called as `<provider>/<model>`) is refused unless its instance has default
 * prices. Speech is accounted too, by the characters spoken.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadedConfig } from '../../src/config.js';
import { formatKeyHash } from '../../src/identity.js';
import { speechAnswer, startFakeOpenAI } from '../helpers/fake-openai.js';
import type { FakeUpstream } from '../helpers/fake-upstream.js';
import { OPENAI_KEY, authHeaders, buildTestApp, type TestApp } from '../helpers/build-app.js';

const BUDGETED = 'budgeted-key-0000000001';
const FREE = 'unbudgeted-key-00000001';

let upstream: FakeUpstream;
let gateway: TestApp;

function configure(config: LoadedConfig) {
  config.gateway.auth.clients = [
    {
      id: 'budgeted',
      name: 'Budgeted',
      keyHash: formatKeyHash(BUDGETED),
      budget: { limitUsd: 10, period: 'daily' },
    },
    { id: 'free', name: 'Free', keyHash: formatKeyHash(FREE) },
  ];
  config.gateway.providers['priced'] = {
    type: 'openai',
    apiKey: OPENAI_KEY,
    baseUrl: `${upstream.origin}/v1`,
    pricing: { input: 1, output: 2 },
  };
}

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  upstream.route('POST', '/v1/audio/speech', speechAnswer);
  gateway = await buildTestApp({
    env: { OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: `${upstream.origin}/v1` },
    configure,
  });
});
afterAll(async () => {
  await gateway.close();
  await upstream.close();
});

function chat(key: string, model: string) {
  return gateway.app.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    headers: { ...authHeaders(key), 'content-type': 'application/json' },
    payload: JSON.stringify({ model, messages: [{ role: 'user', content: 'Hi' }] }),
  });
}

describe('a key with a budget', () => {
  it('may not call a model with no known price', async () => {
    const refused = await chat(BUDGETED, 'openai/some-model-outside-the-catalog');
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('model_not_priced');
    expect(upstream.requests).toHaveLength(0);
  });

  it('may call it through an instance with default prices, and is charged at them', async () => {
    const answered = await chat(BUDGETED, 'priced/some-model-outside-the-catalog');
    expect(answered.statusCode).toBe(200);
    const line = gateway.logs.accessLines().at(-1)!;
    const expected = ((line['promptTokens'] as number) * 1 + (line['completionTokens'] as number) * 2) / 1e6;
    expect(line['costUsd']).toBeCloseTo(expected, 12);
    expect(expected).toBeGreaterThan(0);
  });

  it('leaves keys without a budget free to call unpriced models', async () => {
    expect((await chat(FREE, 'openai/some-model-outside-the-catalog')).statusCode).toBe(200);
  });
});

describe('speech', () => {
  it('is accounted by the characters spoken', async () => {
    const input = 'Twenty-six characters, ok.';
    const response = await gateway.app.inject({
      method: 'POST',
      url: '/v1/audio/speech',
      headers: { ...authHeaders(FREE), 'content-type': 'application/json' },
      payload: JSON.stringify({ model: 'tts-1', voice: 'alloy', input }),
    });
    expect(response.statusCode).toBe(200);
    await expect.poll(() => gateway.logs.accessLines().at(-1)?.['route']).toBe('/v1/audio/speech');
    const line = gateway.logs.accessLines().at(-1)!;
    // tts-1: $15 per 1M characters.
    expect(line['costUsd']).toBeCloseTo((input.length * 15) / 1e6, 12);
    const usage = (await gateway.app.inject({ url: '/v1/usage', headers: authHeaders(FREE) })).json();
    expect(usage.by_model['tts-1'].requests).toBe(1);
  });
});
