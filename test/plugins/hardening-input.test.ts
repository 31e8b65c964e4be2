/**
 * Input that must get a 4xx, never a 500 or a crash: bodies nested without end, numbers JSON can
 * carry but the gateway cannot relay exactly, fields of the wrong type (whatever provider the model
 * resolves to), and requests with more messages, parts or remote media than the limits allow.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGemini } from '../helpers/fake-gemini.js';
import { startFakeOpenAI } from '../helpers/fake-openai.js';
import type { FakeUpstream } from '../helpers/fake-upstream.js';
import { authHeaders, buildTestApp, type TestApp } from '../helpers/build-app.js';

let openai: FakeUpstream;
let gemini: FakeUpstream;
let gateway: TestApp;

beforeAll(async () => {
  openai = await startFakeOpenAI();
  gemini = await startFakeGemini();
  gateway = await buildTestApp({
    env: {
      OPENAI_API_KEY: 'sk-hardening',
      OPENAI_BASE_URL: `${openai.origin}/v1`,
      GEMINI_API_KEY: 'g-hardening',
      GEMINI_BASE_URL: gemini.origin,
      CACHE_ENABLED: 'true',
    },
  });
});
afterAll(async () => {
  await gateway.close();
  await openai.close();
  await gemini.close();
});

function post(body: string | object) {
  return gateway.app.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    headers: { ...authHeaders(), 'content-type': 'application/json' },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

function nested(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

describe('bodies nested without end', () => {
  it.each([
    ['messages', `{"model":"gpt-4o","messages":${nested(10_000)}}`],
    ['a message content', `{"model":"gpt-4o","messages":[{"role":"user","content":${nested(10_000)}}]}`],
    [
      'tools',
      `{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"a":${nested(10_000)}}}}]}`,
    ],
  ])('refuses 10,000 levels in %s with a 400 naming the limit', async (_where, body) => {
    const response = await post(body);
    expect(response.statusCode).toBe(400);
    expect(response.json().error.message).toMatch(/nested deeper than 64 levels/);
    expect(openai.requests).toHaveLength(0);
  });
});

describe('numbers', () => {
  it.each([
    ['seed', '1e400'],
    ['temperature', '-1e999'],
    ['seed', '100000000000000000000'],
  ])('refuses %s: %s with a 400 naming the field', async (field, value) => {
    const response = await post(
      `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"${field}":${value}}`,
    );
    expect(response.statusCode).toBe(400);
    expect(response.json().error.param).toBe(field);
  });

  it('refuses a non-finite number inside a field the gateway passes through unread', async () => {
    const response = await post(
      '{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"metadata_of_mine":{"x":[1,2e999]}}',
    );
    expect(response.statusCode).toBe(400);
    expect(response.json().error.param).toBe('metadata_of_mine.x[1]');
  });
});

describe('fields of the wrong type', () => {
  it.each(['gpt-4o', 'gemini-2.5-flash'])('refuses response_format as a list for %s', async (model) => {
    const response = await post({
      model,
      messages: [{ role: 'user', content: 'hi' }],
      response_format: [1, 'two', { type: 'json_object' }],
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.param).toBe('response_format');
  });
});

describe('request limits', () => {
  it('refuses more messages than the limit', async () => {
    const messages = Array.from({ length: 2049 }, () => ({ role: 'user', content: 'hi' }));
    const response = await post({ model: 'gpt-4o', messages });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.param).toBe('messages');
    expect(response.json().error.message).toContain('2048');
  });

  it('refuses more content parts than the limit', async () => {
    const content = Array.from({ length: 2049 }, () => ({ type: 'text', text: 'x' }));
    const response = await post({ model: 'gpt-4o', messages: [{ role: 'user', content }] });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.message).toContain('content parts');
  });

  it('refuses more remote media than the limit before downloading any', async () => {
    const content = Array.from({ length: 51 }, (_, index) => ({
      type: 'image_url',
      image_url: { url: `https://images.invalid/${index}.png` },
    }));
    const response = await post({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content }] });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.message).toContain('50');
    expect(gemini.requests).toHaveLength(0);
  });
});
