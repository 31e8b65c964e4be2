/**
 * The Bedrock adapter over the wire: a loopback fake of the Bedrock Runtime checks every request's
 * SigV4 signature (recomputed on its side) or bearer key, serves the recorded Converse answers, and
 * streams them in real event-stream frames. Every answer and chunk is checked against OpenAI's
 * published schemas; streams are also put together by the openai SDK's stream helper.
 */
import { ChatCompletionStream } from 'openai/lib/ChatCompletionStream';
import { pino } from 'pino';
import { Agent, MockAgent } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest } from '../../../../schemas/chat.js';
import bedrockProvider from '../../../../plugins/providers/bedrock/index.js';
import { BedrockAdapter } from '../../../../plugins/providers/bedrock/bedrock-adapter.js';
import { DEFAULT_BEDROCK_BASE_URL } from '../../../../plugins/providers/bedrock/bedrock-api.js';
import {
  BedrockSettingsSchema,
  type BedrockSettings,
} from '../../../../plugins/providers/bedrock/bedrock-options.js';
import { ProviderRegistry, resolveInstanceSettings } from '../../../../src/provider-registry.js';
import { Catalog, loadShippedCatalog, normalizeCatalogEntry } from '../../../../src/catalog.js';
import type { CallContext, StreamEvent, Target } from '../../../../src/provider.js';
import { RemoteMedia } from '../../../../src/remote-media.js';
import { UpstreamFailure } from '../../../../src/upstream.js';
import {
  AWS_ACCESS_KEY_ID,
  AWS_SECRET_ACCESS_KEY,
  AWS_SESSION_TOKEN,
  BEDROCK_API_KEY,
  BEDROCK_REGION,
  authenticate,
  bedrockError,
  bedrockFixture,
  bedrockPath,
  eventFrame,
  eventStreamBody,
  exceptionFrame,
  fixtureEvents,
  startFakeBedrock,
  streamBedrock,
  unaryBedrock,
} from '../../../helpers/fake-bedrock.js';
import { fakeVector } from '../../../helpers/fake-openai.js';
import type { FakeUpstream } from '../../../helpers/fake-upstream.js';
import { assertOpenAISchema } from '../../../helpers/openai-schemas.js';
import { mediaOptions } from '../../../helpers/media-options.js';

const MEDIA_OPTIONS = mediaOptions({
  maxBytes: 1024 * 1024,
  timeoutMs: 2000,
  maxRedirects: 2,
  allowPrivateNetworks: true,
});
const CLAUDE = 'bedrock/claude-sonnet-4-5';
const CLAUDE_ID = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
const NOVA = 'bedrock/nova-pro';

let upstream: FakeUpstream;
let dispatcher: Agent;
let media: RemoteMedia;
const catalog = new Catalog(loadShippedCatalog([bedrockProvider]).map(normalizeCatalogEntry));

beforeAll(async () => {
  upstream = await startFakeBedrock();
  dispatcher = new Agent();
  media = new RemoteMedia(MEDIA_OPTIONS);
});

afterAll(async () => {
  await dispatcher.close();
  await media.close();
  await upstream.close();
});

afterEach(() => {
  // Every request the adapter sent, queued answers included, is one Bedrock would have accepted.
  for (const request of upstream.requests) expect(authenticate(request)).toMatchObject({ ok: true });
  upstream.reset();
});

function adapterWith(settings: Record<string, unknown> = {}, apiKey?: string, baseUrl = upstream.origin) {
  return new BedrockAdapter(
    {
      id: 'bedrock',
      type: 'bedrock',
      baseUrl,
      apiKey,
      settings: resolveInstanceSettings<BedrockSettings>(BedrockSettingsSchema, 'bedrock', {
        region: BEDROCK_REGION,
        accessKeyId: AWS_ACCESS_KEY_ID,
        secretAccessKey: AWS_SECRET_ACCESS_KEY,
        ...settings,
      }),
    },
    { dispatcher, media, unsupportedParameters: 'drop' },
  );
}

function target(model: string): Target {
  const entry = catalog.get(model);
  return { deploymentId: `bedrock/${model}`, upstreamModel: entry?.upstream ?? model, model: entry };
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
  return { model: CLAUDE, messages: [{ role: 'user', content: 'Hi' }], ...fields } as ChatCompletionRequest;
}

type Sent = Record<string, unknown> & {
  messages: { role: string; content: Record<string, unknown>[] }[];
  inferenceConfig?: Record<string, unknown>;
  toolConfig?: { tools: Record<string, unknown>[]; toolChoice?: unknown };
  additionalModelRequestFields?: Record<string, unknown>;
};

function sent(): Sent {
  return upstream.last().json as Sent;
}

async function chat(fields: Record<string, unknown>, model = CLAUDE, adapter = adapterWith()) {
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

async function chatStream(fields: Record<string, unknown>, model = CLAUDE, adapter = adapterWith()) {
  const context = callContext();
  const stream = await adapter.chatStream(
    request({ model, stream: true, ...fields }),
    target(model),
    context,
  );
  return { ...(await collect(stream)), warnings: context.warnings };
}

async function assembleWithSdk(chunks: readonly ChatCompletionChunk[]) {
  const encoder = new TextEncoder();
  const readable = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(`${JSON.stringify(chunk)}\n`));
      controller.close();
    },
  });
  return (await ChatCompletionStream.fromReadableStream(readable).finalChatCompletion()).choices[0]!;
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

const CONVERSE = bedrockPath(CLAUDE_ID, 'converse');
const CONVERSE_STREAM = bedrockPath(CLAUDE_ID, 'converse-stream');
const weather = {
  type: 'function',
  function: {
    name: 'updateIssueList',
    description: 'Update the issue list',
    parameters: { type: 'object', properties: {} },
  },
};

describe('the wire', () => {
  it('posts Converse to /model/{id}/converse, the inference profile id encoded, signed with SigV4', async () => {
    const { completion, result } = await chat({ max_tokens: 300, temperature: 0.2, stop: 'END' });
    const last = upstream.last();
    expect(last.path).toBe('/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse');
    expect(authenticate(last)).toMatchObject({ ok: true, accessKeyId: AWS_ACCESS_KEY_ID });
    expect(last.headers['x-amz-security-token']).toBeUndefined();
    expect(sent()).toEqual({
      messages: [{ role: 'user', content: [{ text: 'Hi' }] }],
      inferenceConfig: { maxTokens: 300, temperature: 0.2, stopSequences: ['END'] },
    });
    expect(completion.id).toBe('chatcmpl-req-bedrock-0001');
    expect(completion.model).toBe(CLAUDE_ID);
    expect(completion.choices[0]!.message.content).toContain('There are **3**');
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    expect(completion.usage).toMatchObject({ prompt_tokens: 22, completion_tokens: 57, total_tokens: 79 });
    expect(result.usage).toMatchObject({ promptTokens: 22, completionTokens: 57, cachedTokens: 0 });
  });

  it('signs with a session token when the credentials are temporary', async () => {
    await chat({}, CLAUDE, adapterWith({ sessionToken: AWS_SESSION_TOKEN }));
    expect(upstream.last().headers['x-amz-security-token']).toBe(AWS_SESSION_TOKEN);
    expect(authenticate(upstream.last())).toMatchObject({
      ok: true,
      signedHeaders: expect.arrayContaining(['x-amz-security-token']) as unknown,
    });
  });

  it('sends a Bedrock API key as a bearer token, and a key the client brought instead', async () => {
    await chat({}, CLAUDE, adapterWith({ accessKeyId: '', secretAccessKey: '' }, BEDROCK_API_KEY));
    expect(upstream.last().headers['authorization']).toBe(`Bearer ${BEDROCK_API_KEY}`);
    expect(upstream.last().headers['x-amz-date']).toBeUndefined();
    const context = callContext(BEDROCK_API_KEY);
    await adapterWith().chat(request({}), target(CLAUDE), context);
    expect(upstream.last().headers['authorization']).toBe(`Bearer ${BEDROCK_API_KEY}`);
  });

  it("calls the region's runtime when no base URL was set", async () => {
    const mock = new MockAgent();
    mock.disableNetConnect();
    mock
      .get('https://bedrock-runtime.eu-central-1.amazonaws.com')
      .intercept({ path: CONVERSE, method: 'POST' })
      .reply(200, bedrockFixture('amazon-bedrock-text.json'), {
        headers: { 'content-type': 'application/json' },
      });
    const adapter = new BedrockAdapter(
      {
        id: 'bedrock',
        type: 'bedrock',
        baseUrl: DEFAULT_BEDROCK_BASE_URL,
        apiKey: BEDROCK_API_KEY,
        settings: resolveInstanceSettings<BedrockSettings>(BedrockSettingsSchema, 'bedrock', {
          region: 'eu-central-1',
        }),
      },
      { dispatcher: mock, media, unsupportedParameters: 'drop' },
    );
    const result = await adapter.chat(request({}), target(CLAUDE), callContext());
    expect(JSON.parse(String(result.body)).choices[0].message.content).toContain('strawberry');
    mock.assertNoPendingInterceptors();
    await mock.close();
  });

  it('streams ConverseStream event-stream frames, cut anywhere, into chunks with usage last', async () => {
    upstream.enqueue(
      'POST',
      CONVERSE_STREAM,
      streamBedrock(eventStreamBody(fixtureEvents('amazon-bedrock-text.chunks.txt')), { chunkBytes: 7 }),
    );
    const { chunks, error } = await chatStream({ stream_options: { include_usage: true } });
    expect(error).toBeUndefined();
    expect(upstream.last().headers['accept']).toBe('application/vnd.amazon.eventstream');
    const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe(
      'Let me count the "r"s in "strawberry":\n\ns-t-**r**-a-w-b-e-**r**-**r**-y\n\nThere are **3** r\'s in "strawberry."',
    );
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    expect(new Set(chunks.map((chunk) => chunk.id))).toEqual(new Set(['chatcmpl-req-bedrock-0002']));
    expect(
      chunks
        .filter((chunk) => chunk.choices[0]?.finish_reason)
        .map((chunk) => chunk.choices[0]!.finish_reason),
    ).toEqual(['stop']);
    expect(chunks.at(-1)!.usage).toMatchObject({
      prompt_tokens: 22,
      completion_tokens: 55,
      total_tokens: 77,
    });
  });

  it('counts the usage of a stream whose client did not ask for it, without sending it', async () => {
    const { chunks, hidden } = await chatStream({});
    expect(chunks.every((chunk) => chunk.usage === undefined)).toBe(true);
    expect(hidden).toHaveLength(1);
    expect(hidden[0]!.usage).toMatchObject({ prompt_tokens: 22, completion_tokens: 55 });
  });
});

describe('converting requests', () => {
  it('sends system blocks, merged turns, tool calls and results, and the tools with their choice', async () => {
    await chat({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Update the list' },
        {
          role: 'assistant',
          content: 'Sure.',
          tool_calls: [
            { id: 'tool-1', type: 'function', function: { name: 'updateIssueList', arguments: '{"a":1}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'tool-1', content: 'Updated.' },
        { role: 'user', content: 'Thanks' },
      ],
      tools: [weather],
      tool_choice: 'required',
    });
    const body = sent();
    expect(body['system']).toEqual([{ text: 'Be brief.' }]);
    expect(body.messages).toEqual([
      { role: 'user', content: [{ text: 'Update the list' }] },
      {
        role: 'assistant',
        content: [
          { text: 'Sure.' },
          { toolUse: { toolUseId: 'tool-1', name: 'updateIssueList', input: { a: 1 } } },
        ],
      },
      {
        role: 'user',
        content: [
          { toolResult: { toolUseId: 'tool-1', content: [{ text: 'Updated.' }] } },
          { text: 'Thanks' },
        ],
      },
    ]);
    expect(body.toolConfig).toEqual({
      tools: [
        {
          toolSpec: {
            name: 'updateIssueList',
            description: 'Update the issue list',
            inputSchema: { json: { type: 'object', properties: {} } },
          },
        },
      ],
      toolChoice: { any: {} },
    });
  });

  it('sends images and documents as bytes, and cache points where the client marked cache_control', async () => {
    const png = Buffer.from('fake png bytes').toString('base64');
    const pdf = Buffer.from('%PDF-1.4 fake').toString('base64');
    await chat({
      messages: [
        { role: 'system', content: 'Long instructions', cache_control: { type: 'ephemeral' } },
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } },
            {
              type: 'file',
              file: { filename: 'Q3 report.final.pdf', file_data: `data:application/pdf;base64,${pdf}` },
            },
            {
              type: 'file',
              file: { filename: 'notes.txt', file_data: Buffer.from('plain').toString('base64') },
            },
            { type: 'text', text: 'Summarise', cache_control: { type: 'ephemeral' } },
          ],
        },
      ],
    });
    const body = sent();
    expect(body['system']).toEqual([{ text: 'Long instructions' }, { cachePoint: { type: 'default' } }]);
    expect(body.messages[0]!.content).toEqual([
      { image: { format: 'png', source: { bytes: png } } },
      { document: { format: 'pdf', name: 'Q3 report final pdf', source: { bytes: pdf } } },
      {
        document: {
          format: 'txt',
          name: 'notes txt',
          source: { bytes: Buffer.from('plain').toString('base64') },
        },
      },
      { text: 'Summarise' },
      { cachePoint: { type: 'default' } },
    ]);
  });

  it('refuses parts Converse cannot take, naming them', async () => {
    const error = await chat({
      messages: [
        { role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }] },
      ],
    }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ statusCode: 400, param: 'messages[0].content[0]' });
    expect(upstream.requests).toHaveLength(0);
  });

  it("asks Claude to think within the instance's budget, in additionalModelRequestFields", async () => {
    const { warnings } = await chat({ reasoning_effort: 'medium', max_tokens: 20000, temperature: 0.5 });
    expect(sent().additionalModelRequestFields).toEqual({
      thinking: { type: 'enabled', budget_tokens: 8192 },
    });
    expect(sent().inferenceConfig).toEqual({ maxTokens: 20000 });
    expect(warnings.join('\n')).toContain("dropped 'temperature'");
  });

  it('drops reasoning_effort for models other than Claude, with a warning', async () => {
    const novaPath = bedrockPath('us.amazon.nova-pro-v1:0', 'converse');
    upstream.enqueue('POST', novaPath, unaryBedrock(bedrockFixture('amazon-bedrock-text.json')));
    const { warnings } = await chat({ reasoning_effort: 'high' }, NOVA);
    expect(upstream.last().path).toBe(novaPath);
    expect(sent().additionalModelRequestFields).toBeUndefined();
    expect(sent().inferenceConfig).toEqual({ maxTokens: 10000 });
    expect(warnings[0]).toContain("dropped 'reasoning_effort'");
  });

  it('leaves the tools out for tool_choice none, and answers JSON through a forced tool', async () => {
    await chat({ tools: [weather], tool_choice: 'none' });
    expect(sent().toolConfig).toBeUndefined();
    upstream.enqueue(
      'POST',
      CONVERSE,
      unaryBedrock({
        output: {
          message: {
            role: 'assistant',
            content: [{ toolUse: { toolUseId: 't1', name: 'answer', input: { n: 3 } } }],
          },
        },
        stopReason: 'tool_use',
        usage: { inputTokens: 10, outputTokens: 5, totalTokens: 15 },
      }),
    );
    const { completion } = await chat({
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'answer', schema: { type: 'object', properties: { n: { type: 'number' } } } },
      },
    });
    expect(sent().toolConfig?.toolChoice).toEqual({ tool: { name: 'answer' } });
    expect(completion.choices[0]!.message.content).toBe('{"n":3}');
    expect(completion.choices[0]!.finish_reason).toBe('stop');
  });
});

describe('answers', () => {
  it('a tool call: Bedrock ids, JSON arguments, finish_reason tool_calls', async () => {
    upstream.enqueue('POST', CONVERSE, unaryBedrock(bedrockFixture('amazon-bedrock-tool-call.1.json')));
    const { completion } = await chat({ tools: [weather] });
    expect(completion.choices[0]!.message.tool_calls).toEqual([
      { id: 'tool-use-id', type: 'function', function: { name: 'bash', arguments: '{"command":"ls -l"}' } },
    ]);
    expect(completion.choices[0]!.finish_reason).toBe('tool_calls');
    upstream.enqueue('POST', CONVERSE, unaryBedrock(bedrockFixture('amazon-bedrock-tool-no-args.json')));
    const noArgs = await chat({ tools: [weather] });
    expect(noArgs.completion.choices[0]!.message.content).toBe("I'll update the issue list for you.");
    expect(noArgs.completion.choices[0]!.message.tool_calls![0]!.function.arguments).toBe('{}');
  });

  it('usage counts cache reads and writes into the prompt, apart', async () => {
    upstream.enqueue(
      'POST',
      CONVERSE,
      unaryBedrock({
        ...JSON.parse(bedrockFixture('amazon-bedrock-text.json')),
        usage: {
          inputTokens: 10,
          outputTokens: 20,
          cacheReadInputTokens: 100,
          cacheWriteInputTokens: 50,
          totalTokens: 180,
        },
      }),
    );
    const { completion, result } = await chat({});
    expect(completion.usage).toEqual({
      prompt_tokens: 160,
      completion_tokens: 20,
      total_tokens: 180,
      prompt_tokens_details: { cached_tokens: 100, cache_write_tokens: 50 },
      completion_tokens_details: { reasoning_tokens: 0 },
    });
    expect(result.usage).toMatchObject({ promptTokens: 160, cachedTokens: 100, cacheWriteTokens: 50 });
  });

  it('blocks a chat completion cannot carry are dropped with a warning, the text kept', async () => {
    upstream.enqueue(
      'POST',
      CONVERSE,
      unaryBedrock({
        output: {
          message: {
            role: 'assistant',
            content: [{ text: 'Paris.' }, { citationsContent: { citations: [] } }],
          },
        },
        stopReason: 'end_turn',
        usage: { inputTokens: 3, outputTokens: 2, totalTokens: 5 },
      }),
    );
    const { completion, warnings } = await chat({});
    expect(completion.choices[0]!.message.content).toBe('Paris.');
    expect(warnings).toEqual([
      "dropped Bedrock's citationsContent block(s): chat completions cannot carry them (the text around them is kept)",
    ]);
  });

  it('a guardrail stopping the answer is content_filter, with a warning', async () => {
    upstream.enqueue(
      'POST',
      CONVERSE,
      unaryBedrock({
        output: {
          message: {
            role: 'assistant',
            content: [{ text: 'Sorry, the model cannot answer this question.' }],
          },
        },
        stopReason: 'guardrail_intervened',
        usage: { inputTokens: 3, outputTokens: 0, totalTokens: 3 },
      }),
    );
    const { completion, warnings } = await chat({});
    expect(completion.choices[0]!.finish_reason).toBe('content_filter');
    expect(warnings).toContain('a Bedrock guardrail stopped the answer (stopReason guardrail_intervened)');
  });
});

describe('reasoning round trip', () => {
  it('unary: the signed reasoning comes back as thinking blocks, and goes back as reasoningContent', async () => {
    upstream.enqueue('POST', CONVERSE, unaryBedrock(bedrockFixture('amazon-bedrock-reasoning.json')));
    const { completion } = await chat({ reasoning_effort: 'low' });
    const message = completion.choices[0]!.message as unknown as Record<string, unknown>;
    const fixture = JSON.parse(bedrockFixture('amazon-bedrock-reasoning.json'));
    const reasoning = fixture.output.message.content[0].reasoningContent.reasoningText;
    expect(message['reasoning_content']).toBe(reasoning.text);
    expect(message['extra_content']).toEqual({
      anthropic: {
        thinking_blocks: [{ type: 'thinking', thinking: reasoning.text, signature: reasoning.signature }],
      },
    });
    await chat({
      reasoning_effort: 'low',
      messages: [{ role: 'user', content: 'Count' }, message, { role: 'user', content: 'Again' }],
    });
    expect(sent().messages[1]).toEqual({
      role: 'assistant',
      content: [
        { reasoningContent: { reasoningText: reasoning } },
        { text: fixture.output.message.content[1].text },
      ],
    });
  });

  it('streamed: reasoning deltas and the signature, assembled by the SDK, go back whole', async () => {
    upstream.enqueue(
      'POST',
      CONVERSE_STREAM,
      streamBedrock(eventStreamBody(fixtureEvents('amazon-bedrock-reasoning.chunks.txt')), {
        chunkBytes: 40,
      }),
    );
    const { chunks, error } = await chatStream({ reasoning_effort: 'low' });
    expect(error).toBeUndefined();
    const choice = await assembleWithSdk(chunks);
    const message = choice.message as unknown as Record<string, unknown>;
    const events = fixtureEvents('amazon-bedrock-reasoning.chunks.txt');
    const deltas = events.map(
      (event) =>
        (
          event['contentBlockDelta'] as {
            delta?: { reasoningContent?: { text?: string; signature?: string } };
          }
        )?.delta?.reasoningContent,
    );
    const thinking = deltas.map((delta) => delta?.text ?? '').join('');
    const signature = deltas.find((delta) => delta?.signature)!.signature;
    expect(message['extra_content']).toEqual({
      anthropic: { thinking_blocks: [{ type: 'thinking', thinking, signature }] },
    });
    expect(choice.message.content).toContain('There are **3** r');
    await chat({
      reasoning_effort: 'low',
      messages: [{ role: 'user', content: 'Count' }, message, { role: 'user', content: 'Again' }],
    });
    expect(sent().messages[1]!.content[0]).toEqual({
      reasoningContent: { reasoningText: { text: thinking, signature } },
    });
  });

  it('streamed tool calls: numbered from 0, arguments in pieces, "{}" for a call without input', async () => {
    upstream.enqueue(
      'POST',
      CONVERSE_STREAM,
      streamBedrock(eventStreamBody(fixtureEvents('amazon-bedrock-tool-call.1.chunks.txt')), {
        chunkBytes: 13,
      }),
    );
    const first = await chatStream({ tools: [weather] });
    const choice = await assembleWithSdk(first.chunks);
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.tool_calls).toEqual([
      {
        id: 'tool-use-id',
        type: 'function',
        function: { name: 'test-tool', arguments: '{"value":"Sparkle Day"}' },
      },
    ]);
    upstream.enqueue(
      'POST',
      CONVERSE_STREAM,
      streamBedrock(eventStreamBody(fixtureEvents('amazon-bedrock-tool-no-args.chunks.txt'))),
    );
    const second = await assembleWithSdk((await chatStream({ tools: [weather] })).chunks);
    expect(second.message.content).toBe("I'll update the issue list for you.");
    expect(second.message.tool_calls).toEqual([
      { id: 'tool-use-id', type: 'function', function: { name: 'updateIssueList', arguments: '{}' } },
    ]);
  });
});

describe('failures', () => {
  it('ThrottlingException is a retryable 429 in the OpenAI envelope', async () => {
    upstream.enqueue(
      'POST',
      CONVERSE,
      bedrockError(429, 'ThrottlingException', 'Too many requests, please wait before trying again.'),
    );
    const error = await failure(chat({}));
    expect(error).toMatchObject({ statusCode: 429, code: 'ThrottlingException', retryable: true });
    expect(error.message).toBe('Too many requests, please wait before trying again.');
  });

  it.each([
    [400, 'ValidationException', 400, false],
    [403, 'AccessDeniedException', 403, false],
    [404, 'ResourceNotFoundException', 404, false],
    [429, 'ModelNotReadyException', 503, true],
    [503, 'ServiceUnavailableException', 503, true],
    [500, 'InternalServerException', 500, true],
    [424, 'ModelErrorException', 502, true],
  ])('HTTP %i %s → %i, retryable %s', async (status, exception, expected, retryable) => {
    upstream.enqueue('POST', CONVERSE, bedrockError(status, exception, `${exception} happened`));
    const error = await failure(chat({}));
    expect(error).toMatchObject({
      statusCode: expected,
      code: exception,
      retryable,
      upstreamStatus: expected,
    });
  });

  it('a bad signature is refused by the fake as Bedrock would, and the secret is never quoted', async () => {
    const error = await failure(chat({}, CLAUDE, adapterWith({ secretAccessKey: 'a-wrong-secret-key' })));
    expect(error).toMatchObject({ statusCode: 403, code: 'InvalidSignatureException' });
    expect(error.message).not.toContain('a-wrong-secret-key');
    upstream.reset();
  });

  it('an exception before any content is the HTTP error it stands for, so it can fail over', async () => {
    upstream.enqueue(
      'POST',
      CONVERSE_STREAM,
      streamBedrock(exceptionFrame('throttlingException', 'Slow down')),
    );
    const { error } = await chatStream({});
    expect(error).toMatchObject({
      statusCode: 429,
      code: 'ThrottlingException',
      kind: 'http',
      retryable: true,
    });
  });

  it('an exception after content ends the stream with a mid-stream failure', async () => {
    const events = fixtureEvents('amazon-bedrock-text.chunks.txt').slice(0, 4);
    upstream.enqueue(
      'POST',
      CONVERSE_STREAM,
      streamBedrock(
        Buffer.concat([
          eventStreamBody(events),
          exceptionFrame('modelStreamErrorException', 'The model failed'),
        ]),
      ),
    );
    const { chunks, error } = await chatStream({});
    expect(chunks.length).toBeGreaterThan(0);
    expect(error).toMatchObject({ kind: 'mid_stream', code: 'ModelStreamErrorException', retryable: false });
  });

  it('a stream that ends before messageStop, or with a broken checksum, is a bad response', async () => {
    const events = fixtureEvents('amazon-bedrock-text.chunks.txt').slice(0, 3);
    upstream.enqueue('POST', CONVERSE_STREAM, streamBedrock(eventStreamBody(events)));
    expect((await chatStream({})).error).toMatchObject({ code: 'upstream_bad_response' });
    const frame = eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hello' } });
    frame[frame.length - 6] = frame[frame.length - 6]! ^ 0xff;
    upstream.enqueue('POST', CONVERSE_STREAM, streamBedrock(frame));
    const broken = await chatStream({});
    expect(broken.error).toMatchObject({ code: 'upstream_bad_response' });
    expect(String((broken.error as Error).message)).toContain('broken event stream');
  });

  it('a stream request answered with JSON is a bad response', async () => {
    upstream.enqueue('POST', CONVERSE_STREAM, unaryBedrock(bedrockFixture('amazon-bedrock-text.json')));
    await expect(
      adapterWith().chatStream(request({ stream: true }), target(CLAUDE), callContext()),
    ).rejects.toMatchObject({
      code: 'upstream_bad_response',
    });
  });
});

describe('embeddings', () => {
  it('Titan: one InvokeModel call per input, dimensions passed, token counts from the answer', async () => {
    const adapter = adapterWith();
    const context = callContext();
    const result = await adapter.embeddings!(
      { model: 'bedrock/titan-embed-text-v2', input: ['one two', 'three'], dimensions: 8 },
      target('bedrock/titan-embed-text-v2'),
      context,
    );
    const path = bedrockPath('amazon.titan-embed-text-v2:0', 'invoke');
    expect(upstream.received(path).map((call) => call.json)).toEqual([
      { inputText: 'one two', dimensions: 8 },
      { inputText: 'three', dimensions: 8 },
    ]);
    const body = JSON.parse(String(result.body));
    assertOpenAISchema('CreateEmbeddingResponse', body);
    expect(body.data.map((item: { index: number }) => item.index)).toEqual([0, 1]);
    expect(body.usage).toEqual({ prompt_tokens: 3, total_tokens: 3 });
  });

  it('Cohere: the texts in one call, floats asked for, usage from the token-count header, base64 on request', async () => {
    const result = await adapterWith().embeddings!(
      { model: 'bedrock/cohere-embed-english-v3', input: ['a', 'b', 'c'], encoding_format: 'base64' },
      target('bedrock/cohere-embed-english-v3'),
      callContext(),
    );
    expect(upstream.last().json).toEqual({
      texts: ['a', 'b', 'c'],
      input_type: 'search_document',
      embedding_types: ['float'],
    });
    // OpenAI's schema knows only float lists; base64 is OpenAI's little-endian float32, decoded here.
    const body = JSON.parse(String(result.body));
    const decoded = Buffer.from(body.data[0].embedding as string, 'base64');
    expect(decoded.length).toBe(8 * 4);
    expect(decoded.readFloatLE(0)).toBeCloseTo(fakeVector('a', 8)[0]!, 5);
    expect(result.usage).toMatchObject({ promptTokens: 9 });
  });

  it('refuses a model it cannot embed with, and token ids', async () => {
    await expect(
      adapterWith().embeddings!({ model: 'x', input: 'a' }, target('us.amazon.nova-pro-v1:0'), callContext()),
    ).rejects.toMatchObject({ statusCode: 400, param: 'model' });
    await expect(
      adapterWith().embeddings!(
        { model: 'x', input: [1, 2] },
        target('bedrock/titan-embed-text-v2'),
        callContext(),
      ),
    ).rejects.toMatchObject({ statusCode: 400, param: 'input' });
  });
});

describe('the descriptor', () => {
  const services = () => ({ dispatcher, media, unsupportedParameters: 'drop' as const });

  it('is configured by signing keys alone, or by an API key, and not without either', async () => {
    const build = (settings: Record<string, unknown>) =>
      ProviderRegistry.build([bedrockProvider], { bedrock: settings }, services());
    expect(
      (await build({ accessKeyId: 'AKIA1', secretAccessKey: 'secret' })).get('bedrock')!.configured,
    ).toBe(true);
    expect((await build({ apiKey: BEDROCK_API_KEY })).get('bedrock')!.configured).toBe(true);
    expect((await build({ accessKeyId: 'AKIA1' })).get('bedrock')!.configured).toBe(false);
    expect((await build({})).get('bedrock')!.configured).toBe(false);
  });

  it('refuses a region that is not one, naming the setting', async () => {
    await expect(
      ProviderRegistry.build(
        [bedrockProvider],
        { bedrock: { region: 'evil.example.com/x' } as Record<string, unknown> },
        services(),
      ),
    ).rejects.toThrow(/providers\.bedrock\.region/);
  });

  it('declares the chat parameters it honours, and serves chat and embeddings', () => {
    const adapter = adapterWith();
    expect(adapter.chatParameters.has('reasoning_effort')).toBe(true);
    expect(adapter.chatParameters.has('parallel_tool_calls')).toBe(false);
    expect(adapter.chatParameters.has('logprobs')).toBe(false);
    expect(typeof adapter.embeddings).toBe('function');
    expect((adapter as unknown as Record<string, unknown>)['transcribe']).toBeUndefined();
  });
});
