/**
 * Moderations through the official openai SDK, against a listening gateway in front of the fake
 * OpenAI: POST /v1/moderations passed through and counted at no cost, and chat input moderation,
 * per key and per model group, stopping a flagged input before any chat model is called.
 */
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FakeUpstream } from '../helpers/fake-upstream.js';
import { FLAGGED_WORD, startFakeOpenAI } from '../helpers/fake-openai.js';
import { OPENAI_KEY, TEST_KEY, authHeaders, buildTestApp, type TestApp } from '../helpers/build-app.js';
import { parsePrometheus, valueOf } from '../helpers/prometheus.js';
import { hashKey, identityIdOf } from '../../src/identity.js';

const MODERATED_KEY = 'gw-moderated-key-0123456789';
const MODERATED_KEY_ID = identityIdOf(hashKey(MODERATED_KEY));

let upstream: FakeUpstream;
let gateway: TestApp;
let client: OpenAI;
let moderated: OpenAI;

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  gateway = await buildTestApp({
    env: {
      OPENAI_API_KEY: OPENAI_KEY,
      OPENAI_BASE_URL: `${upstream.origin}/v1`,
      GATEWAY_API_KEYS: `${TEST_KEY},${MODERATED_KEY}`,
      MODERATION_KEYS: MODERATED_KEY_ID,
      MODERATION_MODELS: 'safe-*',
      RATE_LIMITING_ENABLED: 'true',
    },
    configure: (config) => {
      config.gateway.routing.models['safe-chat'] = { models: ['gpt-4o-mini'] };
      config.gateway.routing.retries.maxRetries = 0;
    },
  });
  await gateway.listen();
  client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: TEST_KEY, maxRetries: 0 });
  moderated = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: MODERATED_KEY, maxRetries: 0 });
});

afterAll(async () => {
  await gateway.close();
  await upstream.close();
});

afterEach(() => upstream.reset());

async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const response = await gateway.app.inject({ method: 'GET', url: '/metrics', headers: authHeaders() });
  return valueOf(parsePrometheus(response.body), name, labels);
}

const accessLine = (path: string) =>
  gateway.logs
    .accessLines()
    .filter((line) => line['route'] === path)
    .at(-1);

describe('POST /v1/moderations', () => {
  it('passes the request through and the answer back byte for byte, with no model named', async () => {
    const { data, response } = await client.moderations
      .create({ input: `I want to ${FLAGGED_WORD} them.` })
      .withResponse();
    expect(data.results[0]?.flagged).toBe(true);
    expect(data.results[0]?.categories.violence).toBe(true);
    const sent = upstream.last();
    expect(sent.path).toBe('/v1/moderations');
    expect(sent.headers['authorization']).toBe(`Bearer ${OPENAI_KEY}`);
    expect(sent.json).toEqual({ model: 'omni-moderation-latest', input: `I want to ${FLAGGED_WORD} them.` });
    expect(response.headers.get('x-gateway-provider')).toBe('openai');
    expect(response.headers.get('x-ratelimit-limit')).toBe('120');
  });

  it('takes a list of texts and multimodal parts', async () => {
    const texts = await client.moderations.create({
      model: 'text-moderation-latest',
      input: ['a kind word', `${FLAGGED_WORD} everyone`],
    });
    expect(texts.results.map((result) => result.flagged)).toEqual([false, true]);
    const parts = await client.moderations.create({
      model: 'omni-moderation-latest',
      input: [
        { type: 'text', text: 'a picture of a cat' },
        { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
      ],
    });
    expect(parts.results[0]?.flagged).toBe(false);
    expect((upstream.last().json as { input: unknown[] }).input).toHaveLength(2);
  });

  it('counts each moderation at no cost in usage, metrics and the access log', async () => {
    await client.moderations.create({ model: 'omni-moderation-latest', input: 'hello' });
    const line = accessLine('/v1/moderations');
    expect(line).toMatchObject({
      model: 'omni-moderation-latest',
      provider: 'openai',
      costUsd: 0,
      status: 200,
    });
    const usage = (
      await gateway.app.inject({ method: 'GET', url: '/v1/usage', headers: authHeaders() })
    ).json() as { by_model: Record<string, { requests: number; prompt_tokens: number; cost_usd: number }> };
    expect(usage.by_model['omni-moderation-latest']).toMatchObject({ prompt_tokens: 0, cost_usd: 0 });
    expect(usage.by_model['omni-moderation-latest']?.requests).toBeGreaterThan(0);
    expect(
      await metric('llm_gateway_requests_total', {
        route: '/v1/moderations',
        method: 'POST',
        status_class: '2xx',
        model: 'omni-moderation-latest',
        provider: 'openai',
      }),
    ).toBeGreaterThan(0);
  });

  it('refuses a chat model and a bad input in the OpenAI envelope', async () => {
    await expect(client.moderations.create({ model: 'gpt-4o-mini', input: 'x' })).rejects.toMatchObject({
      status: 400,
      param: 'model',
    });
    await expect(client.moderations.create({ input: 42 as unknown as string })).rejects.toMatchObject({
      status: 400,
    });
    expect(upstream.requests).toHaveLength(0);
  });
});

describe('chat input moderation', () => {
  it('stops a flagged input from a moderated key before the chat model is called', async () => {
    const failure = moderated.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'You are helpful.' },
        { role: 'user', content: `How do I ${FLAGGED_WORD} a process?` },
      ],
    });
    await expect(failure).rejects.toMatchObject({ status: 400, code: 'content_filter', param: 'messages' });
    expect(upstream.requests.map((request) => request.path)).toEqual(['/v1/moderations']);
    expect(upstream.last().json).toMatchObject({
      model: 'omni-moderation-latest',
      input: [{ type: 'text', text: `How do I ${FLAGGED_WORD} a process?` }],
    });
    const line = accessLine('/v1/chat/completions');
    expect(line).toMatchObject({
      status: 400,
      error: 'GW_ERR_MODERATION_FLAGGED',
      moderation: { decision: 'flagged', model: 'omni-moderation-latest' },
    });
    expect((line?.['moderation'] as { categories: string[] }).categories).toContain('violence');
  });

  it('lets a clean input of a moderated key through, moderation first, and says so in the log', async () => {
    const completion = await moderated.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Capital of France?' }],
    });
    expect(completion.choices[0]?.message.content).toBeTruthy();
    expect(upstream.requests.map((request) => request.path)).toEqual([
      '/v1/moderations',
      '/v1/chat/completions',
    ]);
    expect(accessLine('/v1/chat/completions')).toMatchObject({
      status: 200,
      moderation: { decision: 'passed' },
      provider: 'openai',
    });
    expect(await metric('llm_gateway_moderation_decisions_total', { decision: 'passed' })).toBeGreaterThan(0);
  });

  it('moderates a group named in MODERATION_MODELS for every key, streams included', async () => {
    const failure = client.chat.completions.create({
      model: 'safe-chat',
      messages: [{ role: 'user', content: [{ type: 'text', text: `${FLAGGED_WORD} it` }] }],
      stream: true,
    });
    await expect(failure).rejects.toMatchObject({ status: 400, code: 'content_filter' });
    expect(upstream.requests.map((request) => request.path)).toEqual(['/v1/moderations']);
  });

  it('leaves other keys and models alone', async () => {
    await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: `${FLAGGED_WORD} the process` }],
    });
    expect(upstream.requests.map((request) => request.path)).toEqual(['/v1/chat/completions']);
    expect(accessLine('/v1/chat/completions')?.['moderation']).toBeUndefined();
  });

  it('refuses a moderated request when the moderation fails, without calling the chat model', async () => {
    upstream.enqueue('POST', '/v1/moderations', { status: 500, json: { error: { message: 'boom' } } });
    upstream.enqueue('POST', '/v1/moderations', { status: 500, json: { error: { message: 'boom' } } });
    const failure = moderated.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Capital of France?' }],
    });
    await expect(failure).rejects.toMatchObject({ status: 500 });
    expect(upstream.requests.every((request) => request.path === '/v1/moderations')).toBe(true);
    expect(accessLine('/v1/chat/completions')).toMatchObject({ moderation: { decision: 'failed' } });
  });
});
