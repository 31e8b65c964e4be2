/**
 * The built-in echo provider through the whole gateway, with the openai SDK as client and no
 * provider key set: chat (unary and streamed token by token), embeddings, /v1/models. And the proof
 * of the provider seam: its name appears nowhere outside its folder and its manifest line.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/package-root.js';
import { TEST_KEY, authHeaders, buildTestApp, type TestApp } from '../helpers/build-app.js';
import { assertOpenAISchema } from '../helpers/openai-schemas.js';

let gateway: TestApp;
let client: OpenAI;

beforeAll(async () => {
  gateway = await buildTestApp({ env: { ECHO_DELAY_MS: '1' } });
  const url = await gateway.listen();
  client = new OpenAI({ baseURL: `${url}/v1`, apiKey: TEST_KEY, maxRetries: 0 });
});
afterAll(async () => {
  await gateway.close();
});

const messages: OpenAI.ChatCompletionMessageParam[] = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'First question' },
  { role: 'assistant', content: 'First answer' },
  { role: 'user', content: [{ type: 'text', text: 'Say this back, please.' }] },
];

describe('the echo provider', () => {
  it('answers a chat completion with the last user message, with no provider key set', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'gateway/echo', messages })
      .withResponse();
    assertOpenAISchema('CreateChatCompletionResponse', data);
    expect(data.choices[0]?.message.content).toBe('Say this back, please.');
    expect(data.choices[0]?.finish_reason).toBe('stop');
    expect(data.usage?.completion_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-gateway-provider')).toBe('echo');
  });

  it('streams it token by token, with its usage when asked', async () => {
    const stream = await client.chat.completions.create({
      model: 'gateway/echo',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    const pieces: string[] = [];
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      assertOpenAISchema('CreateChatCompletionStreamResponse', chunk);
      const piece = chunk.choices[0]?.delta?.content;
      if (piece) pieces.push(piece);
      if (chunk.usage) usage = chunk.usage;
    }
    expect(pieces).toEqual(['Say ', 'this ', 'back, ', 'please.']);
    expect(usage?.total_tokens).toBeGreaterThan(0);
  });

  it('accounts a stream whose client did not ask for usage, without sending it', async () => {
    const stream = await client.chat.completions.create({ model: 'gateway/echo', messages, stream: true });
    for await (const chunk of stream) expect(chunk.usage ?? null).toBeNull();
    const line = gateway.logs.accessLines().at(-1)!;
    expect(line['model']).toBe('gateway/echo');
    expect(line['completionTokens']).toBeGreaterThan(0);
  });

  it('answers embeddings with deterministic unit vectors, float and base64', async () => {
    const first = await client.embeddings.create({ model: 'gateway/echo', input: ['one', 'two', 'one'] });
    assertOpenAISchema('CreateEmbeddingResponse', first);
    const [one, two, again] = first.data.map((item) => item.embedding);
    expect(one).toHaveLength(256);
    expect(one).toEqual(again);
    expect(one).not.toEqual(two);
    expect(Math.hypot(...one!)).toBeCloseTo(1, 5);
    // The SDK asks for base64 unless told otherwise and decodes it: the same numbers come back.
    const floats = await client.embeddings.create({
      model: 'gateway/echo',
      input: 'one',
      encoding_format: 'float',
      dimensions: 8,
    });
    expect(floats.data[0]?.embedding).toHaveLength(8);
  });

  it('answers the Responses API, unary and streamed, through the Responses door', async () => {
    const response = await client.responses.create({ model: 'gateway/echo', input: 'Echo me, Responses.' });
    assertOpenAISchema('Response', response);
    expect(response.output_text).toBe('Echo me, Responses.');
    const stream = await client.responses.create({
      model: 'gateway/echo',
      input: [{ role: 'user', content: [{ type: 'input_text', text: 'Streamed back.' }] }],
      stream: true,
    });
    let text = '';
    let completed = false;
    for await (const event of stream) {
      assertOpenAISchema('ResponseStreamEvent', event);
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') completed = true;
    }
    expect(text).toBe('Streamed back.');
    expect(completed).toBe(true);
  });

  it('is listed by /v1/models, and does not make the gateway ready', async () => {
    const models = await client.models.list();
    expect(models.data.map((model) => model.id)).toContain('gateway/echo');
    const ready = await gateway.app.inject({ url: '/v1/health/ready', headers: authHeaders() });
    expect(ready.statusCode).toBe(503);
  });
});

function filesUnder(folder: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(join(PACKAGE_ROOT, folder))) {
    const path = join(folder, name);
    if (statSync(join(PACKAGE_ROOT, path)).isDirectory()) found.push(...filesUnder(path));
    else found.push(path);
  }
  return found;
}

describe('the provider seam', () => {
  it('finds the echo provider nowhere outside its folder and its one manifest line', () => {
    const places = ['src', 'plugins', 'schemas', 'config', 'scripts', 'charts', 'k8s']
      .flatMap(filesUnder)
      .concat(['Dockerfile', 'docker-compose.yml', 'package.json']);
    const mentions = places
      .filter((file) => !file.startsWith(join('plugins', 'providers', 'echo')))
      .flatMap((file) =>
        readFileSync(join(PACKAGE_ROOT, file), 'utf8')
          .split('\n')
          .filter((line) => /\becho\b/i.test(line))
          .map((line) => `${relative('.', file)}: ${line.trim()}`),
      );
    expect(mentions).toEqual([
      // Data, not the provider: OpenAI's speech voice named "echo", mapped to a Gemini voice.
      "plugins/providers/gemini/convert-to-gemini-speech.ts: echo: 'Charon',",
      "plugins/providers/index.ts: (await import('./echo/index.js')).default,",
    ]);
  });
});
