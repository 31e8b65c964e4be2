/**
 * Azure OpenAI through the whole gateway, with the openai SDK as client and a fake Azure resource
 * that checks what Azure checks: deployment paths with an api-version, v1 paths without, the
 * `api-key` header or an Entra ID token minted by a fake token endpoint; content-filter results
 * passed through and a content-filter refusal answered as the gateway's content_filter error.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ProviderInstanceOptions } from '../../schemas/options.js';
import { TEST_KEY, buildTestApp, type TestApp } from '../helpers/build-app.js';
import { AZURE_CHAT_COMPLETION, FakeAzureOpenAI, FakeEntra } from '../helpers/fake-azure-openai.js';
import { passThroughOnly } from '../helpers/routing.js';

const AZURE_KEY = 'azure-resource-key-0123456789abcdef';
const TENANT = '11111111-2222-3333-4444-555555555555';
const CLIENT_ID = 'gateway-app-client-id';
const CLIENT_SECRET = 'gateway-app-client-secret-value';
const DEPLOYMENTS = { 'gpt-4o': 'prod-gpt4o', 'text-embedding-3-small': 'embed-small' };

let entra: FakeEntra;
let azure: FakeAzureOpenAI;
let gateway: TestApp;
let client: OpenAI;

beforeAll(async () => {
  entra = await new FakeEntra(TENANT, CLIENT_ID, CLIENT_SECRET).listen();
  azure = await new FakeAzureOpenAI({
    deployments: ['prod-gpt4o', 'embed-small', 'tts'],
    apiKey: AZURE_KEY,
    entra,
  }).listen();
  gateway = await buildTestApp({
    env: { AZURE_OPENAI_API_KEY: AZURE_KEY, AZURE_OPENAI_ENDPOINT: azure.origin },
    configure(config) {
      passThroughOnly(config);
      const providers = config.gateway.providers;
      providers['azure-openai'] = {
        ...providers['azure-openai'],
        deployments: DEPLOYMENTS,
      } as ProviderInstanceOptions;
      providers['azure-v1'] = {
        type: 'azure-openai',
        baseUrl: azure.origin,
        apiKey: AZURE_KEY,
        paths: 'v1',
        deployments: DEPLOYMENTS,
      } as ProviderInstanceOptions;
      providers['azure-entra'] = {
        type: 'azure-openai',
        baseUrl: azure.origin,
        tenantId: TENANT,
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        authorityHost: entra.origin,
        deployments: DEPLOYMENTS,
      } as ProviderInstanceOptions;
      // Two resources behind one name: the first, then the second when it fails.
      config.gateway.routing.models['smart'] = {
        deployments: [{ provider: 'azure-openai', model: 'gpt-4o', weight: 1 }],
        fallbacks: ['azure-v1/gpt-4o'],
      } as (typeof config.gateway.routing.models)[string];
    },
  });
  const url = await gateway.listen();
  client = new OpenAI({ baseURL: `${url}/v1`, apiKey: TEST_KEY, maxRetries: 0 });
});
beforeEach(() => azure.upstream.reset());
afterAll(async () => {
  await gateway.close();
  await azure.close();
  await entra.close();
});

const messages: OpenAI.ChatCompletionMessageParam[] = [
  { role: 'system', content: 'Answer briefly.' },
  { role: 'user', content: 'What is the capital of France?' },
];

type AzureChunk = OpenAI.ChatCompletionChunk & { prompt_filter_results?: unknown };

describe('Azure OpenAI through the gateway', () => {
  it('calls the mapped deployment with the api-version and the api-key, and passes the answer through', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'azure-openai/gpt-4o', messages })
      .withResponse();
    expect(data).toEqual(JSON.parse(AZURE_CHAT_COMPLETION));
    expect(data).toHaveProperty('prompt_filter_results.0.content_filter_results.jailbreak.detected', false);
    expect(data.choices[0]).toHaveProperty('content_filter_results.hate.severity', 'safe');
    expect(response.headers.get('x-gateway-provider')).toBe('azure-openai');

    const request = azure.upstream.last();
    expect(request.url).toBe('/openai/deployments/prod-gpt4o/chat/completions?api-version=2024-10-21');
    expect(request.headers['api-key']).toBe(AZURE_KEY);
    expect(request.headers['authorization']).toBeUndefined();
    expect(request.json).toMatchObject({ model: 'prod-gpt4o', messages });

    const line = gateway.logs.accessLines().at(-1)!;
    expect(line).toMatchObject({ model: 'azure-openai/gpt-4o', promptTokens: 14, completionTokens: 8 });
    expect(line['costUsd']).toBeGreaterThan(0);
  });

  it('streams with the prompt filter results first, counting usage the client did not ask for', async () => {
    const stream = await client.chat.completions.create({
      model: 'azure-openai/gpt-4o',
      messages,
      stream: true,
    });
    const chunks: AzureChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk as AzureChunk);
    expect(chunks[0]).toMatchObject({ choices: [], prompt_filter_results: [{ prompt_index: 0 }] });
    expect(chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? '').join('')).toBe(
      'The capital of France is Paris.',
    );
    expect(chunks[2]?.choices[0]).toHaveProperty('content_filter_results.violence.filtered', false);
    expect(chunks.every((chunk) => !chunk.usage)).toBe(true);
    expect(azure.upstream.last().json).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(gateway.logs.accessLines().at(-1)).toMatchObject({ promptTokens: 14, completionTokens: 8 });
  });

  it('streams the usage when asked', async () => {
    const stream = await client.chat.completions.create({
      model: 'azure-openai/gpt-4o',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) usage = chunk.usage ?? usage;
    expect(usage?.total_tokens).toBe(22);
  });

  it('sends embeddings to their deployment', async () => {
    const result = await client.embeddings.create({
      model: 'azure-openai/text-embedding-3-small',
      input: ['one', 'two'],
      encoding_format: 'float',
    });
    expect(result.data).toHaveLength(2);
    expect(azure.upstream.last().url).toBe(
      '/openai/deployments/embed-small/embeddings?api-version=2024-10-21',
    );
  });

  it('serves the Responses API and speech where Azure serves them', async () => {
    const response = await client.responses.create({
      model: 'azure-openai/gpt-4o',
      input: 'Capital of France?',
    });
    expect(response.output_text).toBe('Paris.');
    const request = azure.upstream.last();
    expect(request.url).toBe('/openai/responses?api-version=2024-10-21');
    expect(request.json).toMatchObject({ model: 'prod-gpt4o' });

    const speech = await client.audio.speech.create({
      model: 'azure-openai/tts',
      voice: 'alloy',
      input: 'Hi',
    });
    expect(Buffer.from(await speech.arrayBuffer()).toString()).toBe('ID3-fake-mp3');
    expect(azure.upstream.last().url).toBe('/openai/deployments/tts/audio/speech?api-version=2024-10-21');
  });

  it('calls the v1 paths with the deployment as model and no api-version, priced by the shipped entry', async () => {
    await client.chat.completions.create({ model: 'azure-v1/gpt-4o', messages });
    const request = azure.upstream.last();
    expect(request.url).toBe('/openai/v1/chat/completions');
    expect(request.headers['api-key']).toBe(AZURE_KEY);
    expect(request.json).toMatchObject({ model: 'prod-gpt4o' });
    expect(gateway.logs.accessLines().at(-1)!['costUsd']).toBeGreaterThan(0);
  });

  it('authorizes an instance without a key by an Entra ID token it keeps, and never logs it', async () => {
    await client.chat.completions.create({ model: 'azure-entra/gpt-4o', messages });
    await client.chat.completions.create({ model: 'azure-entra/gpt-4o', messages, stream: false });
    expect(entra.minted).toHaveLength(1);
    const [token] = entra.minted;
    for (const request of azure.upstream.received()) {
      expect(request.headers['authorization']).toBe(`Bearer ${token}`);
      expect(request.headers['api-key']).toBeUndefined();
    }
    const logged = gateway.logs.text();
    expect(logged).not.toContain(token);
    expect(logged).not.toContain(CLIENT_SECRET);
    expect(logged).not.toContain(AZURE_KEY);
  });

  it('answers a content-filter refusal as the content_filter error, with the filter results, at once', async () => {
    const error = await client.chat.completions
      .create({ model: 'azure-openai/gpt-4o', messages: [{ role: 'user', content: 'BLOCK-ME please' }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    const failure = error as InstanceType<typeof OpenAI.BadRequestError>;
    expect(failure.status).toBe(400);
    expect(failure.code).toBe('content_filter');
    expect(failure.type).toBe('content_filter');
    expect(failure.param).toBe('prompt');
    expect(failure.error).toMatchObject({
      details: {
        reason: 'ResponsibleAIPolicyViolation',
        content_filter_result: { jailbreak: { filtered: true } },
      },
    });
    expect(failure.headers.get('x-gateway-error-code')).toBe('GW_ERR_CONTENT_FILTERED');
    expect(azure.upstream.received()).toHaveLength(1);
  });

  it('fails over from one resource to another behind one name', async () => {
    azure.upstream.enqueue('POST', '/openai/deployments/prod-gpt4o/chat/completions', {
      status: 503,
      json: {
        error: {
          code: 'ServiceUnavailable',
          message: 'The service is temporarily unable to process your request.',
        },
      },
    });
    const { response } = await client.chat.completions.create({ model: 'smart', messages }).withResponse();
    expect(response.headers.get('x-gateway-provider')).toBe('azure-v1');
    expect(response.headers.get('x-gateway-attempts')).toBe('2');
    expect(azure.upstream.received().map((request) => request.path)).toEqual([
      '/openai/deployments/prod-gpt4o/chat/completions',
      '/openai/v1/chat/completions',
    ]);
  });

  it("passes Azure's own refusals on: a deployment the resource does not have is a 404", async () => {
    const error = await client.chat.completions
      .create({ model: 'azure-openai/gpt-4.1', messages })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('DeploymentNotFound');
    expect(azure.upstream.last().url).toBe(
      '/openai/deployments/gpt-4.1/chat/completions?api-version=2024-10-21',
    );
  });
});
