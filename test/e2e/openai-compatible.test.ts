/**
 * OpenAI-compatible servers through the whole gateway, with the openai SDK as client: a fake vLLM
 * that refuses `stream_options` and the `developer` role, served through its preset (streams work,
 * their usage estimated and marked); a fake Mistral whose key comes from MISTRAL_API_KEY and whose
 * streams carry their own usage; models discovered from the servers, refreshed, and callable by
 * their own names.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TEST_KEY, authHeaders, buildTestApp, type TestApp } from '../helpers/build-app.js';
import {
  compatibleFixture,
  fakeMistral,
  fakeVllm,
  type FakeCompatibleServer,
} from '../helpers/fake-compatible-server.js';
import { ManualScheduler } from '../helpers/manual-scheduler.js';
import { passThroughOnly } from '../helpers/routing.js';

const MISTRAL_KEY = 'mistral-key-0123456789abcdef';
const LLAMA = 'meta-llama/Llama-3.1-8B-Instruct';

let vllm: FakeCompatibleServer;
let mistral: FakeCompatibleServer;
let gateway: TestApp;
let client: OpenAI;
const scheduler = new ManualScheduler();

beforeAll(async () => {
  vllm = await fakeVllm().listen();
  mistral = await fakeMistral(MISTRAL_KEY).listen();
  const folder = mkdtempSync(join(tmpdir(), 'gateway-compatible-'));
  const file = join(folder, 'gateway.yaml');
  writeFileSync(
    file,
    [
      'providers:',
      `  vllm: { type: openai-compatible, preset: vllm, baseUrl: "${vllm.origin}/v1" }`,
      `  mistral: { type: openai-compatible, preset: mistral, baseUrl: "${mistral.origin}/v1" }`,
      '  groq: { type: openai-compatible, preset: groq }',
      // A local server that is not running: the gateway starts without its models.
      '  lmstudio: { type: openai-compatible, preset: lmstudio, baseUrl: "http://127.0.0.1:9/v1" }',
    ].join('\n'),
  );
  gateway = await buildTestApp({
    env: { GATEWAY_CONFIG: file, MISTRAL_API_KEY: MISTRAL_KEY },
    configure: passThroughOnly,
    discoveryScheduler: scheduler,
  });
  const url = await gateway.listen();
  client = new OpenAI({ baseURL: `${url}/v1`, apiKey: TEST_KEY, maxRetries: 0 });
});
beforeEach(() => {
  vllm.upstream.reset();
  mistral.upstream.reset();
});
afterAll(async () => {
  await gateway.close();
  await vllm.close();
  await mistral.close();
});

const messages: OpenAI.ChatCompletionMessageParam[] = [
  { role: 'developer', content: 'Answer in one sentence.' },
  { role: 'user', content: 'What is the capital of France?' },
];

async function modelIds(): Promise<Map<string, OpenAI.Model & Record<string, unknown>>> {
  const list = await client.models.list();
  return new Map(list.data.map((model) => [model.id, model as OpenAI.Model & Record<string, unknown>]));
}

describe('OpenAI-compatible servers through the gateway', () => {
  it('lists the models discovered on each server, with the instance as provider', async () => {
    const models = await modelIds();
    expect(models.get(`vllm/${LLAMA}`)).toMatchObject({
      object: 'model',
      owned_by: 'vllm',
      provider: 'vllm',
      context_window: 131072,
      available: true,
    });
    expect(models.get('mistral/mistral-small-latest')).toMatchObject({
      provider: 'mistral',
      context_window: 131072,
    });
    expect([...models.keys()].some((id) => id.startsWith('lmstudio/') || id.startsWith('groq/'))).toBe(false);
    expect(
      gateway.logs.lines.find(
        (line) => line['msg'] === 'model discovery failed: the models found before are kept',
      ),
    ).toMatchObject({ provider: 'lmstudio', kept: 0 });
    const one = await client.models.retrieve(LLAMA);
    expect(one).toMatchObject({ id: `vllm/${LLAMA}`, provider: 'vllm' });
  });

  it('serves a discovered model by its own name, developer messages sent as system', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: LLAMA, messages })
      .withResponse();
    expect(data).toEqual(JSON.parse(compatibleFixture('vllm-chat-completion.json')));
    expect(response.headers.get('x-gateway-provider')).toBe('vllm');
    const request = vllm.upstream.last();
    expect(request.headers['authorization']).toBeUndefined();
    expect(request.json).toMatchObject({
      model: LLAMA,
      messages: [
        { role: 'system', content: 'Answer in one sentence.' },
        { role: 'user', content: 'What is the capital of France?' },
      ],
    });
  });

  it('streams from a server that refuses stream_options, its usage estimated and marked', async () => {
    const stream = await client.chat.completions.create({ model: `vllm/${LLAMA}`, messages, stream: true });
    let text = '';
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      expect(chunk.usage ?? null).toBeNull();
    }
    expect(text).toBe('The capital of France is Paris.');
    expect(vllm.upstream.last().json).not.toHaveProperty('stream_options');
    const line = gateway.logs.accessLines().at(-1)!;
    expect(line).toMatchObject({ model: `vllm/${LLAMA}`, status: 200, usageEstimated: true });
    // About four characters a token: 31 characters streamed.
    expect(line['completionTokens']).toBe(8);
    expect(line['promptTokens']).toBeGreaterThan(0);
  });

  it('gives a client that asked for usage the estimate, and says so', async () => {
    const { data: stream, response } = await client.chat.completions
      .create({ model: `vllm/${LLAMA}`, messages, stream: true, stream_options: { include_usage: true } })
      .withResponse();
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) usage = chunk.usage ?? usage;
    expect(usage).toMatchObject({ completion_tokens: 8 });
    expect(usage!.total_tokens).toBe(usage!.prompt_tokens + 8);
    expect(response.headers.get('x-gateway-warnings')).toContain('stream_options not sent');
    expect(vllm.upstream.last().json).not.toHaveProperty('stream_options');
  });

  it("counts a stream by the server's own usage when it sends one unasked, the key read from its variable", async () => {
    const stream = await client.chat.completions.create({
      model: 'mistral/mistral-small-latest',
      messages,
      stream: true,
      max_completion_tokens: 64,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).toBe('Paris is the capital.');
    const request = mistral.upstream.last();
    expect(request.headers['authorization']).toBe(`Bearer ${MISTRAL_KEY}`);
    expect(request.json).toMatchObject({ max_tokens: 64 });
    expect(request.json).not.toHaveProperty('max_completion_tokens');
    expect(request.json).not.toHaveProperty('stream_options');
    const line = gateway.logs.accessLines().at(-1)!;
    expect(line).toMatchObject({ promptTokens: 12, completionTokens: 6 });
    expect(line).not.toHaveProperty('usageEstimated');
    expect(gateway.logs.text()).not.toContain(MISTRAL_KEY);
  });

  it('finds the models a server serves at the next refresh, and forgets those it unloaded', async () => {
    // Every 300 s by default, for each instance that discovers (lmstudio's too, not running).
    expect(scheduler.intervals()).toEqual([300_000, 300_000, 300_000]);
    vllm.load('vllm-models-reloaded.json');
    await scheduler.tick();
    const models = await modelIds();
    expect(models.has('vllm/Qwen/Qwen2.5-7B-Instruct')).toBe(true);
    expect(models.has(`vllm/${LLAMA}`)).toBe(false);
    await client.chat.completions.create({ model: 'Qwen/Qwen2.5-7B-Instruct', messages });
    expect(vllm.upstream.last().json).toMatchObject({ model: 'Qwen/Qwen2.5-7B-Instruct' });
    const gone = await client.chat.completions
      .create({ model: LLAMA, messages })
      .catch((error: unknown) => error);
    expect(gone).toBeInstanceOf(OpenAI.NotFoundError);
    expect((gone as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
    vllm.load('vllm-models.json');
    await scheduler.tick();
    expect((await modelIds()).has(`vllm/${LLAMA}`)).toBe(true);
  });

  it('names the variable to set for a hosted server without a key', async () => {
    const response = await gateway.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: authHeaders(),
      payload: { model: 'groq/llama-3.1-8b-instant', messages: [{ role: 'user', content: 'Hi' }] },
    });
    expect(response.statusCode).toBe(404);
    expect(response.json().error).toMatchObject({ code: 'provider_not_configured' });
    expect(response.json().error.message).toContain('GROQ_API_KEY');
  });
});
