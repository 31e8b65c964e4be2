/**
 * Amazon Bedrock and Vertex AI through the whole gateway, with the openai SDK as the client: each
 * provider configured from its environment variables alone (AWS keys; a service-account key file),
 * against loopback fakes that check what the real services check (the SigV4 signature recomputed,
 * the OAuth token minted from the key file's signed JWT). And a `smart` group mixing a Bedrock and a
 * Vertex deployment of Claude, failing over between them both ways, unary and streamed.
 */
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TEST_KEY, authHeaders, buildTestApp, type TestApp } from '../helpers/build-app.js';
import {
  AWS_ACCESS_KEY_ID,
  AWS_SECRET_ACCESS_KEY,
  BEDROCK_REGION,
  authenticate,
  bedrockError,
  bedrockPath,
  exceptionFrame,
  startFakeBedrock,
  streamBedrock,
} from '../helpers/fake-bedrock.js';
import type { FakeUpstream } from '../helpers/fake-upstream.js';
import { googleError, startFakeVertex, vertexPath, type FakeVertex } from '../helpers/fake-vertex.js';
import { assertOpenAISchema } from '../helpers/openai-schemas.js';

const BEDROCK_CLAUDE = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
const VERTEX_CLAUDE = 'claude-sonnet-4-5@20250929';

let bedrock: FakeUpstream;
let vertex: FakeVertex;
let gateway: TestApp;
let client: OpenAI;

beforeAll(async () => {
  bedrock = await startFakeBedrock();
  vertex = await startFakeVertex();
  gateway = await buildTestApp({
    env: {
      AWS_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY,
      AWS_REGION: BEDROCK_REGION,
      BEDROCK_BASE_URL: bedrock.origin,
      GOOGLE_APPLICATION_CREDENTIALS: vertex.credentialsFile,
      VERTEX_BASE_URL: vertex.upstream.origin,
    },
    configure(config) {
      const routing = config.gateway.routing;
      routing.retries.maxRetries = 0;
      routing.models = {
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
});

afterEach(() => {
  for (const request of bedrock.requests) expect(authenticate(request)).toMatchObject({ ok: true });
  bedrock.reset();
  vertex.upstream.reset();
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
