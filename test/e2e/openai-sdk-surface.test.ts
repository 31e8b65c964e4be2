/**
 * The audio and Responses endpoints through the official openai SDK, against a listening gateway in
 * front of the fake OpenAI: what an application pointing its client at the gateway sees.
 */
import { createHash } from 'node:crypto';
import OpenAI, { toFile } from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FakeUpstream } from '../helpers/fake-upstream.js';
import {
  RESPONSE,
  STORED_RESPONSE_ID,
  readReceivedForm,
  speechAudio,
  startFakeOpenAI,
} from '../helpers/fake-openai.js';
import { OPENAI_KEY, TEST_KEY, buildTestApp, type TestApp } from '../helpers/build-app.js';
import { assertOpenAISchema } from '../helpers/openai-schemas.js';
import { audioBytes } from '../helpers/multipart.js';

let upstream: FakeUpstream;
let gateway: TestApp;
let client: OpenAI;

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  gateway = await buildTestApp({
    env: { OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: `${upstream.origin}/v1` },
  });
  await gateway.listen();
  client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: TEST_KEY, maxRetries: 0 });
});

afterAll(async () => {
  await gateway.close();
  await upstream.close();
});

afterEach(() => upstream.reset());

describe('audio through the openai SDK', () => {
  it('client.audio.transcriptions.create with a file', async () => {
    const audio = audioBytes(80_000, 3);
    const transcription = await client.audio.transcriptions.create({
      file: await toFile(audio, 'meeting.wav', { type: 'audio/wav' }),
      model: 'gpt-4o-transcribe',
      language: 'en',
      include: ['logprobs'],
    });
    assertOpenAISchema('CreateTranscriptionResponseJson', transcription);
    expect(transcription.text).toContain('quick brown fox');
    const form = await readReceivedForm(upstream.last());
    expect(form.file?.bytes.equals(audio)).toBe(true);
    expect(form.fields).toEqual([
      ['model', 'gpt-4o-transcribe'],
      ['language', 'en'],
      ['include[]', 'logprobs'],
    ]);
  });

  it('streams a 20 MB recording sent file first, as the SDK sends it, exactly', async () => {
    const audio = audioBytes(20 * 1024 * 1024, 99);
    const transcription = await client.audio.transcriptions.create({
      file: await toFile(audio, 'long.mp3', { type: 'audio/mpeg' }),
      model: 'whisper-1',
      response_format: 'verbose_json',
      timestamp_granularities: ['word', 'segment'],
    });
    assertOpenAISchema('CreateTranscriptionResponseVerboseJson', transcription);
    const form = await readReceivedForm(upstream.last());
    expect(form.file?.bytes.length).toBe(audio.length);
    expect(sha256(form.file!.bytes)).toBe(sha256(audio));
  });

  it('client.audio.transcriptions.create with stream: true yields the transcription events', async () => {
    const stream = await client.audio.transcriptions.create({
      file: await toFile(audioBytes(1000), 'a.mp3', { type: 'audio/mpeg' }),
      model: 'gpt-4o-mini-transcribe',
      stream: true,
    });
    const types: string[] = [];
    let text = '';
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'transcript.text.done') text = event.text;
    }
    expect(types.at(-1)).toBe('transcript.text.done');
    expect(types.filter((type) => type === 'transcript.text.delta').length).toBeGreaterThan(1);
    expect(text).toContain('quick brown fox');
  });

  it('client.audio.translations.create', async () => {
    const translation = await client.audio.translations.create({
      file: await toFile(audioBytes(2000), 'german.m4a', { type: 'audio/mp4' }),
      model: 'whisper-1',
    });
    assertOpenAISchema('CreateTranscriptionResponseJson', translation);
    expect(translation.text).toContain('Wolfgang');
  });

  it('client.audio.speech.create returns the audio bytes with their content type', async () => {
    const speech = await client.audio.speech.create({
      model: 'tts-1',
      voice: 'alloy',
      input: 'Hello from the gateway.',
      response_format: 'opus',
    });
    expect(speech.headers.get('content-type')).toBe('audio/opus');
    const audio = Buffer.from(await speech.arrayBuffer());
    expect(audio.equals(speechAudio('Hello from the gateway.', 'opus'))).toBe(true);
  });
});

describe('the Responses API through the openai SDK', () => {
  it('client.responses.create', async () => {
    const response = await client.responses.create({ model: 'o3-pro', input: 'Capital of France?' });
    assertOpenAISchema('Response', JSON.parse(JSON.stringify(response)));
    expect(response.output_text).toBe('The capital of France is Paris.');
  });

  it('client.responses.create with stream: true', async () => {
    const stream = await client.responses.create({
      model: 'o3-pro',
      input: 'Capital of France?',
      stream: true,
    });
    const types: string[] = [];
    let text = '';
    for await (const event of stream) {
      assertOpenAISchema('ResponseStreamEvent', JSON.parse(JSON.stringify(event)));
      types.push(event.type);
      if (event.type === 'response.output_text.delta') text += event.delta;
    }
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
    expect(text).toBe('The capital of France is Paris.');
  });

  it('client.responses.retrieve and client.responses.delete, for the key that created the response', async () => {
    await client.responses.create({ model: 'o3-pro', input: 'Capital of France?' });
    const stored = await client.responses.retrieve(STORED_RESPONSE_ID);
    expect(stored.id).toBe(JSON.parse(RESPONSE).id);
    await client.responses.delete(STORED_RESPONSE_ID);
    expect(upstream.last().method).toBe('DELETE');
  });

  it('client.chat.completions.create on a Responses-only model', async () => {
    const completion = await client.chat.completions.create({
      model: 'o3-pro',
      messages: [{ role: 'user', content: 'Capital of France?' }],
    });
    assertOpenAISchema('CreateChatCompletionResponse', JSON.parse(JSON.stringify(completion)));
    expect(completion.choices[0]?.message.content).toBe('The capital of France is Paris.');
    expect(upstream.last().path).toBe('/v1/responses');
  });

  it('client.chat.completions.create on a Responses-only model, streamed', async () => {
    const stream = await client.chat.completions.create({
      model: 'o3-pro',
      messages: [{ role: 'user', content: 'Capital of France?' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      assertOpenAISchema('CreateChatCompletionStreamResponse', JSON.parse(JSON.stringify(chunk)));
      text += chunk.choices[0]?.delta.content ?? '';
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe('The capital of France is Paris.');
    expect(usage?.completion_tokens_details?.reasoning_tokens).toBe(192);
  });

  it('turns an upstream error into the SDK error the client expects', async () => {
    const failure = client.responses.create({ model: 'o3-pro', input: 'x', temperature: 9 });
    await expect(failure).rejects.toMatchObject({ status: 400, param: 'temperature' });
  });
});
