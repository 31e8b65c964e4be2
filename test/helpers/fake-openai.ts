/**
 * A fake OpenAI: the loopback FakeUpstream with OpenAI's routes answering from the recorded-form
 * fixtures in test/fixtures/openai/, byte for byte.
 */
import { readFileSync } from 'node:fs';
import { FakeUpstream, type RecordedRequest, type ScriptedResponse } from './fake-upstream.js';

export function openaiFixture(name: string): string {
  return readFileSync(new URL(`../fixtures/openai/${name}`, import.meta.url), 'utf8');
}

export const CHAT_COMPLETION = openaiFixture('chat-completion.json');
export const CHAT_STREAM = openaiFixture('chat-completion-stream.txt');
export const CHAT_STREAM_USAGE = openaiFixture('chat-completion-stream-usage.txt');
export const CHAT_STREAM_TOOL_CALLS = openaiFixture('chat-completion-stream-tool-calls.txt');

/**
 * What a client that did not ask for usage gets from an include_usage stream: the same events
 * without their `"usage":null` member, and without the usage chunk (the gateway asks for usage on
 * every stream to count it, and gives the stream back as OpenAI sends it without).
 */
export function withoutUsage(stream: string): string {
  return stream
    .split('\n\n')
    .filter((event) => !event.includes('"choices":[],"usage":{'))
    .join('\n\n')
    .replaceAll(',"usage":null', '');
}

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

export async function startFakeOpenAI(host?: string): Promise<FakeUpstream> {
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
  fake.route('POST', '/v1/audio/transcriptions', audioAnswer);
  fake.route('POST', '/v1/audio/translations', audioAnswer);
  fake.route('POST', '/v1/audio/speech', speechAnswer);
  fake.route('POST', '/v1/responses', responsesAnswer);
  fake.route('GET', `/v1/responses/${STORED_RESPONSE_ID}`, () => unaryChat(RESPONSE));
  fake.route('DELETE', `/v1/responses/${STORED_RESPONSE_ID}`, () => unaryChat(RESPONSE_DELETED));
  fake.route('POST', '/v1/moderations', moderationAnswer);
  return fake.listen(host);
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

// ---- audio ----------------------------------------------------------------------------------------

export const TRANSCRIPTION = openaiFixture('transcription.json');
export const TRANSCRIPTION_VERBOSE = openaiFixture('transcription-verbose.json');
export const TRANSCRIPTION_TEXT = openaiFixture('transcription.txt');
export const TRANSCRIPTION_SRT = openaiFixture('transcription.srt');
export const TRANSCRIPTION_VTT = openaiFixture('transcription.vtt');
export const TRANSCRIPTION_STREAM = openaiFixture('transcription-stream.txt');
export const TRANSLATION = openaiFixture('translation.json');
export const SPEECH_STREAM = openaiFixture('speech-stream.txt');

/** The form a fake upstream received: its fields in order, and the file with its exact bytes. */
export interface ReceivedForm {
  fields: [string, string][];
  file: { name: string; type: string; bytes: Buffer } | undefined;
}

/** Parses a recorded multipart body with the platform's own form parser (undici's). */
export async function readReceivedForm(request: RecordedRequest): Promise<ReceivedForm> {
  const form = await new Request('http://fake.invalid/', {
    method: 'POST',
    headers: { 'content-type': String(request.headers['content-type']) },
    body: request.body,
  }).formData();
  const fields: [string, string][] = [];
  let file: ReceivedForm['file'];
  for (const [name, value] of form.entries()) {
    if (typeof value === 'string') fields.push([name, value]);
    else file = { name: value.name, type: value.type, bytes: Buffer.from(await value.arrayBuffer()) };
  }
  return { fields, file };
}

/** OpenAI's answer to a transcription or translation, in the requested format. */
export async function audioAnswer(request: RecordedRequest): Promise<ScriptedResponse> {
  const form = await readReceivedForm(request);
  const field = (name: string) => form.fields.find(([key]) => key === name)?.[1];
  if (field('stream') === 'true') {
    return {
      status: 200,
      headers: { 'content-type': 'text/event-stream; charset=utf-8' },
      body: TRANSCRIPTION_STREAM,
      chunkBytes: 40,
    };
  }
  const text = (body: string) => ({
    status: 200,
    headers: { 'content-type': 'text/plain; charset=utf-8' },
    body,
  });
  switch (field('response_format') ?? 'json') {
    case 'text':
      return text(TRANSCRIPTION_TEXT);
    case 'srt':
      return text(TRANSCRIPTION_SRT);
    case 'vtt':
      return text(TRANSCRIPTION_VTT);
    case 'verbose_json':
      return unaryChat(TRANSCRIPTION_VERBOSE);
    default:
      return unaryChat(request.path.endsWith('/translations') ? TRANSLATION : TRANSCRIPTION);
  }
}

/** The content type OpenAI labels each speech format with. */
export const SPEECH_TYPES: Record<string, string> = {
  mp3: 'audio/mpeg',
  opus: 'audio/opus',
  aac: 'audio/aac',
  flac: 'audio/flac',
  wav: 'audio/wav',
  pcm: 'audio/pcm',
};

/** Deterministic "audio" for a text: 64 KiB of bytes that depend on the text and the format. */
export function speechAudio(input: string, format = 'mp3'): Buffer {
  const audio = Buffer.alloc(64 * 1024);
  let seed = 7;
  for (const char of `${format}:${input}`) seed = (seed * 31 + (char.codePointAt(0) ?? 0)) % 251;
  for (let index = 0; index < audio.length; index++) audio[index] = (seed + index * 13) % 256;
  return audio;
}

export function speechAnswer(request: RecordedRequest): ScriptedResponse {
  const body = request.json as { input?: string; response_format?: string; stream_format?: string };
  if (body.stream_format === 'sse') {
    return {
      status: 200,
      headers: { 'content-type': 'text/event-stream; charset=utf-8' },
      body: SPEECH_STREAM,
    };
  }
  const format = body.response_format ?? 'mp3';
  return {
    status: 200,
    headers: { 'content-type': SPEECH_TYPES[format] ?? 'application/octet-stream' },
    body: speechAudio(body.input ?? '', format),
    chunkBytes: 4096,
  };
}

// ---- Responses API --------------------------------------------------------------------------------

export const RESPONSE = openaiFixture('response.json');
export const RESPONSE_TOOL_CALLS = openaiFixture('response-tool-calls.json');
export const RESPONSE_STREAM = openaiFixture('response-stream.txt');
export const RESPONSE_STREAM_TOOL_CALLS = openaiFixture('response-stream-tool-calls.txt');
export const RESPONSE_DELETED = openaiFixture('response-deleted.json');
export const STORED_RESPONSE_ID = (JSON.parse(RESPONSE) as { id: string }).id;

export function responsesAnswer(request: RecordedRequest): ScriptedResponse {
  const body = request.json as { stream?: boolean; tools?: unknown[] };
  const withTools = (body.tools?.length ?? 0) > 0;
  if (body.stream) return streamChat(withTools ? RESPONSE_STREAM_TOOL_CALLS : RESPONSE_STREAM);
  return unaryChat(withTools ? RESPONSE_TOOL_CALLS : RESPONSE);
}

// ---- moderations ----------------------------------------------------------------------------------

export const MODERATION = openaiFixture('moderation.json');

/** The word that makes the fake's moderation flag an input. */
export const FLAGGED_WORD = 'kill';

/**
 * OpenAI's moderation answer: one result per input (a string, each string of a list, or the text
 * parts of a list of parts taken together), flagged when its text holds FLAGGED_WORD.
 */
export function moderationAnswer(request: RecordedRequest): ScriptedResponse {
  const body = request.json as { model?: string; input?: unknown };
  const template = JSON.parse(MODERATION) as {
    id: string;
    model: string;
    results: { flagged: boolean; categories: Record<string, boolean> }[];
  };
  const flaggedResult = template.results[0]!;
  const input = body.input;
  const texts: string[] =
    typeof input === 'string'
      ? [input]
      : Array.isArray(input) && input.every((item) => typeof item === 'string')
        ? (input as string[])
        : [
            ((input as { type?: string; text?: string }[] | undefined) ?? [])
              .map((part) => (part.type === 'text' ? (part.text ?? '') : ''))
              .join('\n'),
          ];
  const results = texts.map((text) =>
    text.toLowerCase().includes(FLAGGED_WORD)
      ? flaggedResult
      : {
          ...flaggedResult,
          flagged: false,
          categories: Object.fromEntries(Object.keys(flaggedResult.categories).map((name) => [name, false])),
        },
  );
  return unaryChat(JSON.stringify({ ...template, results }, null, 2));
}
