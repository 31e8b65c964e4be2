/**
 * A fake Bedrock Runtime: the loopback FakeUpstream with Bedrock's routes, which checks each request
 * as Bedrock would (a Bedrock API key as a bearer token, or a SigV4 signature recomputed on this side
 * by test/helpers/verify-sigv4.ts) and answers from the recorded Converse responses in
 * test/fixtures/bedrock/, streams in AWS's binary event-stream framing.
 */
import { readFileSync } from 'node:fs';
import { EventStreamCodec, type MessageHeaders } from '@smithy/core/event-streams';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import {
  FakeUpstream,
  type RecordedRequest,
  type Responder,
  type ScriptedResponse,
} from './fake-upstream.js';
import { fakeVector } from './fake-openai.js';
import { anthropicFixture, fixtureEvents as anthropicEvents } from './fake-anthropic.js';
import { verifySigV4, type Verdict } from './verify-sigv4.js';

export const AWS_ACCESS_KEY_ID = 'AKIAGATEWAYTEST00001';
export const AWS_SECRET_ACCESS_KEY = 'test/secret+access+key/0000000000000000';
export const AWS_SESSION_TOKEN = 'IQoJb3JpZ2luX2VjEHQaCXVzLWVhc3QtMSJGMEQCIGatewayTestSessionToken==';
export const BEDROCK_API_KEY = 'ABSKQmVkcm9ja0FQSUtleS10ZXN0LXVwc3RyZWFtLXNlY3JldA==';
export const BEDROCK_REGION = 'us-west-2';

const codec = new EventStreamCodec(toUtf8, fromUtf8);

/** A recorded response, by its file name under test/fixtures/bedrock/. */
export function bedrockFixture(name: string): string {
  return readFileSync(new URL(`../fixtures/bedrock/${name}`, import.meta.url), 'utf8');
}

/** The events of a `.chunks.txt` fixture, each `{"<event-type>": payload}`. */
export function fixtureEvents(name: string): Record<string, unknown>[] {
  return bedrockFixture(name)
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function stringHeaders(headers: Record<string, string>): MessageHeaders {
  const result: MessageHeaders = {};
  for (const [name, value] of Object.entries(headers)) result[name] = { type: 'string', value };
  return result;
}

/** One event-stream message carrying a ConverseStream event. */
export function eventFrame(eventType: string, payload: unknown): Buffer {
  return Buffer.from(
    codec.encode({
      headers: stringHeaders({
        ':event-type': eventType,
        ':content-type': 'application/json',
        ':message-type': 'event',
      }),
      body: fromUtf8(JSON.stringify(payload)),
    }),
  );
}

/** One event-stream message carrying an exception (`throttlingException`, …). */
export function exceptionFrame(exceptionType: string, message: string): Buffer {
  return Buffer.from(
    codec.encode({
      headers: stringHeaders({
        ':exception-type': exceptionType,
        ':content-type': 'application/json',
        ':message-type': 'exception',
      }),
      body: fromUtf8(JSON.stringify({ message })),
    }),
  );
}

/** `{"<event-type>": payload}` lines as event-stream frames, back to back. */
export function eventStreamBody(events: readonly Record<string, unknown>[]): Buffer {
  return Buffer.concat(
    events.map((event) => {
      const [type, payload] = Object.entries(event)[0]!;
      return eventFrame(type, payload);
    }),
  );
}

export function unaryBedrock(body: string | object, headers: Record<string, string> = {}): ScriptedResponse {
  return {
    status: 200,
    headers: { 'content-type': 'application/json', 'x-amzn-requestid': 'req-bedrock-0001', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  };
}

export function streamBedrock(
  body: Buffer,
  options: { chunkBytes?: number; reset?: number } = {},
): ScriptedResponse {
  return {
    status: 200,
    headers: { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': 'req-bedrock-0002' },
    body,
    chunkBytes: options.chunkBytes,
    reset: options.reset,
  };
}

/** Bedrock's error answer: the exception in `x-amzn-errortype`, the message in the body. */
export function bedrockError(status: number, exception: string, message: string): ScriptedResponse {
  return {
    status,
    headers: {
      'content-type': 'application/json',
      'x-amzn-errortype': `${exception}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
      'x-amzn-requestid': 'req-bedrock-error',
    },
    json: { message },
  };
}

/** The path the gateway calls, the model id percent-encoded as one segment. */
export function bedrockPath(
  modelId: string,
  operation: 'converse' | 'converse-stream' | 'invoke' | 'invoke-with-response-stream',
): string {
  return `/model/${encodeURIComponent(modelId)}/${operation}`;
}

/** How a request proved itself to the fake, for tests to look at. */
export function authenticate(
  request: RecordedRequest,
  region = BEDROCK_REGION,
): Verdict | { ok: true; bearer: true } {
  const authorization = String(request.headers['authorization'] ?? '');
  if (authorization.startsWith('Bearer ')) {
    return authorization === `Bearer ${BEDROCK_API_KEY}`
      ? { ok: true, bearer: true }
      : { ok: false, reason: 'unknown Bedrock API key' };
  }
  const [path = '/', query = ''] = request.url.split('?');
  return verifySigV4(
    { method: request.method, path, query, headers: request.headers, body: request.body },
    { secrets: { [AWS_ACCESS_KEY_ID]: AWS_SECRET_ACCESS_KEY }, region, service: 'bedrock', now: new Date() },
  );
}

/** Wraps a responder: a request that Bedrock would refuse gets Bedrock's 403. */
export function authenticated(responder: Responder, region = BEDROCK_REGION): Responder {
  return (request) => {
    const verdict = authenticate(request, region);
    if (!verdict.ok) return bedrockError(403, 'InvalidSignatureException', verdict.reason);
    return responder(request);
  };
}

export const DEFAULT_UNARY = 'amazon-bedrock-text.json';
export const DEFAULT_STREAM = 'amazon-bedrock-text.chunks.txt';

/** InvokeModel of an embeddings model: Titan's or Cohere's answer, deterministic vectors. */
function embeddingsAnswer(request: RecordedRequest): ScriptedResponse {
  const body = request.json as { inputText?: string; texts?: string[]; dimensions?: number };
  if (typeof body.inputText === 'string') {
    return unaryBedrock({
      embedding: fakeVector(body.inputText, body.dimensions ?? 8),
      inputTextTokenCount: body.inputText.split(/\s+/).length,
    });
  }
  const texts = body.texts ?? [];
  return unaryBedrock(
    {
      id: 'emb-1',
      response_type: 'embeddings_by_type',
      embeddings: { float: texts.map((text) => fakeVector(text, 8)) },
      texts,
    },
    { 'x-amzn-bedrock-input-token-count': String(texts.length * 3) },
  );
}

/**
 * Anthropic's events as InvokeModelWithResponseStream carries them: each event's JSON, base64, in
 * the `bytes` of a `chunk` event.
 */
export function invokeStreamBody(events: readonly Record<string, unknown>[]): Buffer {
  return Buffer.concat(
    events.map((event) =>
      eventFrame('chunk', { bytes: Buffer.from(JSON.stringify(event)).toString('base64') }),
    ),
  );
}

/**
 * InvokeModel of Claude: the Messages API's body with Bedrock's API version and no model or stream
 * (Bedrock's 400 otherwise), answered with the recorded Anthropic message or its events.
 */
function claudeInvokeAnswer(stream: boolean): Responder {
  return (request) => {
    const body = (request.json ?? {}) as Record<string, unknown>;
    if (body['anthropic_version'] !== 'bedrock-2023-05-31' || 'model' in body || 'stream' in body) {
      return bedrockError(
        400,
        'ValidationException',
        'Malformed input request, please reformat your input and try again.',
      );
    }
    return stream
      ? streamBedrock(invokeStreamBody(anthropicEvents('anthropic-text.chunks.txt')))
      : unaryBedrock(anthropicFixture('anthropic-text.json'));
  };
}

export const CLAUDE_MODEL = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';

export const CHAT_MODELS = ['us.anthropic.claude-sonnet-4-5-20250929-v1:0', 'us.amazon.nova-pro-v1:0'];
export const EMBEDDING_MODELS = ['amazon.titan-embed-text-v2:0', 'cohere.embed-english-v3'];

/** Starts a fake answering every chat model with the recorded text answer and stream. */
export async function startFakeBedrock(region = BEDROCK_REGION): Promise<FakeUpstream> {
  const fake = new FakeUpstream();
  for (const model of CHAT_MODELS) {
    fake.route(
      'POST',
      bedrockPath(model, 'converse'),
      authenticated(() => unaryBedrock(bedrockFixture(DEFAULT_UNARY)), region),
    );
    fake.route(
      'POST',
      bedrockPath(model, 'converse-stream'),
      authenticated(() => streamBedrock(eventStreamBody(fixtureEvents(DEFAULT_STREAM))), region),
    );
  }
  for (const model of EMBEDDING_MODELS) {
    fake.route('POST', bedrockPath(model, 'invoke'), authenticated(embeddingsAnswer, region));
  }
  fake.route('POST', bedrockPath(CLAUDE_MODEL, 'invoke'), authenticated(claudeInvokeAnswer(false), region));
  fake.route(
    'POST',
    bedrockPath(CLAUDE_MODEL, 'invoke-with-response-stream'),
    authenticated(claudeInvokeAnswer(true), region),
  );
  return fake.listen();
}
