/**
 * The audio endpoints for Gemini models over HTTP, against the loopback fake Gemini API: what Gemini
 * received (the audio inline, byte for byte; the instruction; the speech config) and what the client
 * got, in every response_format, and the errors.
 */
import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MPEGDecoder } from 'mpg123-decoder';
import type { FakeUpstream } from '../../helpers/fake-upstream.js';
import {
  GEMINI_KEY,
  SPEECH_STREAM,
  geminiError,
  geminiFixture,
  geminiPath,
  readGeminiRequest,
  speechTone,
  startFakeGemini,
  streamGemini,
  unaryGemini,
} from '../../helpers/fake-gemini.js';
import { authHeaders, buildTestApp, type TestApp } from '../../helpers/build-app.js';
import { assertOpenAISchema } from '../../helpers/openai-schemas.js';
import {
  audioBytes,
  encodePart,
  multipartBody,
  multipartContentType,
  multipartEnd,
  type FormPart,
} from '../../helpers/multipart.js';

let upstream: FakeUpstream;
let gateway: TestApp;

const AUDIO = audioBytes(30_001, 7);
const file = (data = AUDIO, type = 'audio/mpeg', filename = 'speech.mp3'): FormPart => ({
  name: 'file',
  filename,
  type,
  data,
});
const FLASH = geminiPath('gemini-2.5-flash', 'generateContent');
const TTS = geminiPath('gemini-2.5-flash-preview-tts', 'streamGenerateContent');

function post(parts: FormPart[], url = '/v1/audio/transcriptions') {
  return gateway.app.inject({
    method: 'POST',
    url,
    headers: { ...authHeaders(), 'content-type': multipartContentType() },
    payload: multipartBody(parts),
  });
}

function speak(body: Record<string, unknown>) {
  return gateway.app.inject({
    method: 'POST',
    url: '/v1/audio/speech',
    headers: authHeaders(),
    payload: { model: 'gemini-2.5-flash-preview-tts', voice: 'alloy', input: 'Hello there!', ...body },
  });
}

beforeAll(async () => {
  upstream = await startFakeGemini();
  gateway = await buildTestApp({
    env: { GEMINI_API_KEY: GEMINI_KEY, GEMINI_BASE_URL: upstream.origin, REQUEST_TIMEOUT: '5000' },
  });
  await gateway.listen();
});

afterAll(async () => {
  await gateway.close();
  await upstream.close();
});

afterEach(() => upstream.reset());

describe('POST /v1/audio/transcriptions for a Gemini model', () => {
  it('sends the audio inline with the instruction, and answers json with the usage', async () => {
    const response = await post([
      { name: 'model', value: 'gemini-2.5-flash' },
      { name: 'language', value: 'de' },
      { name: 'prompt', value: 'Names: Wolfgang, Zugspitze.' },
      file(),
      { name: 'temperature', value: '0.2' },
    ]);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.headers['x-gateway-provider']).toBe('gemini');
    const body = response.json();
    assertOpenAISchema('CreateTranscriptionResponseJson', body);
    expect(body).toEqual({
      text: 'The quick brown fox jumps over the lazy dog. Then it sleeps in the sun.',
      usage: {
        type: 'tokens',
        input_tokens: 213,
        input_token_details: { text_tokens: 73, audio_tokens: 140 },
        output_tokens: 430,
        total_tokens: 643,
      },
    });

    const received = upstream.last();
    expect(received.path).toBe(FLASH);
    expect(received.headers['x-goog-api-key']).toBe(GEMINI_KEY);
    const asked = readGeminiRequest(received);
    expect(asked.inlineData).toEqual({ mimeType: 'audio/mp3', data: AUDIO.toString('base64') });
    expect(asked.text).toContain('Transcribe the speech in this audio verbatim');
    expect(asked.text).toContain('The speech is in German (de).');
    expect(asked.text).toContain('Names: Wolfgang, Zugspitze.');
    expect(asked.generationConfig).toEqual({ temperature: 0.2 });
  });

  it('takes the file before the model too, and answers text', async () => {
    const response = await post([
      file(AUDIO, 'application/octet-stream', 'note.wav'),
      { name: 'model', value: 'gemini-2.5-flash' },
      { name: 'response_format', value: 'text' },
    ]);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(response.body).toBe('The quick brown fox jumps over the lazy dog. Then it sleeps in the sun.\n');
    const asked = readGeminiRequest(upstream.last());
    expect(asked.inlineData).toEqual({ mimeType: 'audio/wav', data: AUDIO.toString('base64') });
    expect(asked.generationConfig).toBeUndefined();
  });

  it('asks for timestamped segments under a schema and writes srt and vtt as OpenAI does', async () => {
    const srt = await post([
      { name: 'model', value: 'gemini-2.5-flash' },
      { name: 'response_format', value: 'srt' },
      file(),
    ]);
    expect(srt.statusCode).toBe(200);
    expect(srt.body).toBe(
      '1\n00:00:00,000 --> 00:00:02,540\nThe quick brown fox jumps over the lazy dog.\n\n' +
        '2\n00:00:02,540 --> 00:00:04,360\nThen it sleeps in the sun.\n\n\n',
    );
    const config = readGeminiRequest(upstream.last()).generationConfig!;
    expect(config['responseMimeType']).toBe('application/json');
    expect(config['responseJsonSchema']).toMatchObject({ required: ['language', 'segments'] });

    const vtt = await post([
      { name: 'model', value: 'gemini-2.5-flash' },
      { name: 'response_format', value: 'vtt' },
      file(),
    ]);
    expect(vtt.body).toBe(
      'WEBVTT\n\n00:00:00.000 --> 00:00:02.540\nThe quick brown fox jumps over the lazy dog.\n\n' +
        '00:00:02.540 --> 00:00:04.360\nThen it sleeps in the sun.\n\n',
    );
  });

  it('answers verbose_json with segments, the language and the duration read from the file', async () => {
    // A real 0.6 s WAV: its length is read from the upload on the way to Gemini.
    const tone = speechTone();
    const header = Buffer.alloc(44);
    header.write('RIFF', 0);
    header.writeUInt32LE(36 + tone.length, 4);
    header.write('WAVEfmt ', 8);
    header.writeUInt32LE(16, 16);
    header.writeUInt16LE(1, 20);
    header.writeUInt16LE(1, 22);
    header.writeUInt32LE(24_000, 24);
    header.writeUInt32LE(48_000, 28);
    header.writeUInt16LE(2, 32);
    header.writeUInt16LE(16, 34);
    header.write('data', 36);
    header.writeUInt32LE(tone.length, 40);
    const wav = Buffer.concat([header, tone]);
    const response = await post([
      { name: 'model', value: 'gemini-2.5-flash' },
      { name: 'response_format', value: 'verbose_json' },
      { name: 'timestamp_granularities[]', value: 'segment' },
      file(wav, 'audio/wav', 'tone.wav'),
    ]);
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-gateway-warnings']).toBeUndefined();
    const body = response.json();
    assertOpenAISchema('CreateTranscriptionResponseVerboseJson', body);
    expect(body).toMatchObject({
      task: 'transcribe',
      language: 'english',
      duration: 0.6,
      text: 'The quick brown fox jumps over the lazy dog. Then it sleeps in the sun.',
      usage: { type: 'duration', seconds: 0.6 },
    });
    expect(body.segments).toHaveLength(2);
    expect(body.segments[1]).toMatchObject({
      id: 1,
      start: 2.54,
      end: 4.36,
      text: 'Then it sleeps in the sun.',
    });
    expect(readGeminiRequest(upstream.last()).inlineData?.data).toBe(wav.toString('base64'));
  });

  it('drops word timestamps with a warning, or refuses them with UNSUPPORTED_PARAMETERS=reject', async () => {
    const parts: FormPart[] = [
      { name: 'model', value: 'gemini-2.5-flash' },
      { name: 'response_format', value: 'verbose_json' },
      { name: 'timestamp_granularities[]', value: 'word' },
      file(),
    ];
    const dropped = await post(parts);
    expect(dropped.statusCode).toBe(200);
    expect(dropped.headers['x-gateway-warnings']).toContain(
      "dropped unsupported parameter 'timestamp_granularities[]=word' for model 'gemini-2.5-flash'",
    );
    expect(dropped.json().words).toBeUndefined();

    const strict = await buildTestApp({
      env: {
        GEMINI_API_KEY: GEMINI_KEY,
        GEMINI_BASE_URL: upstream.origin,
        UNSUPPORTED_PARAMETERS: 'reject',
      },
    });
    try {
      upstream.reset();
      const refused = await strict.app.inject({
        method: 'POST',
        url: '/v1/audio/transcriptions',
        headers: { ...authHeaders(), 'content-type': multipartContentType() },
        payload: multipartBody(parts),
      });
      expect(refused.statusCode).toBe(400);
      expect(refused.json().error).toMatchObject({
        code: 'unsupported_parameter',
        param: 'timestamp_granularities[]',
      });
      expect(upstream.requests).toHaveLength(0);
    } finally {
      await strict.close();
    }
  });

  it('refuses what Gemini cannot answer, naming what it can, before calling it', async () => {
    const diarized = await post([
      { name: 'model', value: 'gemini-2.5-flash' },
      { name: 'response_format', value: 'diarized_json' },
      file(),
    ]);
    expect(diarized.statusCode).toBe(400);
    assertOpenAISchema('ErrorResponse', diarized.json());
    expect(diarized.json().error).toMatchObject({ param: 'response_format', code: 'unsupported_value' });
    expect(diarized.json().error.message).toContain("'json', 'text', 'srt', 'vtt', 'verbose_json'");

    const streamed = await post([
      { name: 'model', value: 'gemini-2.5-flash' },
      { name: 'stream', value: 'true' },
      file(),
    ]);
    expect(streamed.statusCode).toBe(400);
    expect(streamed.json().error.param).toBe('stream');

    const untyped = await post([
      { name: 'model', value: 'gemini-2.5-flash' },
      file(AUDIO, 'application/octet-stream', 'recording'),
    ]);
    expect(untyped.statusCode).toBe(400);
    expect(untyped.json().error).toMatchObject({ param: 'file', code: 'unsupported_content' });
    expect(upstream.requests).toHaveLength(0);
  });

  it('refuses a field sent after the file with the 400 of that field', async () => {
    const response = await post([
      { name: 'model', value: 'gemini-2.5-flash' },
      file(),
      { name: 'response_format', value: 'diarized_json' },
    ]);
    expect(response.statusCode).toBe(400);
    expect(response.json().error.param).toBe('response_format');
  });

  it('keeps a chat model that does not hear audio, and a TTS model, off the endpoint', async () => {
    const response = await post([{ name: 'model', value: 'gemini-2.5-flash-preview-tts' }, file()]);
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('model_not_supported');
  });

  it('passes Gemini errors on in the envelope, and a safety stop as content_filter', async () => {
    upstream.enqueue(
      'POST',
      FLASH,
      geminiError('googleai/unary-failure-generativelanguage-api-not-enabled.json'),
    );
    const denied = await post([{ name: 'model', value: 'gemini-2.5-flash' }, file()]);
    expect(denied.statusCode).toBe(403);
    assertOpenAISchema('ErrorResponse', denied.json());
    expect(denied.json().error).toMatchObject({ type: 'provider_error', code: 'PERMISSION_DENIED' });

    upstream.enqueue('POST', FLASH, {
      status: 503,
      json: { error: { code: 503, message: 'overloaded', status: 'UNAVAILABLE' } },
    });
    const unavailable = await post([{ name: 'model', value: 'gemini-2.5-flash' }, file()]);
    expect(unavailable.statusCode).toBe(503);
    expect(unavailable.json().error.code).toBe('UNAVAILABLE');

    upstream.enqueue(
      'POST',
      FLASH,
      unaryGemini(geminiFixture('audio/unary-failure-transcription-safety.json')),
    );
    const filtered = await post([{ name: 'model', value: 'gemini-2.5-flash' }, file()]);
    expect(filtered.statusCode).toBe(400);
    expect(filtered.json().error).toMatchObject({ type: 'content_filter', code: 'content_filter' });
    expect(filtered.json().error.message).toContain('SAFETY');
  });
});

describe('a Gemini transcription while the upload arrives', () => {
  function openUpload() {
    const url = new URL(gateway.url);
    const request = httpRequest({
      host: url.hostname,
      port: url.port,
      path: '/v1/audio/transcriptions',
      method: 'POST',
      headers: { ...authHeaders(), 'content-type': multipartContentType() },
    });
    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      request.on('response', (message) => {
        const chunks: Buffer[] = [];
        message.on('data', (chunk: Buffer) => chunks.push(chunk));
        message.on('end', () =>
          resolve({ status: message.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        message.on('error', reject);
      });
      request.on('error', reject);
    });
    return { request, response };
  }

  function upstreamReceived(bytes: number): Promise<void> {
    return new Promise((resolve) => {
      const listener = (path: string, received: number) => {
        if (path === FLASH && received >= bytes) {
          upstream.progress.off('body', listener);
          resolve();
        }
      };
      upstream.progress.on('body', listener);
    });
  }

  it('sends the base64 on before the upload is complete, and the instruction after it', async () => {
    const data = audioBytes(1024 * 1024, 3);
    const { request, response } = openUpload();
    for (const piece of encodePart({ name: 'model', value: 'gemini-2.5-flash' })) request.write(piece);
    const [head, , tail] = encodePart(file(data));
    request.write(head!);
    request.write(data.subarray(0, 512 * 1024));
    // The rest goes only once Gemini has most of the first half (as base64: a third larger).
    await upstreamReceived(600 * 1024);
    request.write(data.subarray(512 * 1024));
    request.write(tail!);
    for (const piece of encodePart({ name: 'response_format', value: 'text' })) request.write(piece);
    request.end(multipartEnd());
    const answer = await response;
    expect(answer.status).toBe(200);
    expect(answer.body).toBe('The quick brown fox jumps over the lazy dog. Then it sleeps in the sun.\n');
    expect(readGeminiRequest(upstream.last()).inlineData?.data).toBe(data.toString('base64'));
  });

  it('aborts the Gemini request when the client disconnects mid-upload', async () => {
    const { request, response } = openUpload();
    response.catch(() => {});
    for (const piece of encodePart({ name: 'model', value: 'gemini-2.5-flash' })) request.write(piece);
    request.write(encodePart(file())[0]!);
    request.write(audioBytes(512 * 1024, 5));
    await upstreamReceived(256 * 1024);
    const aborted = once(upstream.progress, 'body-aborted');
    request.destroy();
    await aborted;
    expect(upstream.requests).toHaveLength(0);
    expect((await post([{ name: 'model', value: 'gemini-2.5-flash' }, file()])).statusCode).toBe(200);
  });
});

describe('POST /v1/audio/translations for a Gemini model', () => {
  it('asks for English and answers json', async () => {
    const response = await post(
      [{ name: 'model', value: 'gemini-2.5-flash' }, { name: 'prompt', value: 'A greeting.' }, file()],
      '/v1/audio/translations',
    );
    expect(response.statusCode).toBe(200);
    assertOpenAISchema('CreateTranscriptionResponseJson', response.json());
    expect(response.json().text).toBe(
      'Hello, my name is Wolfgang and I come from Germany. Where are you heading today?',
    );
    const asked = readGeminiRequest(upstream.last());
    expect(asked.text).toContain('Translate the speech in this audio into English.');
    expect(asked.text).toContain('A greeting.');
  });
});

describe('POST /v1/audio/speech for a Gemini TTS model', () => {
  const tone = speechTone();

  it('sends the text, the mapped voice and AUDIO output, and answers pcm as Gemini made it', async () => {
    const response = await speak({ response_format: 'pcm', instructions: 'Say cheerfully.' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('audio/pcm');
    expect(response.rawPayload.equals(tone)).toBe(true);
    const received = upstream.last();
    expect(received.path).toBe(TTS);
    expect(received.url).toBe(`${TTS}?alt=sse`);
    expect(received.json).toEqual({
      contents: [{ role: 'user', parts: [{ text: 'Say cheerfully:\nHello there!' }] }],
      generationConfig: {
        responseModalities: ['AUDIO'],
        speechConfig: { voiceConfig: { prebuiltVoiceConfig: { voiceName: 'Kore' } } },
      },
    });
  });

  it('wraps the PCM in a WAV header for a stream of unknown length', async () => {
    const response = await speak({ response_format: 'wav', voice: 'Puck' });
    expect(response.headers['content-type']).toBe('audio/wav');
    const wav = response.rawPayload;
    expect(wav.subarray(0, 4).toString('ascii')).toBe('RIFF');
    expect(wav.readUInt32LE(4)).toBe(0xffffffff);
    expect(wav.subarray(8, 16).toString('ascii')).toBe('WAVEfmt ');
    expect(wav.readUInt16LE(22)).toBe(1);
    expect(wav.readUInt32LE(24)).toBe(24_000);
    expect(wav.readUInt16LE(34)).toBe(16);
    expect(wav.subarray(36, 40).toString('ascii')).toBe('data');
    expect(wav.subarray(44).equals(tone)).toBe(true);
    const voice = (upstream.last().json as { generationConfig: { speechConfig: unknown } }).generationConfig
      .speechConfig;
    expect(voice).toEqual({ voiceConfig: { prebuiltVoiceConfig: { voiceName: 'Puck' } } });
  });

  it('encodes mp3 (the default format) that decodes back to the tone', async () => {
    const response = await speak({});
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('audio/mpeg');
    const mp3 = response.rawPayload;
    // MPEG-2 Layer III frame sync (0xFFF3: MPEG-2, layer III, no CRC).
    expect(mp3.readUInt16BE(0)).toBe(0xfff3);
    const decoder = new MPEGDecoder();
    await decoder.ready;
    try {
      const decoded = decoder.decode(new Uint8Array(mp3));
      expect(decoded.errors).toEqual([]);
      expect(decoded.sampleRate).toBe(24_000);
      // LAME pads the start and the end: at least the tone's samples, less than two frames more.
      expect(decoded.samplesDecoded).toBeGreaterThanOrEqual(tone.length / 2);
      expect(decoded.samplesDecoded).toBeLessThan(tone.length / 2 + 2 * 1152);
      const samples = decoded.channelData[0]!;
      let crossings = 0;
      for (let index = 4000; index < 12_000; index++) {
        if (samples[index - 1]! < 0 !== samples[index]! < 0) crossings++;
      }
      // 8000 samples of a 440 Hz tone at 24 kHz cross zero about 293 times.
      expect(Math.abs(crossings - (2 * 440 * 8000) / 24_000)).toBeLessThan(4);
    } finally {
      decoder.free();
    }
  });

  it('answers speech.audio events with stream_format sse', async () => {
    const response = await speak({ response_format: 'pcm', stream_format: 'sse' });
    expect(response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const events = response.body
      .split('\n\n')
      .filter(Boolean)
      .map((event) => JSON.parse(event.replace(/^data: /, '')) as Record<string, unknown>);
    const deltas = events.filter((event) => event['type'] === 'speech.audio.delta');
    const audio = Buffer.concat(deltas.map((event) => Buffer.from(event['audio'] as string, 'base64')));
    expect(audio.equals(tone)).toBe(true);
    expect(events.at(-1)).toEqual({
      type: 'speech.audio.done',
      usage: { input_tokens: 9, output_tokens: 15, total_tokens: 24 },
    });
  });

  it('refuses formats it cannot make and voices it does not know, naming the ones it has', async () => {
    for (const format of ['opus', 'aac', 'flac']) {
      const response = await speak({ response_format: format });
      expect(response.statusCode).toBe(400);
      expect(response.json().error).toMatchObject({ param: 'response_format', code: 'unsupported_value' });
      expect(response.json().error.message).toContain("'mp3', 'wav', 'pcm'");
    }
    const voice = await speak({ voice: 'nobody' });
    expect(voice.statusCode).toBe(400);
    expect(voice.json().error.param).toBe('voice');
    expect(voice.json().error.message).toContain('Kore');
    expect(upstream.requests).toHaveLength(0);
  });

  it('drops speed with a warning', async () => {
    const response = await speak({ response_format: 'pcm', speed: 1.5 });
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-gateway-warnings']).toContain(
      "dropped unsupported parameter 'speed' for model 'gemini-2.5-flash-preview-tts'",
    );
  });

  it('answers a blocked prompt, an answer without audio and a Gemini error cleanly', async () => {
    upstream.enqueue(
      'POST',
      TTS,
      streamGemini(geminiFixture('audio/streaming-failure-speech-prompt-blocked.txt')),
    );
    const blocked = await speak({});
    expect(blocked.statusCode).toBe(400);
    assertOpenAISchema('ErrorResponse', blocked.json());
    expect(blocked.json().error.code).toBe('content_filter');

    upstream.enqueue('POST', TTS, geminiError('vertexai/unary-failure-iam-permission-denied.json'));
    const denied = await speak({});
    expect(denied.statusCode).toBe(403);
    expect(denied.json().error.type).toBe('provider_error');

    // A broken answer is retried (another attempt may fare better): every attempt gets one here.
    const noAudio = streamGemini(geminiFixture('audio/streaming-failure-speech-no-audio.txt'));
    upstream.enqueue('POST', TTS, ...Array.from({ length: 10 }, () => noAudio));
    const silent = await speak({});
    expect(silent.statusCode).toBe(502);
    expect(silent.json().error.code).toBe('upstream_bad_response');
    expect(silent.json().error.message).toContain('OTHER');
  });

  it('follows the sample rate Gemini labels its PCM with, and refuses mp3 where MPEG has no such rate', async () => {
    const odd = streamGemini(geminiFixture(SPEECH_STREAM).replaceAll('rate=24000', 'rate=23000'));
    upstream.enqueue('POST', TTS, odd);
    const wav = await speak({ response_format: 'wav' });
    expect(wav.rawPayload.readUInt32LE(24)).toBe(23_000);
    expect(wav.rawPayload.readUInt32LE(28)).toBe(46_000);

    upstream.enqueue('POST', TTS, ...Array.from({ length: 10 }, () => odd));
    const mp3 = await speak({ response_format: 'mp3' });
    expect(mp3.statusCode).toBe(502);
    expect(mp3.json().error.message).toContain('23000 Hz');
  });

  it('cuts the connection when Gemini fails after the audio started', async () => {
    const stream = geminiFixture(SPEECH_STREAM);
    upstream.enqueue('POST', TTS, { ...streamGemini(stream), reset: stream.indexOf('\r\n\r\n') + 4 });
    await expect(speak({ response_format: 'pcm' })).rejects.toThrow();
  });
});
