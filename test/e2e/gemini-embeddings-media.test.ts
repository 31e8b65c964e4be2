/**
 * Gemini embeddings and image URLs end to end, through the official openai SDK: what Gemini
 * received and what the client got. Also: bad Gemini settings stop the gateway at start.
 */
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FakeUpstream } from '../helpers/fake-upstream.js';
import { GEMINI_KEY, geminiPath, startFakeGemini } from '../helpers/fake-gemini.js';
import { fakeVector } from '../helpers/fake-openai.js';
import { TEST_KEY, buildTestApp, type TestApp } from '../helpers/build-app.js';
import { assertOpenAISchema } from '../helpers/openai-schemas.js';

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001', 'hex');

let upstream: FakeUpstream;
let gateway: TestApp;
let client: OpenAI;

async function start(env: Record<string, string>): Promise<{ gateway: TestApp; client: OpenAI }> {
  const app = await buildTestApp({
    env: { GEMINI_API_KEY: GEMINI_KEY, GEMINI_BASE_URL: upstream.origin, REQUEST_TIMEOUT: '3000', ...env },
  });
  const url = await app.listen();
  return { gateway: app, client: new OpenAI({ baseURL: `${url}/v1`, apiKey: TEST_KEY, maxRetries: 0 }) };
}

beforeAll(async () => {
  upstream = await startFakeGemini();
  upstream.route('GET', '/media/cat.png', () => ({
    status: 200,
    headers: { 'content-type': 'image/png' },
    body: PNG,
  }));
  ({ gateway, client } = await start({}));
});

afterAll(async () => {
  await gateway.close();
  await upstream.close();
});

afterEach(() => upstream.reset());

function decode(base64: string): number[] {
  const bytes = Buffer.from(base64, 'base64');
  return Array.from({ length: bytes.length / 4 }, (_, index) => bytes.readFloatLE(index * 4));
}

describe('embeddings through Gemini', () => {
  it('embeds a batch in order, with index, dimensions and usage, through the SDK (which asks for base64)', async () => {
    const inputs = ['alpha', 'beta', 'gamma'];
    const answer = await client.embeddings.create({
      model: 'gemini-embedding-001',
      input: inputs,
      dimensions: 4,
    });
    assertOpenAISchema('CreateEmbeddingResponse', answer);
    expect(answer.data.map((item) => item.index)).toEqual([0, 1, 2]);
    inputs.forEach((text, index) => {
      const expected = fakeVector(text, 4);
      answer.data[index]!.embedding.forEach((value, position) =>
        expect(value).toBeCloseTo(expected[position]!, 5),
      );
    });
    expect(answer.usage.prompt_tokens).toBeGreaterThan(0);
    expect(answer.usage.total_tokens).toBe(answer.usage.prompt_tokens);
    expect(answer.model).toBe('gemini-embedding-001');

    const received = upstream.last();
    expect(received.path).toBe(geminiPath('gemini-embedding-001', 'batchEmbedContents'));
    expect(received.headers['x-goog-api-key']).toBe(GEMINI_KEY);
    expect(received.json).toEqual({
      requests: inputs.map((text) => ({
        model: 'models/gemini-embedding-001',
        content: { parts: [{ text }] },
        outputDimensionality: 4,
      })),
    });
  });

  it('answers base64 as OpenAI encodes it: little-endian float32', async () => {
    const response = await fetch(`${gateway.url}/v1/embeddings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'gemini-embedding-001',
        input: ['one', 'two'],
        encoding_format: 'base64',
      }),
    });
    const body = (await response.json()) as { data: { embedding: string; index: number }[] };
    expect(body.data.map((item) => item.index)).toEqual([0, 1]);
    ['one', 'two'].forEach((text, index) => {
      const expected = fakeVector(text, 8);
      decode(body.data[index]!.embedding).forEach((value, position) =>
        expect(value).toBeCloseTo(expected[position]!, 5),
      );
    });
  });

  it('answers floats for encoding_format float, one string input', async () => {
    const response = await fetch(`${gateway.url}/v1/embeddings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'text-embedding-004', input: 'hello', encoding_format: 'float' }),
    });
    const body = (await response.json()) as { data: { embedding: number[]; index: number }[] };
    assertOpenAISchema('CreateEmbeddingResponse', body);
    expect(body.data).toEqual([{ object: 'embedding', index: 0, embedding: fakeVector('hello', 8) }]);
  });

  it('splits more than 100 inputs into batches and keeps the order', async () => {
    const inputs = Array.from({ length: 250 }, (_, index) => `text ${index}`);
    const answer = await client.embeddings.create({
      model: 'text-embedding-004',
      input: inputs,
      encoding_format: 'float',
    });
    expect(upstream.requests).toHaveLength(3);
    expect(answer.data).toHaveLength(250);
    expect(answer.data[249]!.embedding).toEqual(fakeVector('text 249', 8));
    expect(answer.data.map((item) => item.index)).toEqual(inputs.map((_, index) => index));
  });

  it('refuses token ids, naming input, without calling Gemini', async () => {
    const error = await client.embeddings.create({ model: 'gemini-embedding-001', input: [[1, 2, 3]] }).then(
      () => undefined,
      (caught: unknown) => caught as InstanceType<typeof OpenAI.BadRequestError>,
    );
    expect(error?.status).toBe(400);
    expect(error?.param).toBe('input');
    expect(upstream.requests).toHaveLength(0);
  });
});

describe('image URLs', () => {
  const ask = (target: OpenAI, url: string) =>
    target.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', image_url: { url } },
          ],
        },
      ],
    });

  it('refuses a loopback image URL by default, before any request is made', async () => {
    const error = await ask(client, `${upstream.origin}/media/cat.png`).then(
      () => undefined,
      (caught: unknown) => caught as InstanceType<typeof OpenAI.BadRequestError>,
    );
    expect(error?.status).toBe(400);
    expect(error?.code).toBe('media_url_forbidden');
    expect(error?.param).toBe('messages[0].content[1].image_url.url');
    expect(upstream.requests).toHaveLength(0);
  });

  it('downloads the image and sends it inline when private networks are allowed', async () => {
    const relaxed = await start({ MEDIA_ALLOW_PRIVATE_NETWORKS: 'true' });
    try {
      const completion = await ask(relaxed.client, `${upstream.origin}/media/cat.png`);
      assertOpenAISchema('CreateChatCompletionResponse', completion);
      const [download, call] = upstream.requests;
      expect(download!.path).toBe('/media/cat.png');
      expect(download!.headers['x-goog-api-key']).toBeUndefined();
      expect((call!.json as { contents: unknown[] }).contents).toEqual([
        {
          role: 'user',
          parts: [
            { text: 'What is this?' },
            { inlineData: { mimeType: 'image/png', data: PNG.toString('base64') } },
          ],
        },
      ]);
    } finally {
      await relaxed.gateway.close();
    }
  });
});

describe('image URLs over retries and failover', () => {
  it('downloads an image once per request, however many attempts are made', async () => {
    const relaxed = await start({ MEDIA_ALLOW_PRIVATE_NETWORKS: 'true' });
    try {
      // The first attempt is refused with a 503 and retried: the image is not downloaded again.
      upstream.enqueue('POST', geminiPath('gemini-2.5-flash', 'generateContent'), {
        status: 503,
        json: { error: { code: 503, message: 'overloaded', status: 'UNAVAILABLE' } },
      });
      const completion = await relaxed.client.chat.completions.create({
        model: 'gemini-2.5-flash',
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is this?' },
              { type: 'image_url', image_url: { url: `${upstream.origin}/media/cat.png` } },
            ],
          },
        ],
      });
      assertOpenAISchema('CreateChatCompletionResponse', completion);
      const paths = upstream.requests.map((request) => request.path);
      expect(paths.filter((path) => path === '/media/cat.png')).toHaveLength(1);
      expect(paths.filter((path) => path.endsWith(':generateContent'))).toHaveLength(2);
    } finally {
      await relaxed.gateway.close();
    }
  });
});

describe('settings', () => {
  it('refuses bad Gemini settings at start, naming the key', async () => {
    await expect(
      buildTestApp({
        env: { GEMINI_API_KEY: GEMINI_KEY },
        configure: (config) => {
          Object.assign(config.gateway.providers['gemini']!, { thoughts: 'always' });
        },
      }),
    ).rejects.toThrow(/providers\.gemini\.thoughts/);
  });
});
