/**
 * The Anthropic door end to end against Anthropic: the official @anthropic-ai/sdk, unmodified, its
 * base URL set to a listening gateway whose Anthropic instance is a loopback fake serving recorded
 * answers. The request passes through: the upstream receives the client's body with only the model
 * replaced, and the client gets Anthropic's bytes and events as they were sent.
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FakeUpstream } from '../helpers/fake-upstream.js';
import {
  ANTHROPIC_KEY,
  MESSAGES_PATH,
  anthropicError,
  anthropicFixture,
  anthropicSse,
  fixtureEvents,
  fixtureSse,
  startFakeAnthropic,
  streamAnthropic,
  unaryAnthropic,
} from '../helpers/fake-anthropic.js';
import { TEST_KEY, buildTestApp, type TestApp } from '../helpers/build-app.js';
import { passThroughOnly } from '../helpers/routing.js';
import {
  createCarrierBlock,
  createThinkingBlock,
} from '../../plugins/api/anthropic-messages/gateway-thinking-blocks.js';

const COUNT_PATH = '/v1/messages/count_tokens';
const SONNET = 'claude-sonnet-4-5';
const SONNET_UPSTREAM = 'claude-sonnet-4-5-20250929';

let upstream: FakeUpstream;
let gateway: TestApp;
let client: Anthropic;

beforeAll(async () => {
  upstream = await startFakeAnthropic();
  upstream.route('POST', COUNT_PATH, () => unaryAnthropic({ input_tokens: 1234 }));
  gateway = await buildTestApp({
    env: { ANTHROPIC_API_KEY: ANTHROPIC_KEY, ANTHROPIC_BASE_URL: upstream.origin, REQUEST_TIMEOUT: '5000' },
    configure: passThroughOnly,
  });
  const url = await gateway.listen();
  client = new Anthropic({ baseURL: url, apiKey: TEST_KEY, maxRetries: 0 });
});
afterAll(async () => {
  await gateway.close();
  await upstream.close();
});
afterEach(() => upstream.reset());

/** The API error a call ends with (the test fails if it succeeds). */
async function apiError(call: Promise<unknown>): Promise<InstanceType<typeof Anthropic.APIError>> {
  try {
    await call;
  } catch (error) {
    if (error instanceof Anthropic.APIError) return error;
    throw error;
  }
  throw new Error('the call succeeded; it should have failed');
}

function lastAccessLine(): Record<string, unknown> {
  return gateway.logs.accessLines().at(-1)!;
}

describe('unary, passed through', () => {
  it('sends the client’s body with only the model replaced, and returns Anthropic’s bytes', async () => {
    // `temperature` is a field of the API this SDK's types no longer list; the SDK sends it as given.
    const params = {
      model: SONNET,
      max_tokens: 256,
      system: [{ type: 'text', text: 'Be warm.', cache_control: { type: 'ephemeral' } }],
      messages: [{ role: 'user', content: 'Hello, how are you?' }],
      temperature: 0.4,
      metadata: { user_id: 'user-42' },
    } as Anthropic.MessageCreateParamsNonStreaming;
    const { data: message, response } = await client.messages
      .create(params, { headers: { 'anthropic-beta': 'prompt-caching-2024-07-31' } })
      .withResponse();
    expect(message).toEqual(JSON.parse(anthropicFixture('anthropic-text.json')));
    expect(response.headers.get('x-gateway-provider')).toBe('anthropic');
    expect(response.headers.get('request-id')).toBe(response.headers.get('x-request-id'));

    const received = upstream.last();
    expect(received.path).toBe(MESSAGES_PATH);
    expect(received.json).toEqual({ ...params, model: SONNET_UPSTREAM });
    expect(received.headers['x-api-key']).toBe(ANTHROPIC_KEY);
    expect(received.headers['authorization']).toBeUndefined();
    expect(JSON.stringify(received.headers)).not.toContain(TEST_KEY);
    // The SDK's own version (the stream test below checks one sent by hand) and the client's beta go along.
    expect(received.headers['anthropic-version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(received.headers['anthropic-beta']).toBe('prompt-caching-2024-07-31');
  });

  it('accounts the usage Anthropic reported, in the access log', async () => {
    await client.messages.create({
      model: SONNET,
      max_tokens: 64,
      messages: [{ role: 'user', content: 'Hi' }],
    });
    expect(lastAccessLine()).toMatchObject({
      route: '/v1/messages',
      status: 200,
      model: SONNET,
      answeredModel: SONNET_UPSTREAM,
      provider: 'anthropic',
      promptTokens: 12,
      completionTokens: 29,
    });
  });

  it('passes tool use through over two turns', async () => {
    upstream.enqueue('POST', MESSAGES_PATH, unaryAnthropic(anthropicFixture('anthropic-tool-no-args.json')));
    const tools: Anthropic.Tool[] = [
      {
        name: 'updateIssueList',
        description: 'Refresh the issues',
        input_schema: { type: 'object', properties: {} },
      },
    ];
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'Update the issue list' }];
    const first = await client.messages.create({ model: SONNET, max_tokens: 512, tools, messages });
    expect(first.stop_reason).toBe('tool_use');
    const use = first.content.find((block) => block.type === 'tool_use')!;
    expect(use).toMatchObject({ id: 'toolu_01LRmxn9vGM1d2DZSDBowdZ1', name: 'updateIssueList', input: {} });

    messages.push({ role: 'assistant', content: first.content });
    messages.push({
      role: 'user',
      content: [{ type: 'tool_result', tool_use_id: use.id, content: 'Updated.' }],
    });
    const second = await client.messages.create({ model: SONNET, max_tokens: 512, tools, messages });
    expect(second.content[0]).toMatchObject({ type: 'text' });
    expect(upstream.last().json).toEqual({ model: SONNET_UPSTREAM, max_tokens: 512, tools, messages });
  });

  it('passes thinking through, signatures included', async () => {
    upstream.enqueue(
      'POST',
      MESSAGES_PATH,
      unaryAnthropic(anthropicFixture('anthropic-clear-thinking.1.json')),
    );
    const message = await client.messages.create({
      model: SONNET,
      max_tokens: 4096,
      thinking: { type: 'enabled', budget_tokens: 2048 },
      messages: [{ role: 'user', content: 'What is 925 / 5?' }],
    });
    expect(message.content[0]).toMatchObject({ type: 'thinking', thinking: '925 divided by 5 = 185' });
    expect((upstream.last().json as { thinking: unknown }).thinking).toEqual({
      type: 'enabled',
      budget_tokens: 2048,
    });
  });

  it('leaves out the gateway’s own blocks of turns another model served, and nothing else', async () => {
    const messages: Anthropic.MessageParam[] = [
      { role: 'user', content: 'Hi' },
      {
        role: 'assistant',
        content: [
          createThinkingBlock('reasoning of another model'),
          { type: 'text', text: 'Hello' },
          createCarrierBlock({ toolCalls: { call_1: { opaque: 'state' } } })!,
        ],
      },
      { role: 'user', content: 'And now?' },
    ];
    await client.messages.create({ model: SONNET, max_tokens: 64, messages });
    expect((upstream.last().json as { messages: unknown }).messages).toEqual([
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: [{ type: 'text', text: 'Hello' }] },
      { role: 'user', content: 'And now?' },
    ]);
  });
});

describe('streams, passed through', () => {
  it('relays Anthropic’s events byte for byte (stream: true)', async () => {
    const response = await fetch(`${gateway.url}/v1/messages`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-api-key': TEST_KEY,
        'anthropic-version': '2023-06-01',
      },
      body: JSON.stringify({
        model: SONNET,
        max_tokens: 64,
        stream: true,
        messages: [{ role: 'user', content: 'Hi' }],
      }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    expect(await response.text()).toBe(fixtureSse('anthropic-text.chunks.txt'));
    expect(upstream.last().headers['anthropic-version']).toBe('2023-06-01');
    expect(lastAccessLine()).toMatchObject({ stream: true, promptTokens: 12, completionTokens: 30 });
  });

  it('gives the SDK every event as Anthropic sent it', async () => {
    const stream = await client.messages.create({
      model: SONNET,
      max_tokens: 64,
      stream: true,
      messages: [{ role: 'user', content: 'Hi' }],
    });
    const events: unknown[] = [];
    for await (const event of stream) events.push(event);
    // The SDK passes over pings.
    expect(events).toEqual(
      fixtureEvents('anthropic-text.chunks.txt').filter((event) => event['type'] !== 'ping'),
    );
  });

  it('builds the final message with the SDK’s stream helper, thinking included', async () => {
    upstream.enqueue(
      'POST',
      MESSAGES_PATH,
      streamAnthropic(fixtureSse('anthropic-clear-thinking.1.chunks.txt'), { chunkBytes: 37 }),
    );
    const stream = client.messages.stream({
      model: SONNET,
      max_tokens: 4096,
      thinking: { type: 'enabled', budget_tokens: 2048 },
      messages: [{ role: 'user', content: 'What is 925 / 5?' }],
    });
    const message = await stream.finalMessage();
    expect(message.content[0]).toMatchObject({
      type: 'thinking',
      signature: expect.stringMatching(/.{20,}/),
    });
    expect(message.content.at(-1)).toMatchObject({ type: 'text' });
    expect((upstream.last().json as { stream: boolean }).stream).toBe(true);
  });

  it('turns an error event before anything was said into an HTTP error the SDK raises', async () => {
    upstream.enqueue(
      'POST',
      MESSAGES_PATH,
      streamAnthropic(
        anthropicSse([{ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }]),
      ),
    );
    const error = await apiError(
      client.messages.create({
        model: SONNET,
        max_tokens: 64,
        stream: true,
        messages: [{ role: 'user', content: 'Hi' }],
      }),
    );
    expect(error).toBeInstanceOf(Anthropic.InternalServerError);
    expect(error.status).toBe(529);
    expect(error.type).toBe('overloaded_error');
  });

  it('ends a stream that fails midway with an error event the SDK raises', async () => {
    const events = fixtureEvents('anthropic-text.chunks.txt').slice(0, 4);
    events.push({ type: 'error', error: { type: 'api_error', message: 'Internal server error' } });
    upstream.enqueue('POST', MESSAGES_PATH, streamAnthropic(anthropicSse(events)));
    const stream = await client.messages.create({
      model: SONNET,
      max_tokens: 64,
      stream: true,
      messages: [{ role: 'user', content: 'Hi' }],
    });
    const seen: string[] = [];
    const error = await apiError(
      (async () => {
        for await (const event of stream) seen.push(event.type);
      })(),
    );
    expect(seen).toEqual(['message_start', 'content_block_start', 'content_block_delta']);
    expect(error.type).toBe('api_error');
    expect(error.message).toContain('Internal server error');
  });
});

describe('count_tokens', () => {
  it('asks Anthropic, and says so', async () => {
    const params = {
      model: SONNET,
      system: 'Be brief.',
      messages: [{ role: 'user' as const, content: 'Hello' }],
    };
    const { data, response } = await client.messages.countTokens(params).withResponse();
    expect(data).toEqual({ input_tokens: 1234 });
    expect(response.headers.get('x-gateway-token-count')).toBe('provider');
    expect(upstream.last().path).toBe(COUNT_PATH);
    expect(upstream.last().json).toEqual({ ...params, model: SONNET_UPSTREAM });
  });
});

describe('errors', () => {
  it.each([
    [400, 'invalid_request_error', Anthropic.BadRequestError],
    [429, 'rate_limit_error', Anthropic.RateLimitError],
    [529, 'overloaded_error', Anthropic.InternalServerError],
  ] as const)('passes Anthropic’s %i %s on as the SDK’s error class', async (status, type, errorClass) => {
    upstream.enqueue(
      'POST',
      MESSAGES_PATH,
      anthropicError(status, type, `An ${type}`, { 'retry-after': '7' }),
    );
    const error = await apiError(
      client.messages.create({ model: SONNET, max_tokens: 64, messages: [{ role: 'user', content: 'Hi' }] }),
    );
    expect(error).toBeInstanceOf(errorClass);
    expect(error.status).toBe(status);
    expect(error.type).toBe(type);
    expect(error.message).toContain(`An ${type}`);
    expect(error.requestID).toBe(error.headers?.get('x-request-id'));
  });

  it('refuses a key it does not know as authentication_error', async () => {
    const stranger = new Anthropic({ baseURL: gateway.url, apiKey: 'not-a-key', maxRetries: 0 });
    const error = await apiError(
      stranger.messages.create({
        model: SONNET,
        max_tokens: 64,
        messages: [{ role: 'user', content: 'Hi' }],
      }),
    );
    expect(error).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(error.type).toBe('authentication_error');
    expect(upstream.requests).toHaveLength(0);
  });

  it('takes the key as Authorization: Bearer too', async () => {
    const bearer = new Anthropic({ baseURL: gateway.url, apiKey: null, authToken: TEST_KEY, maxRetries: 0 });
    const message = await bearer.messages.create({
      model: SONNET,
      max_tokens: 64,
      messages: [{ role: 'user', content: 'Hi' }],
    });
    expect(message.type).toBe('message');
  });
});
