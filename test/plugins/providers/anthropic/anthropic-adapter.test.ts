/**
 * The Anthropic adapter over the wire: a loopback fake of the Messages API serves the recorded
 * responses and records what it received (headers, body). Every answer and chunk the adapter
 * produces is checked against OpenAI's published schemas; streams are also put together by the
 * openai SDK's own stream helper, as a client would.
 */
import { ChatCompletionStream } from 'openai/lib/ChatCompletionStream';
import { pino } from 'pino';
import { Agent } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest } from '../../../../schemas/chat.js';
import anthropicProvider from '../../../../plugins/providers/anthropic/index.js';
import { AnthropicAdapter } from '../../../../plugins/providers/anthropic/anthropic-adapter.js';
import {
  AnthropicSettingsSchema,
  type AnthropicSettings,
} from '../../../../plugins/providers/anthropic/anthropic-options.js';
import {
  ProviderConfigError,
  ProviderRegistry,
  resolveInstanceSettings,
} from '../../../../src/provider-registry.js';
import { Catalog, loadShippedCatalog, normalizeCatalogEntry } from '../../../../src/catalog.js';
import type { CallContext, StreamEvent, Target } from '../../../../src/provider.js';
import { RemoteMedia } from '../../../../src/remote-media.js';
import { UpstreamFailure } from '../../../../src/upstream.js';
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
} from '../../../helpers/fake-anthropic.js';
import { FakeUpstream } from '../../../helpers/fake-upstream.js';
import { assertOpenAISchema } from '../../../helpers/openai-schemas.js';
import { mediaOptions } from '../../../helpers/media-options.js';

const MEDIA_OPTIONS = mediaOptions({
  maxBytes: 1024 * 1024,
  timeoutMs: 2000,
  maxRedirects: 2,
  allowPrivateNetworks: true,
});

let upstream: FakeUpstream;
let dispatcher: Agent;
let media: RemoteMedia;
const anthropicCatalogEntries = () => loadShippedCatalog([anthropicProvider]).map(normalizeCatalogEntry);
const catalog = new Catalog(anthropicCatalogEntries());

beforeAll(async () => {
  upstream = await startFakeAnthropic();
  dispatcher = new Agent();
  media = new RemoteMedia(MEDIA_OPTIONS);
});

afterAll(async () => {
  await dispatcher.close();
  await media.close();
  await upstream.close();
});

afterEach(() => upstream.reset());

function adapterWith(
  settings: Record<string, unknown> = {},
  unsupportedParameters: 'drop' | 'reject' = 'drop',
) {
  return new AnthropicAdapter(
    {
      id: 'anthropic',
      type: 'anthropic',
      baseUrl: upstream.origin,
      apiKey: ANTHROPIC_KEY,
      settings: resolveInstanceSettings<AnthropicSettings>(AnthropicSettingsSchema, 'anthropic', settings),
    },
    { dispatcher, media, unsupportedParameters },
  );
}

function target(model: string): Target {
  const entry = catalog.get(model);
  return { deploymentId: `anthropic/${model}`, upstreamModel: entry?.upstream ?? model, model: entry };
}

function callContext(apiKey?: string): CallContext & { warnings: string[] } {
  return {
    signal: new AbortController().signal,
    deadline: Date.now() + 10_000,
    log: pino({ level: 'silent' }),
    requestId: 'req-test',
    warnings: [],
    ...(apiKey ? { apiKey } : {}),
  };
}

function request(fields: Record<string, unknown>): ChatCompletionRequest {
  return {
    model: 'claude-sonnet-4-5',
    messages: [{ role: 'user', content: 'Hi' }],
    ...fields,
  } as ChatCompletionRequest;
}

type Sent = Record<string, unknown> & { messages: { role: string; content: Record<string, unknown>[] }[] };

function sent(): Sent {
  return upstream.last().json as Sent;
}

async function chat(fields: Record<string, unknown>, model = 'claude-sonnet-4-5', adapter = adapterWith()) {
  const context = callContext();
  const result = await adapter.chat(request({ model, ...fields }), target(model), context);
  const completion = JSON.parse(String(result.body)) as ChatCompletion;
  assertOpenAISchema('CreateChatCompletionResponse', completion);
  return { result, completion, warnings: context.warnings };
}

async function collect(stream: AsyncIterable<StreamEvent>) {
  const chunks: ChatCompletionChunk[] = [];
  const hidden: ChatCompletionChunk[] = [];
  let error: unknown;
  try {
    for await (const event of stream) {
      assertOpenAISchema('CreateChatCompletionStreamResponse', event.chunk);
      (event.hidden ? hidden : chunks).push(event.chunk);
    }
  } catch (caught) {
    error = caught;
  }
  return { chunks, hidden, error };
}

async function chatStream(
  fields: Record<string, unknown>,
  model = 'claude-sonnet-4-5',
  adapter = adapterWith(),
) {
  const context = callContext();
  const stream = await adapter.chatStream(
    request({ model, stream: true, ...fields }),
    target(model),
    context,
  );
  return { ...(await collect(stream)), warnings: context.warnings };
}

/** The final message the openai SDK's stream helper puts together from chunks. */
async function assembleWithSdk(chunks: readonly ChatCompletionChunk[]) {
  const encoder = new TextEncoder();
  const readable = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(`${JSON.stringify(chunk)}\n`));
      controller.close();
    },
  });
  const completion = await ChatCompletionStream.fromReadableStream(readable).finalChatCompletion();
  return completion.choices[0]!;
}

async function failure(call: Promise<unknown>): Promise<UpstreamFailure> {
  try {
    await call;
  } catch (error) {
    if (error instanceof UpstreamFailure) return error;
    throw error;
  }
  throw new Error('the call succeeded; it should have failed');
}

describe('the wire', () => {
  it('posts to /v1/messages with the key only in x-api-key, and anthropic-version', async () => {
    const { result, completion } = await chat({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hello' },
      ],
      max_tokens: 100,
    });
    const received = upstream.last();
    expect(received.method).toBe('POST');
    expect(received.url).toBe(MESSAGES_PATH);
    expect(received.url).not.toContain(ANTHROPIC_KEY);
    expect(received.headers['x-api-key']).toBe(ANTHROPIC_KEY);
    expect(received.headers['authorization']).toBeUndefined();
    expect(received.headers['anthropic-version']).toBe('2023-06-01');
    expect(received.headers['anthropic-beta']).toBeUndefined();
    expect(received.headers['content-type']).toBe('application/json');
    expect(sent()).toEqual({
      model: 'claude-sonnet-4-5-20250929',
      max_tokens: 100,
      system: [{ type: 'text', text: 'Be brief.' }],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }],
    });
    expect(completion.choices[0]!.message.content).toContain("Hello! I'm doing well");
    expect(result.contentType).toBe('application/json');
    expect(result.model).toBe('claude-sonnet-4-5-20250929');
    expect(result.usage).toMatchObject({ promptTokens: 12, completionTokens: 29, cacheWriteTokens: 0 });
  });

  it('merges the betas of the instance, the model and the request into one anthropic-beta', async () => {
    const adapter = adapterWith({
      betas: ['interleaved-thinking-2025-05-14'],
      modelBetas: { 'claude-sonnet-4-5': ['context-1m-2025-08-07'] },
    });
    await chat(
      { anthropic: { betas: ['files-api-2025-04-14', 'interleaved-thinking-2025-05-14'] } },
      'claude-sonnet-4-5',
      adapter,
    );
    expect(upstream.last().headers['anthropic-beta']).toBe(
      'interleaved-thinking-2025-05-14,context-1m-2025-08-07,files-api-2025-04-14',
    );
    expect(sent()).not.toHaveProperty('anthropic');
  });

  it("sends a client's own key instead of the instance's", async () => {
    const adapter = adapterWith();
    await adapter.chat(request({}), target('claude-sonnet-4-5'), callContext('sk-ant-client-own-key'));
    expect(upstream.last().headers['x-api-key']).toBe('sk-ant-client-own-key');
  });

  it('streams with stream: true, SSE accepted, chunks valid, usage last when asked', async () => {
    const { chunks, hidden, error } = await chatStream({ stream_options: { include_usage: true } });
    expect(error).toBeUndefined();
    expect((sent() as { stream?: boolean }).stream).toBe(true);
    expect(upstream.last().headers['accept']).toBe('text/event-stream');
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 12, completion_tokens: 30 } });
    expect(hidden).toHaveLength(0);
    const choice = await assembleWithSdk(chunks);
    expect(choice.message.content).toBe(
      "Hello! I'm doing well, thank you for asking. How are you doing today? Is there anything I can help you with?",
    );
    expect(choice.finish_reason).toBe('stop');
  });

  it('downloads image URLs through the media guard when the instance says so', async () => {
    const images = new FakeUpstream().route('GET', '/cat.png', () => ({
      status: 200,
      headers: { 'content-type': 'image/png' },
      body: Buffer.from('png-bytes'),
    }));
    await images.listen();
    try {
      const adapter = adapterWith({ imageUrls: 'download' });
      await chat(
        {
          messages: [
            {
              role: 'user',
              content: [{ type: 'image_url', image_url: { url: `${images.origin}/cat.png` } }],
            },
          ],
        },
        'claude-sonnet-4-5',
        adapter,
      );
      expect(sent().messages[0]!.content).toEqual([
        {
          type: 'image',
          source: {
            type: 'base64',
            media_type: 'image/png',
            data: Buffer.from('png-bytes').toString('base64'),
          },
        },
      ]);
    } finally {
      await images.close();
    }
  });
});

describe('thinking and tool use over two turns', () => {
  const weather = {
    type: 'function',
    function: { name: 'updateIssueList', parameters: { type: 'object', properties: {} } },
  };
  const thinkingAnswer = JSON.parse(anthropicFixture('anthropic-clear-thinking.1.json')) as {
    content: Record<string, unknown>[];
  };
  const toolAnswer = JSON.parse(anthropicFixture('anthropic-tool-no-args.json')) as {
    content: Record<string, unknown>[];
  };

  async function secondTurn(assistant: Record<string, unknown>, toolCallId: string, stream: boolean) {
    upstream.enqueue(
      'POST',
      MESSAGES_PATH,
      unaryAnthropic(anthropicFixture('anthropic-clear-thinking.1.json')),
    );
    const messages = [
      { role: 'user', content: 'Update the issue list, then divide 925 by 5.' },
      assistant,
      { role: 'tool', tool_call_id: toolCallId, content: 'Updated.' },
    ];
    const adapter = adapterWith();
    const context = callContext();
    const result = await adapter.chat(
      request({ messages, tools: [weather], reasoning_effort: 'low', stream }),
      target('claude-sonnet-4-5'),
      context,
    );
    assertOpenAISchema('CreateChatCompletionResponse', JSON.parse(String(result.body)));
    return { body: sent(), warnings: context.warnings };
  }

  it('unary: the thinking block returned on turn one goes back, signed, first in its turn', async () => {
    upstream.enqueue(
      'POST',
      MESSAGES_PATH,
      unaryAnthropic({
        ...thinkingAnswer,
        content: [thinkingAnswer.content[0], toolAnswer.content[1]],
        stop_reason: 'tool_use',
      }),
    );
    const { completion } = await chat({ tools: [weather], reasoning_effort: 'low' });
    expect(sent()['thinking']).toEqual({ type: 'enabled', budget_tokens: 2048 });
    const message = completion.choices[0]!.message as unknown as Record<string, unknown>;
    expect(completion.choices[0]!.finish_reason).toBe('tool_calls');
    expect(message['reasoning_content']).toBe('925 divided by 5 = 185');

    const { body, warnings } = await secondTurn(message, 'toolu_01LRmxn9vGM1d2DZSDBowdZ1', false);
    expect(warnings).toEqual([]);
    expect(body['thinking']).toEqual({ type: 'enabled', budget_tokens: 2048 });
    expect(body.messages[1]).toEqual({
      role: 'assistant',
      content: [
        thinkingAnswer.content[0],
        { type: 'tool_use', id: 'toolu_01LRmxn9vGM1d2DZSDBowdZ1', name: 'updateIssueList', input: {} },
      ],
    });
    expect(body.messages[2]).toEqual({
      role: 'user',
      content: [{ type: 'tool_result', tool_use_id: 'toolu_01LRmxn9vGM1d2DZSDBowdZ1', content: 'Updated.' }],
    });
  });

  it('streamed: the SDK-assembled message carries the thinking block back with its full signature', async () => {
    const thinkingEvents = fixtureEvents('anthropic-clear-thinking.1.chunks.txt');
    const toolEvents = fixtureEvents('anthropic-tool-no-args.chunks.txt');
    const isBlock = (event: Record<string, unknown>, index: number) =>
      String(event['type']).startsWith('content_block') && event['index'] === index;
    const events = [
      thinkingEvents[0]!,
      ...thinkingEvents.filter((event) => isBlock(event, 0) || event['type'] === 'ping'),
      ...toolEvents.filter((event) => isBlock(event, 1)),
      ...toolEvents.filter((event) => event['type'] === 'message_delta' || event['type'] === 'message_stop'),
    ];
    upstream.enqueue('POST', MESSAGES_PATH, streamAnthropic(anthropicSse(events), { chunkBytes: 50 }));
    const { chunks, error } = await chatStream({ tools: [weather], reasoning_effort: 'low' });
    expect(error).toBeUndefined();
    const choice = await assembleWithSdk(chunks);
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.tool_calls).toEqual([
      {
        id: 'toolu_01QE1WLsSVp5hy5Q3GmGTmjP',
        type: 'function',
        function: { name: 'updateIssueList', arguments: '{}' },
      },
    ]);
    const signature = thinkingEvents
      .map((event) => (event['delta'] as { signature?: string } | undefined)?.signature)
      .find(Boolean);
    const thinking = 'The previous result was 925. Now I need to divide that by 5.\n\n925 ÷ 5 = 185';

    const { body, warnings } = await secondTurn(
      choice.message as unknown as Record<string, unknown>,
      'toolu_01QE1WLsSVp5hy5Q3GmGTmjP',
      false,
    );
    expect(warnings).toEqual([]);
    expect(body.messages[1]!.content[0]).toEqual({ type: 'thinking', thinking, signature });
    expect(body['thinking']).toEqual({ type: 'enabled', budget_tokens: 2048 });
  });

  it('without the thinking blocks, turn two is sent without thinking, with a warning', async () => {
    const assistant = {
      role: 'assistant',
      content: null,
      tool_calls: [
        { id: 'toolu_x', type: 'function', function: { name: 'updateIssueList', arguments: '{}' } },
      ],
    };
    const { body, warnings } = await secondTurn(assistant, 'toolu_x', false);
    expect(body).not.toHaveProperty('thinking');
    expect(warnings[0]).toContain('has no thinking blocks');
  });
});

describe('failures', () => {
  it('a stream cut mid-way ends with a mid-stream failure, the upstream connection closed', async () => {
    const body = fixtureSse('anthropic-text.chunks.txt');
    upstream.enqueue(
      'POST',
      MESSAGES_PATH,
      streamAnthropic(body, { chunkBytes: 64, reset: Math.floor(body.length / 2) }),
    );
    const { chunks, error } = await chatStream({});
    expect(chunks.length).toBeGreaterThan(0);
    expect(chunks.some((chunk) => chunk.choices[0]?.finish_reason)).toBe(false);
    expect(error).toBeInstanceOf(UpstreamFailure);
    expect((error as UpstreamFailure).kind).toBe('mid_stream');
  });

  it('an error event mid-stream ends the stream with that error', async () => {
    const events = fixtureEvents('anthropic-text.chunks.txt').slice(0, 6);
    const overloaded = { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } };
    upstream.enqueue('POST', MESSAGES_PATH, streamAnthropic(anthropicSse([...events, overloaded])));
    const { chunks, error } = await chatStream({});
    expect(chunks.map((chunk) => chunk.choices[0]?.delta['content'] ?? '').join('')).toBe(
      "Hello! I'm doing well, thank you for asking",
    );
    const failure = error as UpstreamFailure;
    expect(failure.kind).toBe('mid_stream');
    expect(failure.statusCode).toBe(529);
    expect(failure.code).toBe('overloaded_error');
  });

  it('529 overloaded_error is a retryable server fault in the OpenAI envelope with the upstream status', async () => {
    upstream.enqueue('POST', MESSAGES_PATH, anthropicError(529, 'overloaded_error', 'Overloaded'));
    const error = await failure(adapterWith().chat(request({}), target('claude-sonnet-4-5'), callContext()));
    expect(error.statusCode).toBe(529);
    expect(error.upstreamStatus).toBe(529);
    expect(error.retryable).toBe(true);
    expect(error.type).toBe('provider_error');
    expect(error.code).toBe('overloaded_error');
    expect(error.message).toBe('Overloaded');
  });

  it('429 cools down for retry-after, passed on to the client', async () => {
    upstream.enqueue(
      'POST',
      MESSAGES_PATH,
      anthropicError(
        429,
        'rate_limit_error',
        'Number of request tokens has exceeded your per-minute rate limit',
        {
          'retry-after': '7',
        },
      ),
    );
    const error = await failure(adapterWith().chat(request({}), target('claude-sonnet-4-5'), callContext()));
    expect(error.statusCode).toBe(429);
    expect(error.retryAfterMs).toBe(7000);
    expect(error.headers).toEqual({ 'retry-after': '7' });
    expect(error.code).toBe('rate_limit_error');
  });

  it('429 without retry-after cools down until the exhausted anthropic-ratelimit limits reset', async () => {
    const soon = new Date(Date.now() + 20_000).toISOString();
    const later = new Date(Date.now() + 40_000).toISOString();
    upstream.enqueue(
      'POST',
      MESSAGES_PATH,
      anthropicError(429, 'rate_limit_error', 'Rate limited', {
        'anthropic-ratelimit-requests-remaining': '12',
        'anthropic-ratelimit-requests-reset': new Date(Date.now() + 90_000).toISOString(),
        'anthropic-ratelimit-input-tokens-remaining': '0',
        'anthropic-ratelimit-input-tokens-reset': soon,
        'anthropic-ratelimit-output-tokens-remaining': '0',
        'anthropic-ratelimit-output-tokens-reset': later,
      }),
    );
    const error = await failure(adapterWith().chat(request({}), target('claude-sonnet-4-5'), callContext()));
    // The later of the two exhausted limits; the requests limit has room and does not count.
    expect(error.retryAfterMs).toBeGreaterThan(30_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(40_000);
    expect(Number(error.headers!['retry-after'])).toBe(Math.ceil(error.retryAfterMs! / 1000));
  });

  it('400 keeps the status and message, the key scrubbed, and is not retried', async () => {
    upstream.enqueue(
      'POST',
      MESSAGES_PATH,
      anthropicError(400, 'invalid_request_error', `messages.0.content: bad block (key ${ANTHROPIC_KEY})`),
    );
    const error = await failure(adapterWith().chat(request({}), target('claude-sonnet-4-5'), callContext()));
    expect(error.statusCode).toBe(400);
    expect(error.retryable).toBe(false);
    expect(error.message).toBe('messages.0.content: bad block (key [redacted])');
    expect(error.code).toBe('invalid_request_error');
  });

  it('an error body that is not Anthropic JSON is quoted, and a 200 that is not JSON is a bad response', async () => {
    upstream.enqueue('POST', MESSAGES_PATH, { status: 502, body: '<html>bad gateway</html>' });
    const proxy = await failure(adapterWith().chat(request({}), target('claude-sonnet-4-5'), callContext()));
    expect(proxy.statusCode).toBe(502);
    expect(proxy.message).toContain('<html>bad gateway</html>');
    upstream.enqueue('POST', MESSAGES_PATH, unaryAnthropic('not json'));
    const broken = await failure(adapterWith().chat(request({}), target('claude-sonnet-4-5'), callContext()));
    expect(broken.gatewayCode).toBe('GW_ERR_UPSTREAM_BAD_RESPONSE');
  });

  it('a stream request answered with JSON is a bad response', async () => {
    upstream.enqueue('POST', MESSAGES_PATH, unaryAnthropic(anthropicFixture('anthropic-text.json')));
    const error = await failure(
      adapterWith().chatStream(request({ stream: true }), target('claude-sonnet-4-5'), callContext()),
    );
    expect(error.gatewayCode).toBe('GW_ERR_UPSTREAM_BAD_RESPONSE');
  });
});

describe('the adapter and its plugin', () => {
  it('declares only the chat parameters it honours, and serves chat alone', () => {
    const adapter = adapterWith();
    expect(adapter.type).toBe('anthropic');
    for (const honoured of ['temperature', 'top_p', 'max_tokens', 'tools', 'reasoning_effort', 'anthropic']) {
      expect(adapter.chatParameters.has(honoured)).toBe(true);
    }
    for (const dropped of [
      'logprobs',
      'top_logprobs',
      'seed',
      'presence_penalty',
      'frequency_penalty',
      'logit_bias',
    ]) {
      expect(adapter.chatParameters.has(dropped)).toBe(false);
    }
    expect(adapter).not.toHaveProperty('embeddings');
    expect('transcribe' in adapter).toBe(false);
    expect('speech' in adapter).toBe(false);
  });

  it('is built by the registry from its descriptor, which checks the instance settings', async () => {
    const services = { dispatcher, media, unsupportedParameters: 'drop' as const };
    const registry = await ProviderRegistry.build(
      [anthropicProvider],
      { claude: { type: 'anthropic', apiKey: ANTHROPIC_KEY, baseUrl: upstream.origin } },
      services,
    );
    const instance = registry.get('claude')!;
    expect(instance.adapter).toBeInstanceOf(AnthropicAdapter);
    expect(registry.get('anthropic')?.apiKeyVariable).toBe('ANTHROPIC_API_KEY');
    await instance.adapter.chat(request({}), target('claude-sonnet-4-5'), callContext());
    expect(upstream.last().headers['x-api-key']).toBe(ANTHROPIC_KEY);
    const wrong = ProviderRegistry.build(
      [anthropicProvider],
      {
        claude: {
          type: 'anthropic',
          apiKey: ANTHROPIC_KEY,
          baseUrl: upstream.origin,
          promptCaching: { system: 'yes' },
        } as never,
      },
      services,
    );
    await expect(wrong).rejects.toThrow(ProviderConfigError);
    await expect(wrong).rejects.toThrow(/providers\.claude\.promptCaching\.system/);
  });

  it('ships catalog entries that pass the catalog schema, with cache prices', () => {
    const entries = anthropicCatalogEntries();
    expect(entries.map((entry) => entry.id)).toEqual([
      'claude-opus-4-7',
      'claude-opus-4-5',
      'claude-opus-4-1',
      'claude-sonnet-5',
      'claude-sonnet-4-6',
      'claude-sonnet-4-5',
      'claude-haiku-4-5',
    ]);
    for (const entry of entries) {
      expect(entry.provider).toBe('anthropic');
      expect(entry.max_output_tokens).toBeGreaterThan(0);
      expect(entry.context_window).toBeGreaterThan(0);
      expect(entry.capabilities).toContain('reasoning');
      expect(entry.modalities.input).toEqual(['text', 'image', 'pdf']);
      expect(entry.pricing.cache_write).toBeCloseTo(entry.pricing.input! * 1.25, 10);
      expect(entry.pricing.cached_input).toBeCloseTo(entry.pricing.input! * 0.1, 10);
    }
  });
});
