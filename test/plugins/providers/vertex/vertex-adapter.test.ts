/**
 * The Vertex AI adapter over the wire: a loopback fake of Vertex AI and of Google's token endpoint
 * (named by `token_uri` in a test service-account key file) mints access tokens from the signed JWT
 * the gateway's google-auth-library sends, and accepts only those tokens, unexpired. Gemini models
 * answer from the recorded Vertex responses, Claude models from the recorded Anthropic ones.
 */
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { pino } from 'pino';
import { Agent, MockAgent } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest } from '../../../../schemas/chat.js';
import vertexProvider from '../../../../plugins/providers/vertex/index.js';
import {
  VertexSettingsSchema,
  type VertexSettings,
} from '../../../../plugins/providers/vertex/vertex-options.js';
import { DEFAULT_VERTEX_BASE_URL } from '../../../../plugins/providers/vertex/vertex-api.js';
import { Catalog, loadShippedCatalog, normalizeCatalogEntry } from '../../../../src/catalog.js';
import type { CallContext, ProviderAdapter, StreamEvent, Target } from '../../../../src/provider.js';
import { ProviderRegistry, resolveInstanceSettings } from '../../../../src/provider-registry.js';
import { RemoteMedia } from '../../../../src/remote-media.js';
import type { Dispatcher } from 'undici';
import { anthropicError } from '../../../helpers/fake-anthropic.js';
import { geminiFixture } from '../../../helpers/fake-gemini.js';
import {
  TOKEN_PATH,
  VERTEX_PROJECT,
  googleError,
  startFakeVertex,
  vertexPath,
  type FakeVertex,
} from '../../../helpers/fake-vertex.js';
import { assertOpenAISchema } from '../../../helpers/openai-schemas.js';
import { mediaOptions } from '../../../helpers/media-options.js';

const MEDIA_OPTIONS = mediaOptions({
  maxBytes: 1024 * 1024,
  timeoutMs: 2000,
  maxRedirects: 2,
  allowPrivateNetworks: true,
});
const GEMINI = 'vertex/gemini-2.5-flash';
const CLAUDE = 'vertex/claude-sonnet-4-5';

let fake: FakeVertex;
let dispatcher: Agent;
let media: RemoteMedia;
const catalog = new Catalog(loadShippedCatalog([vertexProvider]).map(normalizeCatalogEntry));

beforeAll(async () => {
  fake = await startFakeVertex();
  dispatcher = new Agent();
  media = new RemoteMedia(MEDIA_OPTIONS);
});

afterAll(async () => {
  await dispatcher.close();
  await media.close();
  await fake.close();
});

afterEach(() => {
  fake.upstream.reset();
  fake.expiresIn.length = 0;
});

async function adapterWith(
  settings: Record<string, unknown> = {},
  options: { baseUrl?: string; dispatcher?: Dispatcher } = {},
): Promise<ProviderAdapter> {
  return vertexProvider.create(
    {
      id: 'vertex',
      type: 'vertex',
      baseUrl: options.baseUrl ?? fake.upstream.origin,
      apiKey: undefined,
      settings: resolveInstanceSettings<VertexSettings>(VertexSettingsSchema, 'vertex', {
        credentialsFile: fake.credentialsFile,
        ...settings,
      }),
    },
    { dispatcher: options.dispatcher ?? dispatcher, media, unsupportedParameters: 'drop' },
  );
}

function target(model: string): Target {
  const entry = catalog.get(model);
  return { deploymentId: `vertex/${model}`, upstreamModel: entry?.upstream ?? model, model: entry };
}

function callContext(): CallContext & { warnings: string[] } {
  return {
    signal: new AbortController().signal,
    deadline: Date.now() + 10_000,
    log: pino({ level: 'silent' }),
    requestId: 'req-test',
    warnings: [],
  };
}

function request(fields: Record<string, unknown>): ChatCompletionRequest {
  return { model: GEMINI, messages: [{ role: 'user', content: 'Hi' }], ...fields } as ChatCompletionRequest;
}

async function chat(model: string, fields: Record<string, unknown> = {}, adapter?: ProviderAdapter) {
  const result = await (adapter ?? (await adapterWith())).chat(
    request({ model, ...fields }),
    target(model),
    callContext(),
  );
  const completion = JSON.parse(String(result.body)) as ChatCompletion;
  assertOpenAISchema('CreateChatCompletionResponse', completion);
  return { result, completion };
}

async function chatStream(model: string, fields: Record<string, unknown> = {}) {
  const adapter = await adapterWith();
  const stream = await adapter.chatStream(
    request({ model, stream: true, ...fields }),
    target(model),
    callContext(),
  );
  const chunks: ChatCompletionChunk[] = [];
  for await (const event of stream as AsyncIterable<StreamEvent>) {
    assertOpenAISchema('CreateChatCompletionStreamResponse', event.chunk);
    if (!event.hidden) chunks.push(event.chunk);
  }
  return chunks;
}

function vertexCalls() {
  return fake.upstream.requests.filter((call) => call.path !== TOKEN_PATH);
}

describe('Gemini on Vertex', () => {
  it('posts generateContent under the project (from the key file) and the global location, with the minted token', async () => {
    const { completion } = await chat(GEMINI, { temperature: 0.3 });
    const [tokenCall, call] = fake.upstream.requests;
    expect(tokenCall!.path).toBe(TOKEN_PATH);
    expect(call!.path).toBe(
      `/v1/projects/${VERTEX_PROJECT}/locations/global/publishers/google/models/gemini-2.5-flash:generateContent`,
    );
    expect(call!.headers['authorization']).toBe(`Bearer ${fake.minted.at(-1)!.token}`);
    expect(call!.headers['x-goog-api-key']).toBeUndefined();
    expect((call!.json as { generationConfig: unknown }).generationConfig).toEqual({ temperature: 0.3 });
    const recorded = JSON.parse(geminiFixture('vertexai/unary-success-quote-reply.json'));
    expect(completion.choices[0]!.message.content).toBe(recorded.candidates[0].content.parts[0].text);
  });

  it('streams streamGenerateContent?alt=sse through the Gemini stream translator', async () => {
    const chunks = await chatStream(GEMINI, { stream_options: { include_usage: true } });
    expect(vertexCalls().at(-1)!.url).toMatch(/:streamGenerateContent\?alt=sse$/);
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('').length).toBeGreaterThan(0);
    expect(chunks.at(-1)!.usage?.total_tokens).toBeGreaterThan(0);
  });
});

describe('Claude on Vertex', () => {
  it('posts rawPredict with the Messages body, the API version in it and no model, betas as a header', async () => {
    const { completion } = await chat(
      CLAUDE,
      { max_tokens: 100 },
      await adapterWith({ betas: ['context-1m-2025-08-07'] }),
    );
    const call = vertexCalls().at(-1)!;
    expect(call.path).toBe(
      `/v1/projects/${VERTEX_PROJECT}/locations/global/publishers/anthropic/models/claude-sonnet-4-5@20250929:rawPredict`,
    );
    expect(call.json).toEqual({
      anthropic_version: 'vertex-2023-10-16',
      max_tokens: 100,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }],
    });
    expect(call.headers['anthropic-beta']).toBe('context-1m-2025-08-07');
    expect(call.headers['anthropic-version']).toBeUndefined();
    expect(completion.choices[0]!.message.content).toBe(
      JSON.parse(
        readFileSync(new URL('../../../fixtures/anthropic/anthropic-text.json', import.meta.url), 'utf8'),
      ).content[0].text,
    );
  });

  it('streams streamRawPredict (stream: true in the body) through the Anthropic stream translator', async () => {
    const chunks = await chatStream(CLAUDE);
    const call = vertexCalls().at(-1)!;
    expect(call.path).toMatch(/:streamRawPredict$/);
    expect((call.json as { stream: boolean }).stream).toBe(true);
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('stop');
  });

  it('calls the regional host of a location other than global', async () => {
    const mock = new MockAgent();
    mock.disableNetConnect();
    mock
      .get('https://us-east5-aiplatform.googleapis.com')
      .intercept({ path: vertexPath('us-east5', 'claude-sonnet-4-5@20250929', 'rawPredict'), method: 'POST' })
      .reply(
        200,
        readFileSync(new URL('../../../fixtures/anthropic/anthropic-text.json', import.meta.url), 'utf8'),
        {
          headers: { 'content-type': 'application/json' },
        },
      );
    const adapter = await adapterWith(
      { location: 'us-east5' },
      { baseUrl: DEFAULT_VERTEX_BASE_URL, dispatcher: mock },
    );
    const { completion } = await chat(CLAUDE, {}, adapter);
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    mock.assertNoPendingInterceptors();
    await mock.close();
  });
});

describe('tokens', () => {
  it('caches a token while it is valid, and refreshes one about to expire', async () => {
    const adapter = await adapterWith();
    const before = fake.minted.length;
    // The first token lives 60 s: inside google-auth-library's five-minute margin, so it counts as
    // expiring and the next call mints another; that one lives an hour and is reused.
    fake.expiresIn.push(60, 3600);
    await chat(GEMINI, {}, adapter);
    await chat(GEMINI, {}, adapter);
    await chat(GEMINI, {}, adapter);
    const minted = fake.minted.slice(before).map((entry) => entry.token);
    expect(minted).toHaveLength(2);
    expect(vertexCalls().map((call) => call.headers['authorization'])).toEqual([
      `Bearer ${minted[0]}`,
      `Bearer ${minted[1]}`,
      `Bearer ${minted[1]}`,
    ]);
    expect(fake.upstream.received(TOKEN_PATH)).toHaveLength(2);
  });

  it('a key the token endpoint refuses is a 401 naming the provider, and Vertex is not called', async () => {
    const credentials = JSON.parse(readFileSync(fake.credentialsFile, 'utf8'));
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    });
    const wrongFile = `${fake.credentialsFile}.wrong.json`;
    writeFileSync(wrongFile, JSON.stringify({ ...credentials, private_key: other }));
    const adapter = await adapterWith({ credentialsFile: wrongFile });
    await expect(chat(GEMINI, {}, adapter)).rejects.toMatchObject({
      statusCode: 401,
      code: 'UNAUTHENTICATED',
    });
    expect(fake.refusals.at(-1)).toBe('bad signature');
    expect(vertexCalls()).toHaveLength(0);
  });
});

describe('failures', () => {
  it("Vertex's 429 RESOURCE_EXHAUSTED is a retryable 429 with Google's status as the code", async () => {
    const adapter = await adapterWith();
    fake.upstream.enqueue(
      'POST',
      vertexPath('global', 'gemini-2.5-flash', 'generateContent'),
      googleError(
        429,
        'RESOURCE_EXHAUSTED',
        'Quota exceeded for aiplatform.googleapis.com/generate_content_requests_per_minute_per_project_per_base_model.',
      ),
    );
    await expect(chat(GEMINI, {}, adapter)).rejects.toMatchObject({
      statusCode: 429,
      code: 'RESOURCE_EXHAUSTED',
      retryable: true,
    });
  });

  it("Claude's own error through rawPredict keeps Anthropic's type and status", async () => {
    const adapter = await adapterWith();
    fake.upstream.enqueue(
      'POST',
      vertexPath('global', 'claude-sonnet-4-5@20250929', 'rawPredict'),
      anthropicError(529, 'overloaded_error', 'Overloaded'),
    );
    await expect(chat(CLAUDE, {}, adapter)).rejects.toMatchObject({
      statusCode: 529,
      code: 'overloaded_error',
      retryable: true,
    });
  });
});

describe('the descriptor', () => {
  const services = () => ({ dispatcher, media, unsupportedParameters: 'drop' as const });
  const build = (settings: Record<string, unknown>) =>
    ProviderRegistry.build([vertexProvider], { vertex: settings }, services());

  it('is configured by a project or a key file, and not without either', async () => {
    expect((await build({ project: 'my-project-1' })).get('vertex')!.configured).toBe(true);
    expect((await build({ credentialsFile: fake.credentialsFile })).get('vertex')!.configured).toBe(true);
    expect((await build({})).get('vertex')!.configured).toBe(false);
  });

  it('stops the start naming the setting when the key file cannot be read, or the location is not one', async () => {
    await expect(build({ credentialsFile: '/nonexistent/key.json' })).rejects.toThrow(
      /providers\.vertex\.credentialsFile/,
    );
    await expect(build({ project: 'my-project-1', location: 'evil.example.com/' })).rejects.toThrow(
      /providers\.vertex\.location/,
    );
  });

  it('declares the chat parameters of each family', async () => {
    const adapter = await adapterWith();
    expect(adapter.chatParametersFor!(target(GEMINI))).toContain('seed');
    expect(adapter.chatParametersFor!(target(CLAUDE))).not.toContain('seed');
    expect(adapter.chatParametersFor!(target(CLAUDE))).toContain('parallel_tool_calls');
  });
});
