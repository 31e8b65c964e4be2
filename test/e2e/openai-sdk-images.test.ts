/**
 * Image generation through the official openai SDK, against a listening gateway in front of the
 * fake OpenAI and the fake Gemini: OpenAI's answer passed through, Imagen (`predict`) and a Gemini
 * image-output model (`generateContent`) translated to `b64_json`, parameters mapped or refused,
 * each image counted and priced at the catalog's price.
 */
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FakeUpstream } from '../helpers/fake-upstream.js';
import { startFakeOpenAI } from '../helpers/fake-openai.js';
import { geminiImageAnswer, geminiPath, startFakeGemini } from '../helpers/fake-gemini.js';
import { OPENAI_KEY, TEST_KEY, authHeaders, buildTestApp, type TestApp } from '../helpers/build-app.js';
import { makePng, readPng } from '../helpers/png.js';

const GEMINI_KEY = 'gemini-test-upstream-secret-0000';
const RED = makePng(4, 3, [255, 0, 0]).toString('base64');
const BLUE = makePng(2, 2, [0, 0, 255]).toString('base64');

let openai: FakeUpstream;
let gemini: FakeUpstream;
let gateway: TestApp;
let client: OpenAI;

beforeAll(async () => {
  openai = await startFakeOpenAI();
  openai.route('POST', '/v1/images/generations', (request) => {
    const body = request.json as { n?: number };
    return {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(
        {
          created: 1_713_833_628,
          data: Array.from({ length: body.n ?? 1 }, () => ({ b64_json: RED })),
          usage: { total_tokens: 100, input_tokens: 50, output_tokens: 50 },
        },
        null,
        2,
      ),
    };
  });
  gemini = await startFakeGemini([], [], []);
  gemini.route('POST', `/v1beta/models/imagen-4.0-generate-001:predict`, (request) => {
    const body = request.json as { parameters: { sampleCount: number } };
    return {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        predictions: Array.from({ length: body.parameters.sampleCount }, () => ({
          bytesBase64Encoded: BLUE,
          mimeType: 'image/png',
        })),
      }),
    };
  });
  gemini.route('POST', geminiPath('gemini-2.5-flash-image', 'generateContent'), () =>
    geminiImageAnswer('A blue square.', BLUE, { prompt: 7, candidates: 1290 }),
  );
  gateway = await buildTestApp({
    env: {
      OPENAI_API_KEY: OPENAI_KEY,
      OPENAI_BASE_URL: `${openai.origin}/v1`,
      GEMINI_API_KEY: GEMINI_KEY,
      GEMINI_BASE_URL: gemini.origin,
      RATE_LIMITING_ENABLED: 'true',
    },
  });
  await gateway.listen();
  client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: TEST_KEY, maxRetries: 0 });
});

afterAll(async () => {
  await gateway.close();
  await openai.close();
  await gemini.close();
});

afterEach(() => {
  openai.reset();
  gemini.reset();
});

const accessLine = () =>
  gateway.logs
    .accessLines()
    .filter((line) => line['route'] === '/v1/images/generations')
    .at(-1);

describe('OpenAI image models', () => {
  it('passes the request through and the answer back, and prices each image', async () => {
    const { data: images, response } = await client.images
      .generate({ model: 'gpt-image-1', prompt: 'A red square', n: 2, size: '1024x1024', quality: 'low' })
      .withResponse();
    expect(images.data).toHaveLength(2);
    expect(readPng(Buffer.from(images.data![0]!.b64_json!, 'base64'))).toEqual({ width: 4, height: 3 });
    expect(openai.last().json).toEqual({
      model: 'gpt-image-1',
      prompt: 'A red square',
      n: 2,
      size: '1024x1024',
      quality: 'low',
    });
    expect(response.headers.get('x-ratelimit-limit')).toBe('10');
    expect(accessLine()).toMatchObject({ model: 'gpt-image-1', provider: 'openai', costUsd: 2 * 0.042 });
  });

  it("uses OpenAI's default model when none is named", async () => {
    await client.images.generate({ prompt: 'A red square' });
    expect((openai.last().json as { model: string }).model).toBe('dall-e-2');
  });
});

describe('Gemini image models', () => {
  it('translates Imagen through predict, answers b64_json PNG bytes, and prices each image', async () => {
    const images = await client.images.generate({
      model: 'imagen-4.0-generate-001',
      prompt: 'A blue square',
      n: 3,
      size: '1792x1024',
      output_format: 'png',
    });
    expect(images.data).toHaveLength(3);
    for (const image of images.data!) {
      expect(readPng(Buffer.from(image.b64_json!, 'base64'))).toEqual({ width: 2, height: 2 });
    }
    const sent = gemini.last();
    expect(sent.path).toBe('/v1beta/models/imagen-4.0-generate-001:predict');
    expect(sent.headers['x-goog-api-key']).toBe(GEMINI_KEY);
    expect(sent.json).toEqual({
      instances: [{ prompt: 'A blue square' }],
      parameters: { sampleCount: 3, aspectRatio: '16:9', outputOptions: { mimeType: 'image/png' } },
    });
    expect(accessLine()).toMatchObject({ provider: 'gemini', costUsd: 3 * 0.04 });
  });

  it('translates a Gemini image-output model through generateContent', async () => {
    const { data: images, response } = await client.images
      .generate({ model: 'gemini-2.5-flash-image', prompt: 'A blue square', quality: 'high' })
      .withResponse();
    expect(readPng(Buffer.from(images.data![0]!.b64_json!, 'base64'))).toEqual({ width: 2, height: 2 });
    expect(images.data![0]!.revised_prompt).toBe('A blue square.');
    expect(gemini.last().json).toEqual({
      contents: [{ role: 'user', parts: [{ text: 'A blue square' }] }],
      generationConfig: { responseModalities: ['TEXT', 'IMAGE'] },
    });
    expect(response.headers.get('x-gateway-warnings')).toContain('dropped quality');
  });

  it('refuses what Gemini cannot do, before calling it', async () => {
    await expect(
      client.images.generate({ model: 'imagen-4.0-generate-001', prompt: 'x', response_format: 'url' }),
    ).rejects.toMatchObject({ status: 400, param: 'response_format' });
    await expect(
      client.images.generate({ model: 'imagen-4.0-generate-001', prompt: 'x', n: 5 }),
    ).rejects.toMatchObject({ status: 400, param: 'n' });
    await expect(
      client.images.generate({ model: 'imagen-4.0-generate-001', prompt: 'x', size: '1536x1024' }),
    ).rejects.toMatchObject({ status: 400, param: 'size' });
    await expect(
      client.images.generate({ model: 'gemini-2.5-flash-image', prompt: 'x', n: 2 }),
    ).rejects.toMatchObject({ status: 400, param: 'n' });
    expect(gemini.requests).toHaveLength(0);
  });

  it('refuses a chat model and a missing prompt in the OpenAI envelope', async () => {
    await expect(client.images.generate({ model: 'gpt-4o-mini', prompt: 'x' })).rejects.toMatchObject({
      status: 400,
      param: 'model',
    });
    const response = await gateway.app.inject({
      method: 'POST',
      url: '/v1/images/generations',
      headers: authHeaders(),
      payload: { model: 'dall-e-3' },
    });
    expect(response.statusCode).toBe(400);
  });
});
