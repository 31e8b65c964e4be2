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

/** Starts a fake answering, for each model, a recorded reply, a recorded stream and embeddings. */
export async function startFakeGemini(
  models: string[] = ['gemini-2.5-flash', 'gemini-2.0-flash', 'gemini-3-pro-preview'],
  embeddingModels: string[] = ['gemini-embedding-001', 'text-embedding-004'],
): Promise<FakeUpstream> {
  const fake = new FakeUpstream();
  for (const model of models) {
    fake.route('POST', geminiPath(model, 'generateContent'), () => unaryGemini(geminiFixture(DEFAULT_UNARY)));
    fake.route('POST', geminiPath(model, 'streamGenerateContent'), () =>
      streamGemini(geminiFixture(DEFAULT_STREAM)),
    );
  }
  for (const model of embeddingModels) {
    fake.route('POST', geminiPath(model, 'batchEmbedContents'), embeddingsAnswer);
  }
  return fake.listen();
}
