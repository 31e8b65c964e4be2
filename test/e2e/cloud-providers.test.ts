/**
 * Amazon Bedrock and Vertex AI through the whole gateway, with the openai SDK as the client: each
 * provider configured from its environment variables alone (AWS keys; a service-account key file),
 * against loopback fakes that check what the real services check (the SigV4 signature recomputed,
 * the OAuth token minted from the key file's signed JWT). A `smart` group mixing a Bedrock and a
 * Vertex deployment of Claude, failing over between them both ways, unary and streamed, and one
 * mixing Azure OpenAI, Bedrock and Vertex. And the three clouds through the Anthropic and Gemini
 * doors: Gemini on Vertex passed through the Gemini door and Claude on Vertex through the Anthropic
 * door (the client's body, the answer's bytes and events), Claude on Bedrock through InvokeModel, the
 * others translated.
 */
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ProviderInstanceOptions } from '../../schemas/options.js';
import { TEST_KEY, authHeaders, buildTestApp, type TestApp } from '../helpers/build-app.js';
import { anthropicFixture, fixtureEvents as anthropicEvents } from '../helpers/fake-anthropic.js';
import { FakeAzureOpenAI } from '../helpers/fake-azure-openai.js';
import { geminiFixture } from '../helpers/fake-gemini.js';
import {
  AWS_ACCESS_KEY_ID,
  AWS_SECRET_ACCESS_KEY,
  BEDROCK_REGION,
  authenticate,
  bedrockError,
  bedrockPath,
  exceptionFrame,
  invokeStreamBody,
  startFakeBedrock,
  streamBedrock,
} from '../helpers/fake-bedrock.js';
import type { FakeUpstream } from '../helpers/fake-upstream.js';
import { googleError, startFakeVertex, vertexPath, type FakeVertex } from '../helpers/fake-vertex.js';
import { assertOpenAISchema } from '../helpers/openai-schemas.js';

const BEDROCK_CLAUDE = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
const VERTEX_CLAUDE = 'claude-sonnet-4-5@20250929';
const AZURE_KEY = 'azure-resource-key-cloud-0123456789';
const AZURE_CHAT = '/openai/deployments/prod-gpt4o/chat/completions';

let bedrock: FakeUpstream;
let vertex: FakeVertex;
let azure: FakeAzureOpenAI;
let gateway: TestApp;
let client: OpenAI;

beforeAll(async () => {
  bedrock = await startFakeBedrock();
  vertex = await startFakeVertex();
  azure = await new FakeAzureOpenAI({ deployments: ['prod-gpt4o'], apiKey: AZURE_KEY }).listen();
  gateway = await buildTestApp({
    env: {
      AZURE_OPENAI_API_KEY: AZURE_KEY,
      AZURE_OPENAI_ENDPOINT: azure.origin,
      AWS_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY,
      AWS_REGION: BEDROCK_REGION,
      BEDROCK_BASE_URL: bedrock.origin,
      GOOGLE_APPLICATION_CREDENTIALS: vertex.credentialsFile,
      VERTEX_BASE_URL: vertex.upstream.origin,
    },
    configure(config) {
      const providers = config.gateway.providers;
      providers['azure-openai'] = {
        ...providers['azure-openai'],
        deployments: { 'gpt-4o': 'prod-gpt4o' },
      } as ProviderInstanceOptions;
      const routing = config.gateway.routing;
      routing.retries.maxRetries = 0;
      // Failures on purpose must not open a circuit for the tests after them.
      routing.circuitBreaker.consecutiveFailures = 1_000_000;
      routing.circuitBreaker.minimumRequests = 1_000_000;
      routing.models = {
        'cloud-smart': {
          models: ['azure-openai/gpt-4o', 'bedrock/claude-sonnet-4-5', 'vertex/gemini-2.5-flash'],
          strategy: 'priority',
        },
        smart: { models: ['bedrock/claude-sonnet-4-5', 'vertex/claude-sonnet-4-5'], strategy: 'priority' },
        'smart-vertex-first': {
          models: ['vertex/claude-sonnet-4-5', 'bedrock/claude-sonnet-4-5'],
          strategy: 'priority',
        },
      };
    },
  });
  const url = await gateway.listen();
  client = new OpenAI({ baseURL: `${url}/v1`, apiKey: TEST_KEY, maxRetries: 0 });
});

afterAll(async () => {
  await gateway.close();
  await bedrock.close();
  await vertex.close();
  await azure.close();
});

afterEach(() => {
  for (const request of bedrock.requests) expect(authenticate(request)).toMatchObject({ ok: true });
  bedrock.reset();
  vertex.upstream.reset();
  azure.upstream.reset();
});

async function streamText(model: string) {
  const stream = await client.chat.completions.create({
    model,
    messages: [{ role: 'user', content: 'Count the r in strawberry' }],
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = '';
  let usage: OpenAI.CompletionUsage | null | undefined;
  for await (const chunk of stream) {
    assertOpenAISchema('CreateChatCompletionStreamResponse', chunk);
    text += chunk.choices[0]?.delta?.content ?? '';
    if (chunk.usage) usage = chunk.usage;
  }
  return { text, usage };
}

describe('Amazon Bedrock', () => {
  it('answers a chat completion, the request signed with SigV4 from the AWS_* variables', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'bedrock/claude-sonnet-4-5', messages: [{ role: 'user', content: 'Hi' }] })
      .withResponse();
    assertOpenAISchema('CreateChatCompletionResponse', data);
    expect(data.choices[0]!.message.content).toContain('strawberry');
    expect(response.headers.get('x-gateway-provider')).toBe('bedrock');
    expect(bedrock.last().path).toBe(bedrockPath(BEDROCK_CLAUDE, 'converse'));
    expect(authenticate(bedrock.last())).toMatchObject({ ok: true, accessKeyId: AWS_ACCESS_KEY_ID });
  });

  it('streams from ConverseStream event-stream frames', async () => {
    const { text, usage } = await streamText('bedrock/claude-sonnet-4-5');
    expect(text).toContain('There are **3**');
    expect(usage).toMatchObject({ prompt_tokens: 22, completion_tokens: 55 });
  });

  it('embeds with Titan through InvokeModel', async () => {
    const result = await client.embeddings.create({
      model: 'bedrock/titan-embed-text-v2',
      input: ['one', 'two'],
      encoding_format: 'float',
    });
    assertOpenAISchema('CreateEmbeddingResponse', result);
    expect(result.data).toHaveLength(2);
  });

  it('takes a cross-region inference profile id as bedrock/<model id>', async () => {
    const data = await client.chat.completions.create({
      model: `bedrock/${BEDROCK_CLAUDE}`,
      messages: [{ role: 'user', content: 'Hi' }],
    });
    expect(data.model).toBe(BEDROCK_CLAUDE);
  });
});

describe('Vertex AI', () => {
  it('streams Gemini, with a token minted from the key file', async () => {
    const { text } = await streamText('vertex/gemini-2.5-flash');
    expect(text.length).toBeGreaterThan(0);
    const call = vertex.upstream.requests.find((request) => request.path.includes('streamGenerateContent'))!;
    expect(call.headers['authorization']).toMatch(/^Bearer ya29\.test-token-\d+$/);
  });

  it('answers with Claude through rawPredict', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'vertex/claude-sonnet-4-5', messages: [{ role: 'user', content: 'Hi' }] })
      .withResponse();
    assertOpenAISchema('CreateChatCompletionResponse', data);
    expect(response.headers.get('x-gateway-provider')).toBe('vertex');
  });

  it('lists both providers models, and logs no credential', async () => {
    const ids = (await client.models.list()).data.map((model) => model.id);
    expect(ids).toEqual(expect.arrayContaining(['bedrock/claude-sonnet-4-5', 'vertex/gemini-2.5-pro']));
    const logs = gateway.logs.text();
    expect(logs).not.toContain(AWS_SECRET_ACCESS_KEY);
    for (const minted of vertex.minted) expect(logs).not.toContain(minted.token);
  });
});

// Before the tests that throttle Bedrock: a throttled deployment cools down for a while.
describe('a smart group mixing Azure OpenAI, Bedrock and Vertex', () => {
  const azureDown = () =>
    azure.upstream.enqueue('POST', AZURE_CHAT, {
      status: 503,
      json: { error: { code: 'ServiceUnavailable', message: 'The service is temporarily unavailable.' } },
    });

  it('is answered by Azure while it is up', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'cloud-smart', messages: [{ role: 'user', content: 'Hi' }] })
      .withResponse();
    assertOpenAISchema('CreateChatCompletionResponse', data);
    expect(response.headers.get('x-gateway-provider')).toBe('azure-openai');
    expect(response.headers.get('x-gateway-attempts')).toBe('1');
  });

  it('fails over from Azure to Bedrock, then from both to Vertex, unary and streamed', async () => {
    azureDown();
    const first = await client.chat.completions
      .create({ model: 'cloud-smart', messages: [{ role: 'user', content: 'Hi' }] })
      .withResponse();
    assertOpenAISchema('CreateChatCompletionResponse', first.data);
    expect(first.response.headers.get('x-gateway-provider')).toBe('bedrock');
    expect(first.response.headers.get('x-gateway-attempts')).toBe('2');

    azureDown();
    bedrock.enqueue(
      'POST',
      bedrockPath(BEDROCK_CLAUDE, 'converse'),
      bedrockError(503, 'ServiceUnavailableException', 'Bedrock is unavailable'),
    );
    const second = await client.chat.completions
      .create({ model: 'cloud-smart', messages: [{ role: 'user', content: 'Hi' }] })
      .withResponse();
    assertOpenAISchema('CreateChatCompletionResponse', second.data);
    expect(second.response.headers.get('x-gateway-provider')).toBe('vertex');
    expect(second.response.headers.get('x-gateway-attempts')).toBe('3');

    azureDown();
    bedrock.enqueue(
      'POST',
      bedrockPath(BEDROCK_CLAUDE, 'converse-stream'),
      streamBedrock(exceptionFrame('serviceUnavailableException', 'Bedrock is unavailable')),
    );
    const { text } = await streamText('cloud-smart');
    expect(text.length).toBeGreaterThan(0);
    expect(azure.upstream.received(AZURE_CHAT)).toHaveLength(3);
    expect(vertex.upstream.requests.some((request) => request.path.includes(':streamGenerateContent'))).toBe(
      true,
    );
  });

  it('fails over the same way for a client of the Anthropic door', async () => {
    azureDown();
    const response = await gateway.app.inject({
      method: 'POST',
      url: '/v1/messages',
      headers: authHeaders(),
      payload: { model: 'cloud-smart', max_tokens: 256, messages: [{ role: 'user', content: 'Hi' }] },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-gateway-provider']).toBe('bedrock');
    expect(response.json()).toMatchObject({ type: 'message', role: 'assistant' });
  });
});

describe('a smart group mixing Bedrock and Vertex', () => {
  it('fails over from a throttled Bedrock to Vertex', async () => {
    bedrock.enqueue(
      'POST',
      bedrockPath(BEDROCK_CLAUDE, 'converse'),
      bedrockError(429, 'ThrottlingException', 'Too many requests'),
    );
    const { data, response } = await client.chat.completions
      .create({ model: 'smart', messages: [{ role: 'user', content: 'Hi' }] })
      .withResponse();
    assertOpenAISchema('CreateChatCompletionResponse', data);
    expect(response.headers.get('x-gateway-provider')).toBe('vertex');
    expect(response.headers.get('x-gateway-attempts')).toBe('2');
    expect(bedrock.received(bedrockPath(BEDROCK_CLAUDE, 'converse'))).toHaveLength(1);
  });

  it('fails a stream over when Bedrock throws an exception before its first event', async () => {
    bedrock.enqueue(
      'POST',
      bedrockPath(BEDROCK_CLAUDE, 'converse-stream'),
      streamBedrock(exceptionFrame('serviceUnavailableException', 'Bedrock is unavailable')),
    );
    const { text } = await streamText('smart');
    expect(text.length).toBeGreaterThan(0);
    expect(vertex.upstream.requests.some((request) => request.path.endsWith(':streamRawPredict'))).toBe(true);
  });

  it('fails over from an unavailable Vertex to Bedrock', async () => {
    vertex.upstream.enqueue(
      'POST',
      vertexPath('global', VERTEX_CLAUDE, 'rawPredict'),
      googleError(503, 'UNAVAILABLE', 'The service is currently unavailable.'),
    );
    const response = await gateway.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: authHeaders(),
      payload: { model: 'smart-vertex-first', messages: [{ role: 'user', content: 'Hi' }] },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-gateway-provider']).toBe('bedrock');
    expect(response.headers['x-gateway-attempts']).toBe('2');
  });
});

/** Server-sent events' data, in order. */
function eventData(text: string): string[] {
  return text
    .split(/\r?\n\r?\n/)
    .flatMap((frame) => frame.split(/\r?\n/).filter((line) => line.startsWith('data: ')))
    .map((line) => line.slice('data: '.length));
}

describe('the clouds through the Gemini door', () => {
  const ask = (model: string, method: string, body: object) =>
    gateway.app.inject({
      method: 'POST',
      url: `/v1beta/models/${model}:${method}`,
      headers: { 'x-goog-api-key': TEST_KEY },
      payload: body,
    });
  const body = {
    contents: [{ role: 'user', parts: [{ text: 'Quote someone.' }] }],
    generationConfig: { temperature: 0.2 },
  };

  it('passes Gemini on Vertex through: the client body in, the answer bytes out', async () => {
    const response = await ask('vertex/gemini-2.5-flash', 'generateContent', body);
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-gateway-provider']).toBe('vertex');
    expect(response.body).toBe(geminiFixture('vertexai/unary-success-quote-reply.json'));
    const sent = vertex.upstream.last();
    expect(sent.path).toBe(vertexPath('global', 'gemini-2.5-flash', 'generateContent'));
    expect(sent.json).toEqual(body);
  });

  it('passes a Gemini stream on Vertex through event by event', async () => {
    const response = await ask('vertex/gemini-2.5-flash', 'streamGenerateContent?alt=sse', body);
    expect(response.statusCode).toBe(200);
    expect(eventData(response.body)).toEqual(
      eventData(geminiFixture('vertexai/streaming-success-basic-reply-parts.txt')),
    );
    expect(vertex.upstream.last().json).toEqual(body);
  });

  it("counts tokens with Vertex, its request's fields at the top level", async () => {
    const response = await ask('vertex/gemini-2.5-flash', 'countTokens', {
      generateContentRequest: { model: 'models/vertex/gemini-2.5-flash', ...body },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-gateway-token-count']).toBe('provider');
    expect(response.json()).toMatchObject({ totalTokens: 7 });
    expect(vertex.upstream.last().json).toEqual(body);
  });

  it.each([
    ['Claude on Vertex', 'vertex/claude-sonnet-4-5', 'vertex'],
    ['Claude on Bedrock', 'bedrock/claude-sonnet-4-5', 'bedrock'],
    ['Azure OpenAI', 'azure-openai/gpt-4o', 'azure-openai'],
  ])('translates for %s, unary and streamed', async (_name, model, provider) => {
    const unary = await ask(model, 'generateContent', body);
    expect(unary.statusCode, unary.body).toBe(200);
    expect(unary.headers['x-gateway-provider']).toBe(provider);
    const answer = unary.json() as { candidates: { content: { parts: { text?: string }[] } }[] };
    expect(
      answer.candidates[0]!.content.parts.map((part) => part.text ?? '').join('').length,
    ).toBeGreaterThan(0);
    const streamed = await ask(model, 'streamGenerateContent?alt=sse', body);
    expect(streamed.statusCode, streamed.body).toBe(200);
    const events = eventData(streamed.body).map((data) => JSON.parse(data) as { candidates?: unknown[] });
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((event) => Array.isArray(event.candidates))).toBe(true);
  });
});

describe('the clouds through the Anthropic door', () => {
  const headers = { 'x-api-key': TEST_KEY, 'anthropic-version': '2023-06-01' };
  const ask = (payload: object) =>
    gateway.app.inject({ method: 'POST', url: '/v1/messages', headers, payload });
  const request = {
    max_tokens: 512,
    system: 'Be brief.',
    messages: [{ role: 'user', content: 'Hi' }],
  };

  it("passes Claude on Vertex through: the client's body with Vertex's API version, the answer's bytes", async () => {
    const response = await ask({ model: 'vertex/claude-sonnet-4-5', ...request });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['x-gateway-provider']).toBe('vertex');
    expect(response.body).toBe(anthropicFixture('anthropic-text.json'));
    const sent = vertex.upstream.last();
    expect(sent.path).toBe(vertexPath('global', VERTEX_CLAUDE, 'rawPredict'));
    expect(sent.json).toEqual({ anthropic_version: 'vertex-2023-10-16', ...request });
  });

  it('passes a Claude stream on Vertex through event by event', async () => {
    const response = await ask({ model: 'vertex/claude-sonnet-4-5', ...request, stream: true });
    expect(response.statusCode, response.body).toBe(200);
    expect(eventData(response.body).map((data) => JSON.parse(data) as unknown)).toEqual(
      anthropicEvents('anthropic-text.chunks.txt'),
    );
    expect(vertex.upstream.last().path).toBe(vertexPath('global', VERTEX_CLAUDE, 'streamRawPredict'));
    expect(vertex.upstream.last().json).toEqual({
      anthropic_version: 'vertex-2023-10-16',
      ...request,
      stream: true,
    });
  });

  it("passes Claude on Bedrock through InvokeModel: the client's body with Bedrock's API version, the answer's bytes", async () => {
    const response = await ask({ model: 'bedrock/claude-sonnet-4-5', ...request });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['x-gateway-provider']).toBe('bedrock');
    expect(response.body).toBe(anthropicFixture('anthropic-text.json'));
    const sent = bedrock.last();
    expect(sent.path).toBe(bedrockPath(BEDROCK_CLAUDE, 'invoke'));
    expect(sent.json).toEqual({ anthropic_version: 'bedrock-2023-05-31', ...request });
  });

  it("passes a Claude stream on Bedrock through, Anthropic's events out of the event-stream chunks", async () => {
    const response = await ask({
      model: 'bedrock/claude-sonnet-4-5',
      ...request,
      stream: true,
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['content-type']).toContain('text/event-stream');
    const frames = response.body.split('\n\n').filter((frame) => frame.length > 0);
    expect(frames.map((frame) => frame.split('\n')[0])).toEqual(
      anthropicEvents('anthropic-text.chunks.txt').map((event) => `event: ${String(event['type'])}`),
    );
    expect(eventData(response.body).map((data) => JSON.parse(data) as unknown)).toEqual(
      anthropicEvents('anthropic-text.chunks.txt'),
    );
    expect(bedrock.last().path).toBe(bedrockPath(BEDROCK_CLAUDE, 'invoke-with-response-stream'));
    expect(bedrock.last().json).toEqual({ anthropic_version: 'bedrock-2023-05-31', ...request });
  });

  it('ends a Bedrock stream whose exception comes mid-way with an error event', async () => {
    const events = anthropicEvents('anthropic-text.chunks.txt');
    bedrock.enqueue(
      'POST',
      bedrockPath(BEDROCK_CLAUDE, 'invoke-with-response-stream'),
      streamBedrock(
        Buffer.concat([
          invokeStreamBody(events.slice(0, 4)),
          exceptionFrame('throttlingException', 'Too many tokens, please wait before trying again.'),
        ]),
      ),
    );
    const response = await ask({ model: 'bedrock/claude-sonnet-4-5', ...request, stream: true });
    const frames = response.body.split('\n\n').filter((frame) => frame.length > 0);
    expect(frames.at(-1)).toMatch(/^event: error\n/);
    expect(frames.some((frame) => frame.startsWith('event: message_stop'))).toBe(false);
  });

  it.each([
    ['Gemini on Vertex', 'vertex/gemini-2.5-flash', 'vertex'],
    ['Azure OpenAI', 'azure-openai/gpt-4o', 'azure-openai'],
  ])('translates for %s, unary and streamed', async (_name, model, provider) => {
    const unary = await ask({ model, ...request });
    expect(unary.statusCode, unary.body).toBe(200);
    expect(unary.headers['x-gateway-provider']).toBe(provider);
    const message = unary.json() as { type: string; content: { type: string; text?: string }[] };
    expect(message.type).toBe('message');
    expect(message.content.some((block) => block.type === 'text' && (block.text ?? '').length > 0)).toBe(
      true,
    );
    const streamed = await ask({ model, ...request, stream: true });
    expect(streamed.statusCode, streamed.body).toBe(200);
    const types = eventData(streamed.body).map((data) => (JSON.parse(data) as { type: string }).type);
    expect(types[0]).toBe('message_start');
    expect(types.at(-1)).toBe('message_stop');
  });
});

describe('without their variables', () => {
  it('neither provider is configured, and their models say what to set', async () => {
    const bare = await buildTestApp();
    try {
      const models = await bare.app.inject({ url: '/v1/models', headers: authHeaders() });
      const ids = (models.json() as { data: { id: string }[] }).data.map((model) => model.id);
      expect(ids.some((id) => id.startsWith('bedrock/') || id.startsWith('vertex/'))).toBe(false);
      const answer = await bare.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers: authHeaders(),
        payload: { model: 'bedrock/claude-sonnet-4-5', messages: [{ role: 'user', content: 'Hi' }] },
      });
      expect(answer.statusCode).toBe(404);
      expect(answer.json()).toMatchObject({
        error: {
          message:
            "The model 'bedrock/claude-sonnet-4-5' is served by 'bedrock', which is not configured on this gateway (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_BEARER_TOKEN_BEDROCK).",
        },
      });
      const vertexAnswer = await bare.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers: authHeaders(),
        payload: { model: 'vertex/gemini-2.5-pro', messages: [{ role: 'user', content: 'Hi' }] },
      });
      expect(vertexAnswer.json()).toMatchObject({
        error: {
          message:
            "The model 'vertex/gemini-2.5-pro' is served by 'vertex', which is not configured on this gateway (set GOOGLE_APPLICATION_CREDENTIALS or GOOGLE_CLOUD_PROJECT).",
        },
      });
    } finally {
      await bare.close();
    }
  });
});
