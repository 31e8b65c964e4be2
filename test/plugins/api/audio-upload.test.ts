/**
 * The upload an adapter receives, read the way an adapter that needs the whole file (one that sends
 * the audio inline) reads it, and the per-route policy of the audio and Responses routes.
 */
import Fastify, { type RouteOptions } from 'fastify';
import multipart from '@fastify/multipart';
import { describe, expect, it } from 'vitest';
import { receiveAudioUpload } from '../../../src/http/audio-upload.js';
import { audioTranscriptionRoutes } from '../../../plugins/api/audio-transcriptions.js';
import { audioSpeechRoutes } from '../../../plugins/api/audio-speech.js';
import { responsesRoutes } from '../../../plugins/api/responses/index.js';
import { renderError } from '../../../src/errors.js';
import { createSerializerCompiler } from '../../../src/validation.js';
import { sharedSchemas } from '../../../schemas/index.js';
import { audioBytes, multipartBody, multipartContentType, type FormPart } from '../../helpers/multipart.js';

async function readLikeABufferingAdapter(parts: FormPart[]) {
  const app = Fastify();
  await app.register(multipart);
  app.setErrorHandler((error, _request, reply) => {
    const rendered = renderError(error);
    return reply.code(rendered.status).send(rendered.envelope);
  });
  app.post('/upload', async (request) => {
    const incoming = await receiveAudioUpload(request, 'transcription');
    try {
      const upload = incoming.open();
      const chunks: Buffer[] = [];
      for await (const chunk of upload.file.stream) chunks.push(chunk as Buffer);
      const fields = [...upload.fields, ...(await upload.fieldsAfterFile())];
      return {
        model: incoming.model,
        live: incoming.live,
        size: upload.file.size ?? null,
        bytes: Buffer.concat(chunks).toString('base64'),
        filename: upload.file.filename,
        contentType: upload.file.contentType,
        fields: fields.map((field) => [field.name, field.value]),
      };
    } finally {
      await incoming.close();
    }
  });
  const response = await app.inject({
    method: 'POST',
    url: '/upload',
    headers: { 'content-type': multipartContentType() },
    payload: multipartBody(parts),
  });
  await app.close();
  return response;
}

describe('the AudioUpload an adapter receives', () => {
  const audio = audioBytes(10_000, 4);
  const file: FormPart = { name: 'file', filename: 'a.wav', type: 'audio/wav', data: audio };

  it('streams the file when the model comes first, the later fields after it', async () => {
    const response = await readLikeABufferingAdapter([
      { name: 'model', value: 'whisper-1' },
      file,
      { name: 'language', value: 'de' },
    ]);
    expect(response.json()).toEqual({
      model: 'whisper-1',
      live: true,
      size: null,
      bytes: audio.toString('base64'),
      filename: 'a.wav',
      contentType: 'audio/wav',
      fields: [
        ['model', 'whisper-1'],
        ['language', 'de'],
      ],
    });
  });

  it('gives the size and every field at once when the file came first', async () => {
    const response = await readLikeABufferingAdapter([file, { name: 'model', value: 'whisper-1' }]);
    expect(response.json()).toMatchObject({
      live: false,
      size: audio.length,
      bytes: audio.toString('base64'),
      fields: [['model', 'whisper-1']],
    });
  });

  it('fails the read with the 400 of a bad field sent after the file', async () => {
    const response = await readLikeABufferingAdapter([
      { name: 'model', value: 'whisper-1' },
      file,
      { name: 'temperature', value: '7' },
    ]);
    expect(response.statusCode).toBe(400);
    expect(response.json().error.param).toBe('temperature');
  });
});

describe('route policy', () => {
  it("puts the audio routes in rate-limit class 'audio', the Responses API's in 'chat', none cacheable", async () => {
    const app = Fastify();
    app.setSerializerCompiler(createSerializerCompiler());
    for (const schema of sharedSchemas) app.addSchema(schema);
    const routes: RouteOptions[] = [];
    app.addHook('onRoute', (route) => {
      routes.push(route);
    });
    await app.register(audioTranscriptionRoutes, { requestTimeout: 1000 });
    await app.register(audioSpeechRoutes, { requestTimeout: 1000 });
    await app.register(responsesRoutes, {
      requestTimeout: 1000,
      unsupportedParameters: 'drop',
      responses: {
        retentionSeconds: 3600,
        maxMemoryBytes: 1024 * 1024,
        backgroundPollInterval: 1000,
        backgroundMaxWatched: 10,
        backgroundMaxWatchSeconds: 60,
      },
    });
    await app.ready();
    const policy = Object.fromEntries(
      routes
        .filter((route) => route.method !== 'HEAD')
        .map((route) => [`${String(route.method)} ${route.url}`, route.config]),
    );
    expect(policy).toEqual({
      'POST /v1/audio/transcriptions': {
        rateLimitClass: 'audio',
        cacheable: false,
        concurrencyLimited: true,
      },
      'POST /v1/audio/translations': { rateLimitClass: 'audio', cacheable: false, concurrencyLimited: true },
      'POST /v1/audio/speech': { rateLimitClass: 'audio', cacheable: false, concurrencyLimited: true },
      'POST /v1/responses': { rateLimitClass: 'chat', cacheable: false, concurrencyLimited: true },
      'GET /v1/responses/:id': { rateLimitClass: 'chat', cacheable: false, concurrencyLimited: true },
      'DELETE /v1/responses/:id': { rateLimitClass: 'chat', cacheable: false, concurrencyLimited: true },
    });
    await app.close();
  });
});
