import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FakeUpstream } from '../../helpers/fake-upstream.js';
import {
  TRANSCRIPTION,
  TRANSCRIPTION_SRT,
  TRANSCRIPTION_STREAM,
  TRANSCRIPTION_TEXT,
  TRANSCRIPTION_VERBOSE,
  TRANSCRIPTION_VTT,
  TRANSLATION,
  openaiError,
  readReceivedForm,
  startFakeOpenAI,
} from '../../helpers/fake-openai.js';
import { OPENAI_KEY, TEST_KEY, authHeaders, buildTestApp, type TestApp } from '../../helpers/build-app.js';
import { assertOpenAISchema } from '../../helpers/openai-schemas.js';
import {
  audioBytes,
  encodePart,
  multipartBody,
  multipartContentType,
  multipartEnd,
  type FormPart,
} from '../../helpers/multipart.js';
import { MAX_AUDIO_FILE_BYTES } from '../../../schemas/audio.js';

let upstream: FakeUpstream;
let gateway: TestApp;

const AUDIO = audioBytes(50_000, 42);
const file = (data = AUDIO): FormPart => ({ name: 'file', filename: 'speech.mp3', type: 'audio/mpeg', data });

function post(
  parts: FormPart[] | Buffer,
  url = '/v1/audio/transcriptions',
  headers: Record<string, string> = {},
) {
  return gateway.app.inject({
    method: 'POST',
    url,
    headers: { ...authHeaders(), 'content-type': multipartContentType(), ...headers },
    payload: Buffer.isBuffer(parts) ? parts : multipartBody(parts),
  });
}

// The gateway spools uploads under os.tmpdir(): here a folder of this file's own, so that what the
// gateways of other test files (other workers, at the same time) spool is not counted as this one's.
let spoolRoot = '';
let tmpdirBefore: string | undefined;
beforeAll(async () => {
  tmpdirBefore = process.env['TMPDIR'];
  spoolRoot = await mkdtemp(join(tmpdir(), 'audio-transcriptions-test-'));
  process.env['TMPDIR'] = spoolRoot;
});
afterAll(async () => {
  if (tmpdirBefore === undefined) delete process.env['TMPDIR'];
  else process.env['TMPDIR'] = tmpdirBefore;
  await rm(spoolRoot, { recursive: true, force: true });
});

function uploadDirectories(): Promise<string[]> {
  return readdir(spoolRoot).then((names) => names.filter((name) => name.startsWith('llm-gateway-upload-')));
}

/** An upload over a real connection, written by the test piece by piece. */
function openUpload(path = '/v1/audio/transcriptions', headers: Record<string, string> = {}) {
  const url = new URL(gateway.url);
  const request = httpRequest({
    host: url.hostname,
    port: url.port,
    path,
    method: 'POST',
    headers: { ...authHeaders(), 'content-type': multipartContentType(), ...headers },
  });
  const response = new Promise<{ status: number; body: string; message: IncomingMessage }>(
    (resolve, reject) => {
      request.on('response', (message) => {
        const chunks: Buffer[] = [];
        message.on('data', (chunk: Buffer) => chunks.push(chunk));
        message.on('end', () =>
          resolve({ status: message.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), message }),
        );
        message.on('error', reject);
      });
      request.on('error', reject);
    },
  );
  return { request, response };
}

/** Resolves when the fake upstream has received at least `bytes` of a request body on `path`. */
function upstreamReceived(path: string, bytes: number): Promise<void> {
  return new Promise((resolve) => {
    const listener = (at: string, received: number) => {
      if (at === path && received >= bytes) {
        upstream.progress.off('body', listener);
        resolve();
      }
    };
    upstream.progress.on('body', listener);
  });
}

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  gateway = await buildTestApp({
    env: { OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: `${upstream.origin}/v1`, REQUEST_TIMEOUT: '10000' },
  });
  await gateway.listen();
});

afterAll(async () => {
  await gateway.close();
  await upstream.close();
});

afterEach(() => upstream.reset());

describe('POST /v1/audio/transcriptions through the OpenAI provider', () => {
  it('forwards every field and the exact file bytes, and returns the upstream answer unchanged', async () => {
    const parts: FormPart[] = [
      { name: 'model', value: 'gpt-4o-transcribe' },
      { name: 'language', value: 'en' },
      { name: 'prompt', value: 'A fox, a dog.' },
      { name: 'response_format', value: 'json' },
      { name: 'temperature', value: '0.2' },
      { name: 'include[]', value: 'logprobs' },
      { name: 'chunking_strategy', value: 'auto' },
      file(),
      { name: 'future_field', value: 'kept' },
    ];
    const response = await post(parts);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.body).toBe(TRANSCRIPTION);
    assertOpenAISchema('CreateTranscriptionResponseJson', response.json());
    expect(response.headers['x-gateway-provider']).toBe('openai');
    expect(response.headers['x-gateway-model']).toBe('gpt-4o-transcribe');

    const received = upstream.last();
    expect(received.path).toBe('/v1/audio/transcriptions');
    expect(received.headers['authorization']).toBe(`Bearer ${OPENAI_KEY}`);
    expect(JSON.stringify(received.headers)).not.toContain(TEST_KEY);
    const form = await readReceivedForm(received);
    expect(form.fields).toEqual([
      ['model', 'gpt-4o-transcribe'],
      ['language', 'en'],
      ['prompt', 'A fox, a dog.'],
      ['response_format', 'json'],
      ['temperature', '0.2'],
      ['include[]', 'logprobs'],
      ['chunking_strategy', 'auto'],
      ['future_field', 'kept'],
    ]);
    expect(form.file?.name).toBe('speech.mp3');
    expect(form.file?.type).toBe('audio/mpeg');
    expect(form.file?.bytes.equals(AUDIO)).toBe(true);
    const line = gateway.logs.accessLines().at(-1)!;
    expect(line['promptTokens']).toBe(14);
  });

  it.each([
    ['text', TRANSCRIPTION_TEXT],
    ['srt', TRANSCRIPTION_SRT],
    ['vtt', TRANSCRIPTION_VTT],
  ])(
    'returns response_format=%s as the upstream sent it, with its content type',
    async (format, expected) => {
      const response = await post([
        { name: 'model', value: 'whisper-1' },
        { name: 'response_format', value: format },
        file(),
      ]);
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(response.body).toBe(expected);
    },
  );

  it('returns verbose_json with word and segment timestamps', async () => {
    const response = await post([
      { name: 'model', value: 'whisper-1' },
      { name: 'response_format', value: 'verbose_json' },
      { name: 'timestamp_granularities[]', value: 'word' },
      { name: 'timestamp_granularities[]', value: 'segment' },
      file(),
    ]);
    expect(response.body).toBe(TRANSCRIPTION_VERBOSE);
    assertOpenAISchema('CreateTranscriptionResponseVerboseJson', response.json());
    const form = await readReceivedForm(upstream.last());
    expect(form.fields.filter(([name]) => name === 'timestamp_granularities[]')).toEqual([
      ['timestamp_granularities[]', 'word'],
      ['timestamp_granularities[]', 'segment'],
    ]);
  });

  it('relays streamed transcription events unchanged, as server-sent events', async () => {
    const response = await post([
      { name: 'model', value: 'gpt-4o-mini-transcribe' },
      { name: 'stream', value: 'true' },
      file(),
    ]);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(response.body).toBe(TRANSCRIPTION_STREAM);
  });

  it('takes the file before the model (the Node SDK order): received whole, then sent on, then removed', async () => {
    const before = await uploadDirectories();
    const big = audioBytes(3 * 1024 * 1024, 7);
    const response = await post([file(big), { name: 'model', value: 'openai/whisper-1' }]);
    expect(response.statusCode).toBe(200);
    const form = await readReceivedForm(upstream.last());
    expect(form.fields).toEqual([['model', 'whisper-1']]);
    expect(form.file?.bytes.equals(big)).toBe(true);
    expect(await uploadDirectories()).toEqual(before);
  });
});

describe('POST /v1/audio/translations', () => {
  it('forwards the form to the translations endpoint', async () => {
    const response = await post(
      [{ name: 'model', value: 'whisper-1' }, { name: 'prompt', value: 'Guten Tag' }, file()],
      '/v1/audio/translations',
    );
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe(TRANSLATION);
    assertOpenAISchema('CreateTranscriptionResponseJson', response.json());
    expect(upstream.last().path).toBe('/v1/audio/translations');
  });

  it('refuses a response_format only transcriptions have', async () => {
    const response = await post(
      [{ name: 'model', value: 'whisper-1' }, { name: 'response_format', value: 'diarized_json' }, file()],
      '/v1/audio/translations',
    );
    expect(response.statusCode).toBe(400);
    expect(response.json().error.param).toBe('response_format');
  });
});

describe('bad audio requests get a clear 4xx naming the field, before any provider call', () => {
  it.each([
    [
      'a JSON body',
      { 'content-type': 'application/json' },
      '{"model":"whisper-1"}',
      'invalid_content_type',
      'file',
    ],
    ['a raw audio body', { 'content-type': 'audio/mpeg' }, 'ID3...', 'invalid_content_type', 'file'],
  ])('%s is refused', async (_label, headers, payload, code, param) => {
    const response = await gateway.app.inject({
      method: 'POST',
      url: '/v1/audio/transcriptions',
      headers: { ...authHeaders(), ...headers },
      payload,
    });
    expect(response.statusCode).toBe(400);
    assertOpenAISchema('ErrorResponse', response.json());
    expect(response.json().error).toMatchObject({ type: 'validation_error', code, param });
    expect(response.headers['x-gateway-error-code']).toBe('GW_ERR_AUDIO_NOT_MULTIPART');
  });

  it.each([
    ['no file', [{ name: 'model', value: 'whisper-1' }], 'file', 'missing_required_parameter'],
    ['no model', [file()], 'model', 'missing_required_parameter'],
    [
      'an unknown response_format',
      [{ name: 'model', value: 'whisper-1' }, { name: 'response_format', value: 'mp3' }, file()],
      'response_format',
      'invalid_value',
    ],
    [
      'a temperature that is not a number',
      [{ name: 'model', value: 'whisper-1' }, { name: 'temperature', value: 'warm' }, file()],
      'temperature',
      'invalid_type',
    ],
    [
      'a temperature out of range',
      [{ name: 'model', value: 'whisper-1' }, { name: 'temperature', value: '1.5' }, file()],
      'temperature',
      'invalid_value',
    ],
    [
      'stream that is not a boolean',
      [{ name: 'model', value: 'whisper-1' }, { name: 'stream', value: 'yes' }, file()],
      'stream',
      'invalid_type',
    ],
    [
      'an unknown timestamp granularity',
      [{ name: 'model', value: 'whisper-1' }, { name: 'timestamp_granularities[]', value: 'char' }, file()],
      'timestamp_granularities[]',
      'invalid_value',
    ],
    [
      'the model twice',
      [{ name: 'model', value: 'whisper-1' }, { name: 'model', value: 'whisper-1' }, file()],
      'model',
      'invalid_value',
    ],
    [
      'the file in another field',
      [
        { name: 'model', value: 'whisper-1' },
        { ...file(), name: 'audio' },
      ],
      'audio',
      'unknown_parameter',
    ],
    [
      'a text field named file',
      [
        { name: 'model', value: 'whisper-1' },
        { name: 'file', value: 'speech.mp3' },
      ],
      'file',
      'invalid_value',
    ],
  ] as [string, FormPart[], string, string][])('%s → 400', async (_label, parts, param, code) => {
    const response = await post(parts);
    expect(response.statusCode).toBe(400);
    assertOpenAISchema('ErrorResponse', response.json());
    expect(response.json().error).toMatchObject({ type: 'validation_error', param, code });
    expect(upstream.requests).toHaveLength(0);
  });

  it('refuses a bad field sent after the file, aborting the upload already under way', async () => {
    const response = await post([
      { name: 'model', value: 'whisper-1' },
      file(),
      { name: 'response_format', value: 'mp3' },
    ]);
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({ param: 'response_format', code: 'invalid_value' });
    expect(upstream.requests).toHaveLength(0);
  });

  it('refuses two files', async () => {
    const response = await post([{ name: 'model', value: 'whisper-1' }, file(), file()]);
    expect(response.statusCode).toBe(400);
    expect(response.json().error.param).toBe('file');
  });

  it('answers 400 invalid_multipart for a form cut before its end', async () => {
    const body = multipartBody([{ name: 'model', value: 'whisper-1' }, file()]);
    const response = await post(body.subarray(0, body.length - 40));
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('invalid_multipart');
  });

  it('answers 400 invalid_multipart for a multipart content type without a boundary', async () => {
    const response = await post(multipartBody([file()]), undefined, {
      'content-type': 'multipart/form-data',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('invalid_multipart');
  });

  it('refuses a model of another kind, and an unknown one', async () => {
    const chat = await post([{ name: 'model', value: 'gpt-4o' }, file()]);
    expect(chat.statusCode).toBe(400);
    expect(chat.json().error.code).toBe('model_not_supported');
    const unknown = await post([{ name: 'model', value: 'whisper-9' }, file()]);
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('model_not_found');
    expect(upstream.requests).toHaveLength(0);
  });

  it('answers 502 when the provider cannot be reached, the upload left unread', async () => {
    const unreachable = await buildTestApp({
      env: { OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' },
    });
    try {
      for (const parts of [
        [{ name: 'model', value: 'whisper-1' }, file()],
        [file(), { name: 'model', value: 'whisper-1' }],
      ]) {
        const response = await unreachable.app.inject({
          method: 'POST',
          url: '/v1/audio/transcriptions',
          headers: { ...authHeaders(), 'content-type': multipartContentType() },
          payload: multipartBody(parts),
        });
        expect(response.statusCode).toBe(502);
        expect(response.json().error.code).toBe('upstream_unreachable');
      }
    } finally {
      await unreachable.close();
    }
  });

  it('passes an upstream error through with type provider_error', async () => {
    upstream.enqueue('POST', '/v1/audio/transcriptions', openaiError(401, 'error-invalid-api-key.json'));
    const response = await post([{ name: 'model', value: 'whisper-1' }, file()]);
    expect(response.statusCode).toBe(401);
    expect(response.json().error).toMatchObject({ type: 'provider_error', code: 'invalid_api_key' });
  });
});

describe('the 25 MB limit', () => {
  it('refuses a declared Content-Length over the limit with 413 before reading the body', async () => {
    const { request, response } = openUpload('/v1/audio/transcriptions', {
      'content-length': String(MAX_AUDIO_FILE_BYTES + 4 * 1024 * 1024),
    });
    request.write(encodePart({ name: 'model', value: 'whisper-1' })[0]);
    const answer = await response;
    request.destroy();
    expect(answer.status).toBe(413);
    const body = JSON.parse(answer.body);
    assertOpenAISchema('ErrorResponse', body);
    expect(body.error).toMatchObject({ code: 'file_too_large', param: 'file', type: 'validation_error' });
    expect(upstream.requests).toHaveLength(0);
  });

  it('aborts the upstream request when a chunked upload crosses the limit, and answers 413', async () => {
    const { request, response } = openUpload();
    const aborted = once(upstream.progress, 'body-aborted');
    for (const piece of encodePart({ name: 'model', value: 'whisper-1' })) request.write(piece);
    request.write(encodePart(file())[0]);
    const block = audioBytes(1024 * 1024, 3);
    let sent = 0;
    let answered = false;
    void response.then(() => (answered = true));
    while (sent <= MAX_AUDIO_FILE_BYTES && !answered) {
      if (!request.write(block)) await once(request, 'drain');
      sent += block.length;
    }
    const answer = await response;
    request.destroy();
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body).error.code).toBe('file_too_large');
    await aborted;
    expect(upstream.requests).toHaveLength(0);
  });
});

describe('streaming the upload', () => {
  it('sends the file on while the client is still sending it', async () => {
    const data = audioBytes(2 * 1024 * 1024, 11);
    const { request, response } = openUpload();
    for (const piece of encodePart({ name: 'model', value: 'whisper-1' })) request.write(piece);
    const [head, , tail] = encodePart(file(data));
    request.write(head!);
    request.write(data.subarray(0, 1024 * 1024));
    // The rest is sent only once the provider has received most of the first half: a gateway that
    // waited for the whole upload would never get there.
    await upstreamReceived('/v1/audio/transcriptions', 900 * 1024);
    request.write(data.subarray(1024 * 1024));
    request.write(tail!);
    request.end(multipartEnd());
    const answer = await response;
    expect(answer.status).toBe(200);
    expect(answer.body).toBe(TRANSCRIPTION);
    const form = await readReceivedForm(upstream.last());
    expect(form.file?.bytes.equals(data)).toBe(true);
  });

  it('aborts the upstream request when the client disconnects mid-upload, leaving nothing open', async () => {
    const { request, response } = openUpload();
    response.catch(() => {});
    for (const piece of encodePart({ name: 'model', value: 'whisper-1' })) request.write(piece);
    request.write(encodePart(file())[0]);
    request.write(audioBytes(512 * 1024, 5));
    await upstreamReceived('/v1/audio/transcriptions', 256 * 1024);
    const aborted = once(upstream.progress, 'body-aborted');
    request.destroy();
    await aborted;
    expect(upstream.requests).toHaveLength(0);
    // The gateway is left as it was: the next upload goes through.
    expect((await post([{ name: 'model', value: 'whisper-1' }, file()])).statusCode).toBe(200);
  });

  it('removes the received file when the client disconnects before naming the model', async () => {
    const before = await uploadDirectories();
    const { request, response } = openUpload();
    response.catch(() => {});
    request.write(encodePart(file())[0]);
    request.write(audioBytes(256 * 1024, 9));
    await expect.poll(async () => (await uploadDirectories()).length).toBe(before.length + 1);
    request.destroy();
    await expect.poll(() => uploadDirectories()).toEqual(before);
    expect(upstream.requests).toHaveLength(0);
  });
});
