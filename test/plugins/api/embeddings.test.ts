import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FakeUpstream } from '../../helpers/fake-upstream.js';
import { startFakeOpenAI } from '../../helpers/fake-openai.js';
import { OPENAI_KEY, authHeaders, buildTestApp, type TestApp } from '../../helpers/build-app.js';
import { assertOpenAISchema } from '../../helpers/openai-schemas.js';

let upstream: FakeUpstream;
let gateway: TestApp;

function post(body: unknown) {
  return gateway.app.inject({
    method: 'POST',
    url: '/v1/embeddings',
    headers: { ...authHeaders(), 'content-type': 'application/json' },
    payload: JSON.stringify(body),
  });
}

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  gateway = await buildTestApp({
    env: { OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: `${upstream.origin}/v1` },
  });
});
afterAll(async () => {
  await gateway.close();
  await upstream.close();
});
afterEach(() => upstream.reset());

describe('POST /v1/embeddings through the OpenAI provider', () => {
  it.each([
    ['a string', 'hello world'],
    ['an array of strings', ['one', 'two', 'three']],
    ['token ids', [15339, 1917]],
    ['arrays of token ids', [[15339], [1917, 0]]],
  ])('passes %s through and returns the upstream answer unchanged', async (_label, input) => {
    const body = {
      model: 'text-embedding-3-small',
      input,
      dimensions: 4,
      encoding_format: 'float',
      user: 'u-1',
      extra: true,
    };
    const response = await post(body);
    expect(response.statusCode).toBe(200);
    expect(upstream.last().json).toEqual(body);
    expect(upstream.last().path).toBe('/v1/embeddings');
    assertOpenAISchema('CreateEmbeddingResponse', response.json());
    expect(response.headers['x-gateway-provider']).toBe('openai');
  });

  it('keeps base64 encoding as the upstream sent it', async () => {
    const response = await post({
      model: 'text-embedding-3-large',
      input: ['a', 'b'],
      encoding_format: 'base64',
    });
    const data = response.json().data;
    expect(typeof data[0].embedding).toBe('string');
    expect(data.map((item: { index: number }) => item.index)).toEqual([0, 1]);
  });

  it('refuses an input over the model limit before calling the provider', async () => {
    const long = 'lorem ipsum dolor sit amet '.repeat(2000); // ~10k tokens in cl100k_base
    const response = await post({ model: 'text-embedding-3-small', input: ['short', long] });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({
      param: 'input[1]',
      code: 'context_length_exceeded',
      type: 'validation_error',
    });
    expect(upstream.requests).toHaveLength(0);
  });

  it('accepts a long input that is still within the limit by the exact tokenizer', async () => {
    const words = 'a '.repeat(5000); // 10k bytes, 5k tokens
    const response = await post({ model: 'text-embedding-3-small', input: words });
    expect(response.statusCode).toBe(200);
  });

  it('refuses token-id inputs longer than the limit', async () => {
    const response = await post({
      model: 'text-embedding-3-small',
      input: Array.from({ length: 9000 }, () => 1),
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.param).toBe('input');
  });

  it.each([
    [{ model: 'text-embedding-3-small' }, 'input'],
    [{ model: 'text-embedding-3-small', input: [] }, 'input'],
    [{ model: 'text-embedding-3-small', input: 'x', encoding_format: 'hex' }, 'encoding_format'],
    [{ model: 'text-embedding-3-small', input: 'x', dimensions: 0 }, 'dimensions'],
    [{ model: 'text-embedding-3-small', input: 'x', dimensions: '4' }, 'dimensions'],
    [{ model: 'text-embedding-3-small', input: [1, 'x'] }, 'input'],
  ])('answers 400 naming the field for %j', async (body, param) => {
    const response = await post(body);
    expect(response.statusCode).toBe(400);
    expect(response.json().error.param).toMatch(new RegExp(`^${param.replace(/[[\]]/g, '\\$&')}`));
  });

  it('refuses a chat model on the embeddings endpoint', async () => {
    const response = await post({ model: 'gpt-4o', input: 'x' });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('model_not_supported');
  });
});
