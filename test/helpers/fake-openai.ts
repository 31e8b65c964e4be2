/**
 * A fake OpenAI: the loopback FakeUpstream with OpenAI's routes answering from the recorded-form
 * fixtures in test/fixtures/openai/, byte for byte.
 */
import { readFileSync } from 'node:fs';
import { FakeUpstream, type ScriptedResponse } from './fake-upstream.js';

export function openaiFixture(name: string): string {
  return readFileSync(new URL(`../fixtures/openai/${name}`, import.meta.url), 'utf8');
}

export const CHAT_COMPLETION = openaiFixture('chat-completion.json');
export const CHAT_STREAM = openaiFixture('chat-completion-stream.txt');
export const CHAT_STREAM_USAGE = openaiFixture('chat-completion-stream-usage.txt');
export const CHAT_STREAM_TOOL_CALLS = openaiFixture('chat-completion-stream-tool-calls.txt');

export function unaryChat(body = CHAT_COMPLETION): ScriptedResponse {
  return { status: 200, headers: { 'content-type': 'application/json' }, body };
}

export function streamChat(body = CHAT_STREAM, chunkBytes?: number): ScriptedResponse {
  return { status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8' }, body, chunkBytes };
}

export function openaiError(
  status: number,
  fixture: string,
  headers: Record<string, string> = {},
): ScriptedResponse {
  return {
    status,
    headers: { 'content-type': 'application/json', ...headers },
    body: openaiFixture(fixture),
  };
}

export async function startFakeOpenAI(): Promise<FakeUpstream> {
  const fake = new FakeUpstream();
  fake.route('POST', '/v1/chat/completions', (request) => {
    const body = request.json as
      { stream?: boolean; stream_options?: { include_usage?: boolean } } | undefined;
    if (!body?.stream) return unaryChat();
    return streamChat(body.stream_options?.include_usage ? CHAT_STREAM_USAGE : CHAT_STREAM);
  });
  fake.route('POST', '/v1/embeddings', (request) =>
    embeddingsAnswer(request.json as Parameters<typeof embeddingsAnswer>[0]),
  );
  return fake.listen();
}

/** A deterministic embedding for `text`, so tests can tell which input produced which vector. */
export function fakeVector(text: string, dimensions = 8): number[] {
  let seed = 0;
  for (const char of text) seed = (seed * 31 + (char.codePointAt(0) ?? 0)) % 1_000_003;
  return Array.from({ length: dimensions }, (_, index) => Math.round(Math.sin(seed + index) * 1e6) / 1e6);
}

export function toBase64Floats(vector: number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString('base64');
}

/** OpenAI's embeddings answer for a request, in the form the API sends it. */
export function embeddingsAnswer(request: {
  model?: string;
  input?: unknown;
  dimensions?: number;
  encoding_format?: string;
}): ScriptedResponse {
  const raw = request.input;
  const inputs: unknown[] =
    typeof raw === 'string'
      ? [raw]
      : Array.isArray(raw) && typeof raw[0] === 'number'
        ? [raw]
        : ((raw as unknown[]) ?? []);
  const data = inputs.map((input, index) => {
    const vector = fakeVector(JSON.stringify(input), request.dimensions ?? 8);
    return {
      object: 'embedding',
      index,
      embedding: request.encoding_format === 'base64' ? toBase64Floats(vector) : vector,
    };
  });
  const tokens = inputs.reduce<number>(
    (sum, input) =>
      sum + (typeof input === 'string' ? Math.ceil(input.length / 4) : (input as number[]).length),
    0,
  );
  return {
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(
      {
        object: 'list',
        data,
        model: `${request.model ?? 'text-embedding-3-small'}`,
        usage: { prompt_tokens: tokens, total_tokens: tokens },
      },
      null,
      2,
    ),
  };
}
