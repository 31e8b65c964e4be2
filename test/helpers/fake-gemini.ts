/**
 * A fake Gemini API: the loopback FakeUpstream with Gemini's routes, answering from the recorded
 * responses in test/fixtures/gemini/ byte for byte, and recording what the gateway sent.
 */
import { readFileSync } from 'node:fs';
import { FakeUpstream, type RecordedRequest, type ScriptedResponse } from './fake-upstream.js';
import { fakeVector } from './fake-openai.js';

export const GEMINI_KEY = 'AIzaSy-test-upstream-secret-0000';

/** A recorded response, by its path under test/fixtures/gemini/ (`vertexai/unary-….json`). */
export function geminiFixture(name: string): string {
  return readFileSync(new URL(`../fixtures/gemini/${name}`, import.meta.url), 'utf8');
}

export type GeminiMethodName = 'generateContent' | 'streamGenerateContent' | 'batchEmbedContents';

/** The path (without query) the gateway calls for `model` and `method`. */
export function geminiPath(model: string, method: GeminiMethodName): string {
  return `/v1beta/models/${model}:${method}`;
}

export function unaryGemini(body: string | object): ScriptedResponse {
  return {
    status: 200,
    headers: { 'content-type': 'application/json; charset=UTF-8' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  };
}

/** An image-output model's answer (gemini-2.5-flash-image): a text part and one PNG. */
export function geminiImageAnswer(
  text: string,
  pngBase64: string,
  tokens: { prompt: number; candidates: number },
): ScriptedResponse {
  return unaryGemini({
    candidates: [
      {
        content: {
          role: 'model',
          parts: [{ text }, { inlineData: { mimeType: 'image/png', data: pngBase64 } }],
        },
        finishReason: 'STOP',
      },
    ],
    usageMetadata: {
      promptTokenCount: tokens.prompt,
      candidatesTokenCount: tokens.candidates,
      totalTokenCount: tokens.prompt + tokens.candidates,
    },
  });
}

export function streamGemini(body: string, chunkBytes?: number): ScriptedResponse {
  return { status: 200, headers: { 'content-type': 'text/event-stream' }, body, chunkBytes };
}

/** An error fixture, served with the status in its `error.code` (or the one given). */
export function geminiError(
  fixture: string,
  status?: number,
  headers: Record<string, string> = {},
): ScriptedResponse {
  const body = geminiFixture(fixture);
  const code = (JSON.parse(body) as { error: { code: number } }).error.code;
  return {
    status: status ?? code,
    headers: { 'content-type': 'application/json; charset=UTF-8', ...headers },
    body,
  };
}

/** Gemini's batchEmbedContents answer for a request: one deterministic vector per text. */
export function embeddingsAnswer(request: RecordedRequest): ScriptedResponse {
  const body = request.json as {
    requests: { content: { parts: { text: string }[] }; outputDimensionality?: number }[];
  };
  return unaryGemini({
    embeddings: body.requests.map((item) => ({
      values: fakeVector(item.content.parts[0]!.text, item.outputDimensionality ?? 8),
    })),
  });
}

export const DEFAULT_UNARY = 'vertexai/unary-success-quote-reply.json';
export const DEFAULT_STREAM = 'vertexai/streaming-success-basic-reply-parts.txt';

// ---- audio (constructed from the API reference: test/fixtures/gemini/audio/README.md) ----------

export const TRANSCRIPTION_ANSWER = 'audio/unary-success-transcription.json';
export const SEGMENTS_ANSWER = 'audio/unary-success-transcription-segments.json';
export const TRANSLATION_ANSWER = 'audio/unary-success-translation.json';
export const SPEECH_STREAM = 'audio/streaming-success-speech.txt';

/** The PCM of the speech fixture: 0.6 s of a 440 Hz tone, 24 kHz, 16-bit little-endian, mono. */
export function speechTone(): Buffer {
  const rate = 24_000;
  const samples = Buffer.alloc(rate * 0.6 * 2);
  for (let index = 0; index < samples.length / 2; index++) {
    samples.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * index) / rate)), index * 2);
  }
  return samples;
}

/** What a recorded Gemini request asked for, read from its JSON body. */
export interface GeminiAudioRequest {
  /** The inline audio part, when there is one. */
  inlineData: { mimeType: string; data: string } | undefined;
  /** The text parts, joined. */
  text: string;
  generationConfig: Record<string, unknown> | undefined;
}

export function readGeminiRequest(request: RecordedRequest): GeminiAudioRequest {
  const body = request.json as {
    contents: { parts: { text?: string; inlineData?: { mimeType: string; data: string } }[] }[];
    generationConfig?: Record<string, unknown>;
  };
  const parts = body.contents.flatMap((content) => content.parts);
  return {
    inlineData: parts.find((part) => part.inlineData)?.inlineData,
    text: parts
      .filter((part) => typeof part.text === 'string')
      .map((part) => part.text)
      .join('\n'),
    generationConfig: body.generationConfig,
  };
}

/**
 * generateContent: with audio inline, the transcript the instruction asks for (segments as JSON when
 * a response schema is given, an English text for a translation); otherwise the recorded reply.
 */
export function generateContentAnswer(request: RecordedRequest): ScriptedResponse {
  const asked = readGeminiRequest(request);
  if (!asked.inlineData) return unaryGemini(geminiFixture(DEFAULT_UNARY));
  if (asked.generationConfig?.['responseMimeType'] === 'application/json') {
    return unaryGemini(geminiFixture(SEGMENTS_ANSWER));
  }
  return unaryGemini(
    geminiFixture(asked.text.startsWith('Translate') ? TRANSLATION_ANSWER : TRANSCRIPTION_ANSWER),
  );
}

/** Starts a fake answering, for each model, a recorded reply, a recorded stream and embeddings. */
export async function startFakeGemini(
  models: string[] = ['gemini-2.5-flash', 'gemini-2.0-flash', 'gemini-3-pro-preview'],
  embeddingModels: string[] = ['gemini-embedding-001', 'text-embedding-004'],
  speechModels: string[] = ['gemini-2.5-flash-preview-tts', 'gemini-2.5-pro-preview-tts'],
): Promise<FakeUpstream> {
  const fake = new FakeUpstream();
  for (const model of models) {
    fake.route('POST', geminiPath(model, 'generateContent'), generateContentAnswer);
    fake.route('POST', geminiPath(model, 'streamGenerateContent'), () =>
      streamGemini(geminiFixture(DEFAULT_STREAM)),
    );
  }
  for (const model of embeddingModels) {
    fake.route('POST', geminiPath(model, 'batchEmbedContents'), embeddingsAnswer);
  }
  for (const model of speechModels) {
    fake.route('POST', geminiPath(model, 'streamGenerateContent'), () =>
      streamGemini(geminiFixture(SPEECH_STREAM)),
    );
  }
  return fake.listen();
}
