/**
 * Gemini behind the audio endpoints, end to end through the official openai SDK: transcriptions and
 * translations of an uploaded file, and speech from a Gemini TTS model as wav, mp3 and pcm.
 */
import OpenAI, { toFile } from 'openai';
import { MPEGDecoder } from 'mpg123-decoder';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FakeUpstream } from '../helpers/fake-upstream.js';
import { GEMINI_KEY, readGeminiRequest, speechTone, startFakeGemini } from '../helpers/fake-gemini.js';
import { TEST_KEY, buildTestApp, type TestApp } from '../helpers/build-app.js';
import { assertOpenAISchema } from '../helpers/openai-schemas.js';
import { audioBytes } from '../helpers/multipart.js';

let upstream: FakeUpstream;
let gateway: TestApp;
let client: OpenAI;

const AUDIO = audioBytes(20_000, 11);

beforeAll(async () => {
  upstream = await startFakeGemini();
  gateway = await buildTestApp({
    env: { GEMINI_API_KEY: GEMINI_KEY, GEMINI_BASE_URL: upstream.origin, REQUEST_TIMEOUT: '5000' },
  });
  const url = await gateway.listen();
  client = new OpenAI({ baseURL: `${url}/v1`, apiKey: TEST_KEY, maxRetries: 0 });
});

afterAll(async () => {
  await gateway.close();
  await upstream.close();
});

afterEach(() => upstream.reset());

describe('the openai SDK against Gemini audio', () => {
  it('transcribes a file with a Gemini chat model', async () => {
    const file = await toFile(AUDIO, 'meeting.mp3', { type: 'audio/mpeg' });
    const transcription = await client.audio.transcriptions.create({ model: 'gemini-2.5-flash', file });
    assertOpenAISchema('CreateTranscriptionResponseJson', transcription);
    expect(transcription.text).toBe(
      'The quick brown fox jumps over the lazy dog. Then it sleeps in the sun.',
    );
    expect(readGeminiRequest(upstream.last()).inlineData).toEqual({
      mimeType: 'audio/mp3',
      data: AUDIO.toString('base64'),
    });
  });

  it('answers verbose_json as the SDK types it', async () => {
    const file = await toFile(AUDIO, 'meeting.mp3');
    const verbose = await client.audio.transcriptions.create({
      model: 'gemini-2.5-flash',
      file,
      response_format: 'verbose_json',
      timestamp_granularities: ['segment'],
    });
    assertOpenAISchema('CreateTranscriptionResponseVerboseJson', verbose);
    expect(verbose.segments?.map((segment) => segment.end)).toEqual([2.54, 4.36]);
  });

  it('translates a file into English', async () => {
    const file = await toFile(AUDIO, 'gruss.wav', { type: 'audio/wav' });
    const translation = await client.audio.translations.create({ model: 'gemini-2.5-flash', file });
    assertOpenAISchema('CreateTranscriptionResponseJson', translation);
    expect(translation.text).toContain('Wolfgang');
    expect(readGeminiRequest(upstream.last()).text).toContain('into English');
  });

  it('speaks with a Gemini TTS model as wav, mp3 and pcm', async () => {
    const tone = speechTone();
    const input = 'The quick brown fox.';
    const wav = await client.audio.speech.create({
      model: 'gemini-2.5-flash-preview-tts',
      voice: 'alloy',
      input,
      response_format: 'wav',
    });
    expect(wav.headers.get('content-type')).toBe('audio/wav');
    const wavBytes = Buffer.from(await wav.arrayBuffer());
    expect(wavBytes.subarray(0, 4).toString('ascii')).toBe('RIFF');
    expect(wavBytes.subarray(44).equals(tone)).toBe(true);

    const pcm = await client.audio.speech.create({
      model: 'gemini-2.5-flash-preview-tts',
      voice: 'alloy',
      input,
      response_format: 'pcm',
    });
    expect(Buffer.from(await pcm.arrayBuffer()).equals(tone)).toBe(true);

    const mp3 = await client.audio.speech.create({
      model: 'gemini-2.5-flash-preview-tts',
      voice: 'alloy',
      input,
      response_format: 'mp3',
    });
    expect(mp3.headers.get('content-type')).toBe('audio/mpeg');
    const decoder = new MPEGDecoder();
    await decoder.ready;
    try {
      const decoded = decoder.decode(new Uint8Array(await mp3.arrayBuffer()));
      expect(decoded.errors).toEqual([]);
      expect(decoded.samplesDecoded).toBeGreaterThanOrEqual(tone.length / 2);
    } finally {
      decoder.free();
    }
    const asked = upstream.last().json as { contents: { parts: { text: string }[] }[] };
    expect(asked.contents[0]!.parts[0]!.text).toBe(input);
  });

  it('surfaces a refused format as the SDK error it knows', async () => {
    const error = await client.audio.speech
      .create({ model: 'gemini-2.5-flash-preview-tts', voice: 'alloy', input: 'x', response_format: 'opus' })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('response_format');
  });
});
