import { request as httpRequest } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FakeUpstream } from '../../helpers/fake-upstream.js';
import {
  SPEECH_STREAM,
  SPEECH_TYPES,
  openaiError,
  speechAudio,
  startFakeOpenAI,
} from '../../helpers/fake-openai.js';
import { OPENAI_KEY, authHeaders, buildTestApp, type TestApp } from '../../helpers/build-app.js';
import { assertOpenAISchema } from '../../helpers/openai-schemas.js';

let upstream: FakeUpstream;
let gateway: TestApp;

const hello = { model: 'gpt-4o-mini-tts', input: 'Hello there.', voice: 'coral' };

function post(body: unknown) {
  return gateway.app.inject({
    method: 'POST',
    url: '/v1/audio/speech',
    headers: { ...authHeaders(), 'content-type': 'application/json' },
    payload: JSON.stringify(body),
  });
}

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  gateway = await buildTestApp({
    env: { OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: `${upstream.origin}/v1`, REQUEST_TIMEOUT: '5000' },
  });
  await gateway.listen();
});

afterAll(async () => {
  await gateway.close();
  await upstream.close();
});

afterEach(() => upstream.reset());

describe('POST /v1/audio/speech through the OpenAI provider', () => {
  it.each(Object.entries(SPEECH_TYPES))(
    'streams %s audio back byte for byte with the upstream content type %s',
    async (format, contentType) => {
      const response = await post({ ...hello, response_format: format });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe(contentType);
      expect(response.rawPayload.equals(speechAudio(hello.input, format))).toBe(true);
      expect(response.headers['x-gateway-provider']).toBe('openai');
      expect(response.headers['x-gateway-model']).toBe('gpt-4o-mini-tts');
    },
  );

  it('forwards the request unchanged but for the model, unknown fields included', async () => {
    const body = {
      model: 'openai/tts-1-hd',
      input: 'Read this.',
      voice: { id: 'voice_1234' },
      instructions: 'Cheerful.',
      speed: 1.25,
      future_field: [1, 2],
    };
    await post(body);
    expect(upstream.last().path).toBe('/v1/audio/speech');
    expect(upstream.last().json).toEqual({ ...body, model: 'tts-1-hd' });
  });

  it('passes stream_format=sse through and relays the audio events unchanged', async () => {
    const response = await post({ ...hello, stream_format: 'sse' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(response.body).toBe(SPEECH_STREAM);
  });

  it('sends audio to the client before the upstream has finished', async () => {
    const audio = speechAudio('slow', 'mp3');
    // The upstream sends 4 KiB and then stalls: the client must already hold those bytes.
    upstream.enqueue('POST', '/v1/audio/speech', {
      status: 200,
      headers: { 'content-type': 'audio/mpeg' },
      body: audio,
      chunkBytes: 4096,
      hang: 4096,
    });
    const url = new URL(gateway.url);
    const first = await new Promise<Buffer>((resolve, reject) => {
      const request = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: '/v1/audio/speech',
          method: 'POST',
          headers: { ...authHeaders(), 'content-type': 'application/json' },
        },
        (response) => {
          response.once('data', (chunk: Buffer) => {
            resolve(chunk);
            request.destroy();
          });
        },
      );
      request.on('error', () => {});
      request.on('close', () => reject(new Error('closed before any audio')));
      request.end(JSON.stringify({ ...hello, input: 'slow' }));
    });
    expect(first.equals(audio.subarray(0, first.length))).toBe(true);
    // The client went away: the upstream request is aborted.
    await expect.poll(() => upstream.aborted, { timeout: 3000 }).toBe(1);
  });

  it('cuts the connection when the upstream fails after the audio started', async () => {
    upstream.enqueue('POST', '/v1/audio/speech', {
      status: 200,
      headers: { 'content-type': 'audio/mpeg' },
      body: speechAudio('cut'),
      chunkBytes: 4096,
      reset: 8192,
    });
    const response = post({ ...hello, input: 'cut' });
    await expect(response).rejects.toThrow();
  });

  it.each([
    ['no voice', { model: 'tts-1', input: 'Hi' }, 'voice', 'missing_required_parameter'],
    ['an empty input', { ...hello, input: '' }, 'input', 'invalid_value'],
    ['an unknown format', { ...hello, response_format: 'ogg' }, 'response_format', 'invalid_value'],
    ['a speed out of range', { ...hello, speed: 5 }, 'speed', 'invalid_value'],
    ['an unknown stream_format', { ...hello, stream_format: 'chunks' }, 'stream_format', 'invalid_value'],
  ])('refuses %s with a 400 naming the field', async (_label, body, param, code) => {
    const response = await post(body);
    expect(response.statusCode).toBe(400);
    assertOpenAISchema('ErrorResponse', response.json());
    expect(response.json().error).toMatchObject({ param, code, type: 'validation_error' });
    expect(upstream.requests).toHaveLength(0);
  });

  it('refuses a model that does not speak', async () => {
    const response = await post({ ...hello, model: 'whisper-1' });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('model_not_supported');
  });

  it('answers the upstream error status before any audio', async () => {
    upstream.enqueue(
      'POST',
      '/v1/audio/speech',
      openaiError(429, 'error-rate-limit.json', { 'retry-after': '3' }),
    );
    const response = await post(hello);
    expect(response.statusCode).toBe(429);
    expect(response.headers['retry-after']).toBe('3');
    expect(response.json().error.type).toBe('provider_error');
  });
});
