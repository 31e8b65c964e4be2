/**
 * The response cache on the Anthropic door, with the official @anthropic-ai/sdk as the client: an
 * answer, passed through from Anthropic or translated from OpenAI, unary or streamed, is kept once
 * and replayed in either form; what changes the answer changes the key.
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FakeUpstream } from '../helpers/fake-upstream.js';
import {
  ANTHROPIC_KEY,
  MESSAGES_PATH,
  anthropicFixture,
  startFakeAnthropic,
} from '../helpers/fake-anthropic.js';
import { startFakeOpenAI } from '../helpers/fake-openai.js';
import { OPENAI_KEY, TEST_KEY, buildTestApp, type TestApp } from '../helpers/build-app.js';

let anthropic: FakeUpstream;
let openai: FakeUpstream;
let gateway: TestApp;
let client: Anthropic;

beforeAll(async () => {
  anthropic = await startFakeAnthropic();
  openai = await startFakeOpenAI();
  gateway = await buildTestApp({
    env: {
      ANTHROPIC_API_KEY: ANTHROPIC_KEY,
      ANTHROPIC_BASE_URL: anthropic.origin,
      OPENAI_API_KEY: OPENAI_KEY,
      OPENAI_BASE_URL: `${openai.origin}/v1`,
      CACHE_ENABLED: 'true',
    },
  });
  const url = await gateway.listen();
  client = new Anthropic({ baseURL: url, apiKey: TEST_KEY, maxRetries: 0 });
});
afterAll(async () => {
  await gateway.close();
  await anthropic.close();
  await openai.close();
});
afterEach(() => {
  anthropic.reset();
  openai.reset();
});

describe('the response cache on /v1/messages', () => {
  it('keeps Anthropic’s answer and replays it unary, then as a stream', async () => {
    const params = {
      model: 'claude-sonnet-4-5',
      max_tokens: 100,
      messages: [{ role: 'user' as const, content: 'Cache me (Anthropic)' }],
    };
    const first = await client.messages.create(params).withResponse();
    expect(first.response.headers.get('x-cache')).toBe('MISS');
    const again = await client.messages
      .create({ ...params, metadata: { user_id: 'another-user' } })
      .withResponse();
    expect(again.response.headers.get('x-cache')).toBe('HIT');
    expect(again.response.headers.get('x-gateway-provider')).toBe('anthropic');
    expect(again.data).toEqual(JSON.parse(anthropicFixture('anthropic-text.json')));
    expect(anthropic.received(MESSAGES_PATH)).toHaveLength(1);

    const stream = client.messages.stream(params);
    const replayed = await stream.finalMessage();
    expect((await stream.withResponse()).response.headers.get('x-cache')).toBe('HIT');
    expect(replayed).toMatchObject({
      id: first.data.id,
      content: first.data.content,
      stop_reason: 'end_turn',
      usage: { input_tokens: 12, output_tokens: 29 },
    });
    expect(anthropic.received(MESSAGES_PATH)).toHaveLength(1);
  });

  it('keeps a translated stream and replays it unary', async () => {
    const params = {
      model: 'gpt-4o',
      max_tokens: 100,
      messages: [{ role: 'user' as const, content: 'Cache me (OpenAI)' }],
    };
    const streamed = await client.messages.stream(params).finalMessage();
    const unary = await client.messages.create(params).withResponse();
    expect(unary.response.headers.get('x-cache')).toBe('HIT');
    // The stream helper's own additions (parsed_output, stop_details) aside, the same message.
    const { id, model, content, stop_reason, usage } = streamed;
    expect(unary.data).toEqual({
      id,
      type: 'message',
      role: 'assistant',
      model,
      content,
      stop_reason,
      stop_sequence: null,
      usage,
    });
    expect(openai.received('/v1/chat/completions')).toHaveLength(1);
    // A cache hit is no model call: no tokens are accounted for it.
    const line = gateway.logs.accessLines().at(-1)!;
    expect(line).toMatchObject({ cache: 'HIT', attempts: 0 });
    expect(line['promptTokens']).toBeUndefined();
  });

  it('keys on what changes the answer: the betas, the system prompt', async () => {
    const params = {
      model: 'claude-sonnet-4-5',
      max_tokens: 100,
      messages: [{ role: 'user' as const, content: 'Cache me by betas' }],
    };
    await client.messages.create(params);
    const withBeta = await client.messages
      .create(params, { headers: { 'anthropic-beta': 'context-1m-2025-08-07' } })
      .withResponse();
    expect(withBeta.response.headers.get('x-cache')).toBe('MISS');
    const withSystem = await client.messages.create({ ...params, system: 'Be brief.' }).withResponse();
    expect(withSystem.response.headers.get('x-cache')).toBe('MISS');
    expect(anthropic.received(MESSAGES_PATH)).toHaveLength(3);
  });

  it('follows the client’s Cache-Control', async () => {
    const params = {
      model: 'gpt-4o',
      max_tokens: 100,
      messages: [{ role: 'user' as const, content: 'Cache me not' }],
    };
    await client.messages.create(params, { headers: { 'cache-control': 'no-store' } });
    const next = await client.messages.create(params).withResponse();
    expect(next.response.headers.get('x-cache')).toBe('MISS');
    expect(openai.received('/v1/chat/completions')).toHaveLength(2);
  });
});
