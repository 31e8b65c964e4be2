/**
 * The Messages API on Bedrock, as pure pieces: which model ids are Claude's, the body InvokeModel
 * takes, and the Anthropic events read out of InvokeModelWithResponseStream's event-stream chunks,
 * whole, cut, or ending in an exception or an Anthropic error.
 */
import { describe, expect, it } from 'vitest';
import { UpstreamBody } from '../../../../src/upstream-body.js';
import type { UpstreamAnswer } from '../../../../src/upstream.js';
import {
  BEDROCK_ANTHROPIC_VERSION,
  convertToInvokeBody,
  isBedrockClaude,
  readInvokeStream,
} from '../../../../plugins/providers/bedrock/bedrock-native.js';
import { convertToVertexGeminiBody } from '../../../../plugins/providers/vertex/vertex-adapter.js';
import type { NativeRequest } from '../../../../src/provider.js';
import { UpstreamFailure } from '../../../../src/upstream.js';
import { fixtureEvents } from '../../../helpers/fake-anthropic.js';
import { eventFrame, exceptionFrame, invokeStreamBody } from '../../../helpers/fake-bedrock.js';

function nativeRequest(body: Record<string, unknown>, stream = false): NativeRequest {
  return { api: 'anthropic-messages', operation: 'messages', body, stream, headers: {} };
}

function response(bytes: Buffer): UpstreamAnswer {
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/vnd.amazon.eventstream' },
    body: UpstreamBody.of([bytes.subarray(0, 100), bytes.subarray(100)]),
  };
}

const context = {
  provider: 'bedrock',
  secrets: [],
  signal: new AbortController().signal,
  model: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
  requestId: undefined,
  warnings: [],
};

async function read(bytes: Buffer) {
  const events: { event: string; data: string }[] = [];
  try {
    for await (const event of readInvokeStream(response(bytes), context)) events.push(event);
  } catch (error) {
    return { events, error };
  }
  return { events, error: undefined };
}

describe('Claude on Bedrock', () => {
  it.each([
    ['us.anthropic.claude-sonnet-4-5-20250929-v1:0', true],
    ['anthropic.claude-3-haiku-20240307-v1:0', true],
    ['arn:aws:bedrock:us-east-1:123456789012:inference-profile/eu.anthropic.claude-sonnet-4-5-v1:0', true],
    ['us.amazon.nova-pro-v1:0', false],
    ['meta.llama3-70b-instruct-v1:0', false],
  ])('%s is Claude: %s', (modelId, claude) => {
    expect(isBedrockClaude(modelId)).toBe(claude);
  });

  it("takes the client's body without model and stream, with Bedrock's version and the betas in it", () => {
    const body = { model: 'bedrock/claude-sonnet-4-5', max_tokens: 9, stream: true, messages: [] };
    expect(convertToInvokeBody(nativeRequest(body, true), [])).toEqual({
      anthropic_version: BEDROCK_ANTHROPIC_VERSION,
      max_tokens: 9,
      messages: [],
    });
    expect(convertToInvokeBody(nativeRequest(body), ['interleaved-thinking-2025-05-14'])).toMatchObject({
      anthropic_beta: ['interleaved-thinking-2025-05-14'],
    });
  });

  it("relays Anthropic's events out of the chunks, named and unchanged", async () => {
    const recorded = fixtureEvents('anthropic-text.chunks.txt');
    const { events, error } = await read(invokeStreamBody(recorded));
    expect(error).toBeUndefined();
    expect(events.map((event) => event.event)).toEqual(recorded.map((event) => event['type']));
    expect(events.map((event) => JSON.parse(event.data) as unknown)).toEqual(recorded);
  });

  it('throws a stream cut before message_stop, or cut inside a frame, as a mid-stream failure', async () => {
    const recorded = fixtureEvents('anthropic-text.chunks.txt');
    const short = await read(invokeStreamBody(recorded.slice(0, -1)));
    expect(short.error).toBeInstanceOf(UpstreamFailure);
    expect((short.error as UpstreamFailure).kind).toBe('mid_stream');
    const whole = invokeStreamBody(recorded);
    const cut = await read(whole.subarray(0, whole.length - 10));
    expect((cut.error as UpstreamFailure).kind).toBe('mid_stream');
  });

  it('throws an exception first as the HTTP error it stands for, so the router may fail over', async () => {
    const { events, error } = await read(exceptionFrame('throttlingException', 'Too many requests'));
    expect(events).toEqual([]);
    expect(error).toBeInstanceOf(UpstreamFailure);
    expect((error as UpstreamFailure).kind).toBe('http');
    expect((error as UpstreamFailure).upstreamStatus).toBe(429);
  });

  it("throws Anthropic's error event after the first event as a mid-stream failure", async () => {
    const recorded = fixtureEvents('anthropic-text.chunks.txt').slice(0, 3);
    const overloaded = { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } };
    const { events, error } = await read(invokeStreamBody([...recorded, overloaded]));
    expect(events).toHaveLength(3);
    expect((error as UpstreamFailure).kind).toBe('mid_stream');
    expect((error as UpstreamFailure).message).toContain('Overloaded');
  });

  it('refuses a chunk that carries no Anthropic event', async () => {
    const { error } = await read(eventFrame('chunk', { bytes: Buffer.from('not json').toString('base64') }));
    expect((error as UpstreamFailure).gatewayCode).toBe('GW_ERR_UPSTREAM_BAD_RESPONSE');
  });
});

describe('Gemini on Vertex', () => {
  const contents = [{ role: 'user', parts: [{ text: 'Hi' }] }];

  it('takes a generate body without a model field', () => {
    expect(convertToVertexGeminiBody({ model: 'models/x', contents }, 'generateContent')).toEqual({
      contents,
    });
  });

  it("counts with the generate request's fields at the top level", () => {
    const nested = {
      generateContentRequest: { model: 'models/x', contents, systemInstruction: { parts: [] } },
    };
    expect(convertToVertexGeminiBody(nested, 'countTokens')).toEqual({
      contents,
      systemInstruction: { parts: [] },
    });
    expect(convertToVertexGeminiBody({ contents }, 'countTokens')).toEqual({ contents });
  });
});
