/**
 * Image edits and variations through the official openai SDK, against a listening gateway in front
 * of the fake OpenAI and the fake Gemini: the multipart form relayed to OpenAI with its images intact
 * (as it arrives when `model` comes first, from disk, and so retried, when an image does), a Gemini
 * image-output model given the images inline and answering `b64_json` PNG bytes, what cannot be
 * served refused in the OpenAI envelope before any provider is called, each image priced.
 */
import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import OpenAI, { toFile } from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FakeUpstream, RecordedRequest } from '../helpers/fake-upstream.js';
import { startFakeOpenAI } from '../helpers/fake-openai.js';
import { geminiImageAnswer, geminiPath, startFakeGemini } from '../helpers/fake-gemini.js';
import { OPENAI_KEY, TEST_KEY, authHeaders, buildTestApp, type TestApp } from '../helpers/build-app.js';
import { makePng, readPng } from '../helpers/png.js';
import { formatKeyHash } from '../../src/identity.js';
import { MAX_IMAGE_UPLOAD_BYTES } from '../../schemas/images.js';

const GEMINI_KEY = 'gemini-test-upstream-secret-0000';
const RESTRICTED_KEY = 'gw-restricted-image-key-0123456789';
const RED = makePng(4, 3, [255, 0, 0]);
const GREEN = makePng(3, 5, [0, 255, 0]);
const BLUE = makePng(2, 2, [0, 0, 255]).toString('base64');
const MASK = makePng(4, 3, [0, 0, 0]);

let openai: FakeUpstream;
let gemini: FakeUpstream;
let gateway: TestApp;
let client: OpenAI;

/** The form a fake received: its fields in order, and each file with its exact bytes. */
async function receivedForm(request: RecordedRequest) {
  const form = await new Request('http://fake.invalid/', {
    method: 'POST',
    headers: { 'content-type': String(request.headers['content-type']) },
    body: request.body,
  }).formData();
  const fields: [string, string][] = [];
  const files: { field: string; name: string; type: string; bytes: Buffer }[] = [];
  for (const [name, value] of form.entries()) {
    if (typeof value === 'string') fields.push([name, value]);
    else {
      files.push({
        field: name,
        name: value.name,
        type: value.type,
        bytes: Buffer.from(await value.arrayBuffer()),
      });
    }
  }
  return { fields, files };
}

async function imagesAnswer(request: RecordedRequest) {
  const { fields } = await receivedForm(request);
  const n = Number(fields.find(([name]) => name === 'n')?.[1] ?? 1);
  return {
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      created: 1_713_833_628,
      data: Array.from({ length: n }, () => ({ b64_json: BLUE })),
      usage: { total_tokens: 100, input_tokens: 50, output_tokens: 50 },
    }),
  };
}

beforeAll(async () => {
  openai = await startFakeOpenAI();
  openai.route('POST', '/v1/images/edits', imagesAnswer);
  openai.route('POST', '/v1/images/variations', imagesAnswer);
  gemini = await startFakeGemini([], [], []);
  gemini.route('POST', geminiPath('gemini-2.5-flash-image', 'generateContent'), () =>
    geminiImageAnswer('Now blue.', BLUE, { prompt: 265, candidates: 1290 }),
  );
  gateway = await buildTestApp({
    env: {
      OPENAI_API_KEY: OPENAI_KEY,
      OPENAI_BASE_URL: `${openai.origin}/v1`,
      GEMINI_API_KEY: GEMINI_KEY,
      GEMINI_BASE_URL: gemini.origin,
      RATE_LIMITING_ENABLED: 'true',
      RATE_LIMIT_IMAGES_RPM: '1000',
    },
    configure: (config) => {
      config.gateway.routing.retries.maxRetries = 1;
      config.gateway.routing.retries.baseDelayMs = 0;
      config.gateway.routing.models['house-editor'] = {
        models: ['gpt-image-1', 'gemini-2.5-flash-image'],
        strategy: 'priority',
      };
      config.gateway.auth.clients.push({
        id: 'restricted',
        name: 'Restricted',
        keyHash: formatKeyHash(RESTRICTED_KEY),
        allowedModels: ['gpt-4o-mini'],
      });
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

const accessLine = (route = '/v1/images/edits') =>
  gateway.logs
    .accessLines()
    .filter((line) => line['route'] === route)
    .at(-1);

describe('OpenAI image models', () => {
  it('relays the form as it arrives when model comes first, images intact, and prices each image', async () => {
    const { data: images, response } = await client.images
      .edit({
        model: 'gpt-image-1',
        image: [
          await toFile(RED, 'red.png', { type: 'image/png' }),
          await toFile(GREEN, 'green.png', { type: 'image/png' }),
        ],
        prompt: 'Paint them blue',
        n: 2,
        size: '1024x1024',
        quality: 'low',
        input_fidelity: 'high',
      })
      .withResponse();
    expect(images.data).toHaveLength(2);
    expect(readPng(Buffer.from(images.data![0]!.b64_json!, 'base64'))).toEqual({ width: 2, height: 2 });
    const sent = openai.last();
    expect(sent.path).toBe('/v1/images/edits');
    expect(sent.headers['authorization']).toBe(`Bearer ${OPENAI_KEY}`);
    const form = await receivedForm(sent);
    expect(form.fields).toEqual([
      ['model', 'gpt-image-1'],
      ['prompt', 'Paint them blue'],
      ['n', '2'],
      ['size', '1024x1024'],
      ['quality', 'low'],
      ['input_fidelity', 'high'],
    ]);
    expect(form.files.map(({ field, name, type }) => ({ field, name, type }))).toEqual([
      { field: 'image[]', name: 'red.png', type: 'image/png' },
      { field: 'image[]', name: 'green.png', type: 'image/png' },
    ]);
    expect(form.files[0]!.bytes.equals(RED)).toBe(true);
    expect(form.files[1]!.bytes.equals(GREEN)).toBe(true);
    // The `images` rate-limit class (RATE_LIMIT_IMAGES_RPM).
    expect(response.headers.get('x-ratelimit-limit')).toBe('1000');
    expect(accessLine()).toMatchObject({
      status: 200,
      model: 'gpt-image-1',
      provider: 'openai',
      costUsd: 2 * 0.042,
    });
  });

  it('keeps an image sent before model on disk, names the default model, and retries it whole', async () => {
    openai.enqueue('POST', '/v1/images/edits', { status: 500, json: { error: { message: 'busy' } } });
    const images = await client.images.edit({
      image: await toFile(RED, 'red.png', { type: 'image/png' }),
      mask: await toFile(MASK, 'mask.png', { type: 'image/png' }),
      prompt: 'A red square',
    });
    expect(images.data).toHaveLength(1);
    expect(openai.requests.map((request) => request.path)).toEqual(['/v1/images/edits', '/v1/images/edits']);
    const form = await receivedForm(openai.last());
    expect(form.fields).toEqual([
      ['model', 'dall-e-2'],
      ['prompt', 'A red square'],
    ]);
    expect(form.files.map((file) => file.field)).toEqual(['image', 'mask']);
    expect(form.files[0]!.bytes.equals(RED)).toBe(true);
    expect(form.files[1]!.bytes.equals(MASK)).toBe(true);
    expect(accessLine()).toMatchObject({ model: 'dall-e-2', costUsd: 0.02 });
  });

  it('sends the images on while the client is still sending them', async () => {
    const boundary = 'image-edit-streamed';
    const image = Buffer.concat([RED, Buffer.alloc(2 * 1024 * 1024, 5)]);
    const request = httpRequest(`${gateway.url}/v1/images/edits`, {
      method: 'POST',
      headers: { ...authHeaders(), 'content-type': `multipart/form-data; boundary=${boundary}` },
    });
    const answer = new Promise<number>((resolve, reject) => {
      request.on('error', reject);
      request.on('response', (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      });
    });
    request.write(
      `--${boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\ngpt-image-1\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="big.png"\r\n` +
        'Content-Type: image/png\r\n\r\n',
    );
    request.write(image.subarray(0, 1024 * 1024));
    // The rest is sent only once OpenAI has received most of the first half: a gateway that waited
    // for the whole form would never get there.
    await new Promise<void>((resolve) => {
      const listener = (path: string, received: number) => {
        if (path === '/v1/images/edits' && received >= 900 * 1024) {
          openai.progress.off('body', listener);
          resolve();
        }
      };
      openai.progress.on('body', listener);
    });
    request.write(image.subarray(1024 * 1024));
    request.end(
      `\r\n--${boundary}\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nMake it blue\r\n--${boundary}--\r\n`,
    );
    expect(await answer).toBe(200);
    const form = await receivedForm(openai.last());
    expect(form.files[0]!.bytes.equals(image)).toBe(true);
    expect(form.fields).toEqual([
      ['model', 'gpt-image-1'],
      ['prompt', 'Make it blue'],
    ]);
  });

  it('fails a received form over to the next deployment of a group, another provider included', async () => {
    const busy = { status: 500, json: { error: { message: 'busy' } } };
    openai.enqueue('POST', '/v1/images/edits', busy, busy);
    const { data: images, response } = await client.images
      .edit({
        image: await toFile(RED, 'red.png', { type: 'image/png' }),
        prompt: 'Make it blue',
        model: 'house-editor',
      })
      .withResponse();
    expect(readPng(Buffer.from(images.data![0]!.b64_json!, 'base64'))).toEqual({ width: 2, height: 2 });
    expect(openai.requests).toHaveLength(2);
    const sent = gemini.last().json as { contents: { parts: { inlineData?: { data: string } }[] }[] };
    expect(sent.contents[0]!.parts[1]!.inlineData!.data).toBe(RED.toString('base64'));
    expect(response.headers.get('x-gateway-provider')).toBe('gemini');
    expect(accessLine()).toMatchObject({ status: 200, provider: 'gemini', model: 'house-editor' });
  });

  it('sends a form still arriving once: an upstream failure is not retried', async () => {
    openai.enqueue('POST', '/v1/images/edits', { status: 500, json: { error: { message: 'busy' } } });
    await expect(
      client.images.edit({
        model: 'gpt-image-1',
        image: await toFile(RED, 'red.png', { type: 'image/png' }),
        prompt: 'x',
      }),
    ).rejects.toMatchObject({ status: 500 });
    expect(openai.requests).toHaveLength(1);
  });

  it('relays a variation', async () => {
    const images = await client.images.createVariation({
      model: 'dall-e-2',
      image: await toFile(GREEN, 'green.png', { type: 'image/png' }),
      n: 3,
    });
    expect(images.data).toHaveLength(3);
    const form = await receivedForm(openai.last());
    expect(openai.last().path).toBe('/v1/images/variations');
    expect(form.files[0]!.bytes.equals(GREEN)).toBe(true);
    expect(accessLine('/v1/images/variations')).toMatchObject({ model: 'dall-e-2', costUsd: 3 * 0.02 });
  });
});

describe('Gemini image-output models', () => {
  it('sends the images inline with the prompt and answers b64_json PNG bytes', async () => {
    const { data: images, response } = await client.images
      .edit({
        image: [await toFile(RED, 'red.png'), await toFile(GREEN, 'green.png', { type: 'image/png' })],
        prompt: 'Make it blue',
        model: 'gemini-2.5-flash-image',
        quality: 'high',
      })
      .withResponse();
    expect(readPng(Buffer.from(images.data![0]!.b64_json!, 'base64'))).toEqual({ width: 2, height: 2 });
    expect(images.data![0]!.revised_prompt).toBe('Now blue.');
    const sent = gemini.last();
    expect(sent.path).toBe(geminiPath('gemini-2.5-flash-image', 'generateContent'));
    expect(sent.headers['x-goog-api-key']).toBe(GEMINI_KEY);
    expect(sent.json).toEqual({
      contents: [
        {
          role: 'user',
          parts: [
            { text: 'Make it blue' },
            { inlineData: { mimeType: 'image/png', data: RED.toString('base64') } },
            { inlineData: { mimeType: 'image/png', data: GREEN.toString('base64') } },
          ],
        },
      ],
      generationConfig: { responseModalities: ['TEXT', 'IMAGE'] },
    });
    expect(response.headers.get('x-gateway-warnings')).toContain('dropped quality');
    expect(accessLine()).toMatchObject({ status: 200, provider: 'gemini', model: 'gemini-2.5-flash-image' });
    expect(accessLine()?.['costUsd']).toBeCloseTo(0.039 + (265 * 0.3) / 1e6, 9);
  });

  it('refuses a mask, a url response and an Imagen model, before calling Gemini', async () => {
    await expect(
      client.images.edit({
        model: 'gemini-2.5-flash-image',
        image: await toFile(RED, 'red.png', { type: 'image/png' }),
        mask: await toFile(MASK, 'mask.png', { type: 'image/png' }),
        prompt: 'x',
      }),
    ).rejects.toMatchObject({ status: 400, param: 'mask' });
    await expect(
      client.images.edit({
        model: 'gemini-2.5-flash-image',
        image: await toFile(RED, 'red.png', { type: 'image/png' }),
        prompt: 'x',
        response_format: 'url',
      }),
    ).rejects.toMatchObject({ status: 400, param: 'response_format' });
    const imagen = client.images.edit({
      model: 'imagen-4.0-generate-001',
      image: await toFile(RED, 'red.png', { type: 'image/png' }),
      prompt: 'x',
    });
    await expect(imagen).rejects.toMatchObject({ status: 400, param: 'model' });
    await expect(imagen).rejects.toThrow(/imagen-4\.0-generate-001/);
    expect(gemini.requests).toHaveLength(0);
  });

  it('refuses bytes that are not an image, whatever they are called', async () => {
    await expect(
      client.images.edit({
        model: 'gemini-2.5-flash-image',
        image: await toFile(Buffer.from('GIF89a not really'), 'cat.png'),
        prompt: 'x',
      }),
    ).rejects.toMatchObject({ status: 400, param: 'image', code: 'media_unsupported_type' });
    expect(gemini.requests).toHaveLength(0);
  });

  it('does not serve variations', async () => {
    await expect(
      client.images.createVariation({
        model: 'gemini-2.5-flash-image',
        image: await toFile(RED, 'red.png', { type: 'image/png' }),
      }),
    ).rejects.toMatchObject({ status: 400, param: 'model' });
  });
});

describe('refusals in the OpenAI envelope', () => {
  /**
   * Sends a form's head, then image bytes until the gateway answers or the limit is passed; the
   * request is destroyed once answered (the gateway stops reading past the limit).
   */
  async function sendLarge(model: string, headers: Record<string, string> = {}) {
    const boundary = 'image-edit-boundary';
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\n${model}\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nx\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="large.png"\r\n` +
        'Content-Type: image/png\r\n\r\n',
    );
    const request = httpRequest(`${gateway.url}/v1/images/edits`, {
      method: 'POST',
      headers: { ...authHeaders(), 'content-type': `multipart/form-data; boundary=${boundary}`, ...headers },
    });
    request.on('error', () => {});
    const answer = new Promise<{ status: number; body: string }>((resolve) => {
      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
        );
      });
    });
    let answered = false;
    void answer.then(() => (answered = true));
    request.write(head);
    request.write(RED);
    // A declared length is refused on the headers: nothing more is read.
    const piece = Buffer.alloc(1024 * 1024, 1);
    const limit = headers['content-length'] === undefined ? MAX_IMAGE_UPLOAD_BYTES : 0;
    // One wait for the close, made once: a new one per piece left a listener per piece on the request.
    const closed = once(request, 'close');
    closed.catch(() => {});
    for (let sent = RED.length; sent <= limit && !answered; sent += piece.length) {
      if (!request.write(piece)) await Promise.race([once(request, 'drain'), closed, answer]);
    }
    const result = await answer;
    request.destroy();
    return { status: result.status, body: JSON.parse(result.body) as unknown };
  }

  it('refuses a declared length over the limit with 413 before reading the form', async () => {
    const answer = await sendLarge('gpt-image-1', { 'content-length': String(MAX_IMAGE_UPLOAD_BYTES * 2) });
    expect(answer.status).toBe(413);
    expect(answer.body).toMatchObject({
      error: { type: 'validation_error', code: 'file_too_large', param: 'image' },
    });
    expect(openai.requests).toHaveLength(0);
  });

  it('counts images as they arrive: past the limit, 413, the relay to OpenAI aborted', async () => {
    const aborted = once(openai.progress, 'body-aborted');
    const answer = await sendLarge('gpt-image-1');
    expect(answer.status).toBe(413);
    expect(answer.body).toMatchObject({ error: { code: 'file_too_large', param: 'image' } });
    await aborted;
    expect(openai.requests).toHaveLength(0);
  });

  it('refuses images past what Gemini takes inline with 413, Gemini never called', async () => {
    const answer = await sendLarge('gemini-2.5-flash-image');
    expect(answer.status).toBe(413);
    expect(answer.body).toMatchObject({ error: { code: 'file_too_large' } });
    expect(gemini.requests).toHaveLength(0);
  });

  it('refuses a wrong content type, streaming, a JSON body and a missing image', async () => {
    await expect(
      client.images.edit({
        model: 'gpt-image-1',
        image: await toFile(RED, 'red.gif', { type: 'image/gif' }),
        prompt: 'x',
      }),
    ).rejects.toMatchObject({ status: 400, param: 'image', code: 'media_unsupported_type' });
    await expect(
      client.images.edit({
        model: 'gpt-image-1',
        image: await toFile(RED, 'red.png', { type: 'image/png' }),
        prompt: 'x',
        stream: true,
      }),
    ).rejects.toMatchObject({ status: 400, param: 'stream' });
    const json = await gateway.app.inject({
      method: 'POST',
      url: '/v1/images/edits',
      headers: authHeaders(),
      payload: { model: 'gpt-image-1', prompt: 'x' },
    });
    expect(json.statusCode).toBe(400);
    expect(json.json()).toMatchObject({ error: { code: 'invalid_content_type', param: 'image' } });
    const noImage = await gateway.app.inject({
      method: 'POST',
      url: '/v1/images/edits',
      headers: { ...authHeaders(), 'content-type': 'multipart/form-data; boundary=b' },
      payload: '--b\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nx\r\n--b--\r\n',
    });
    expect(noImage.statusCode).toBe(400);
    expect(noImage.json()).toMatchObject({ error: { code: 'missing_required_parameter', param: 'image' } });
    expect(openai.requests).toHaveLength(0);
  });

  it("refuses a model outside the key's allow-list", async () => {
    const restricted = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: RESTRICTED_KEY, maxRetries: 0 });
    await expect(
      restricted.images.edit({
        model: 'gpt-image-1',
        image: await toFile(RED, 'red.png', { type: 'image/png' }),
        prompt: 'x',
      }),
    ).rejects.toMatchObject({ status: 403, code: 'model_not_allowed' });
    expect(openai.requests).toHaveLength(0);
  });
});
