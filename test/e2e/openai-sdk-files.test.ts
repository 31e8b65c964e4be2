/**
 * Files and batches through the official openai SDK, against a listening gateway in front of the
 * fake OpenAI: a batch's life from the upload of its input to its output file, each object visible
 * to the key that made it only, and the batch's usage accounted once at the batch price.
 */
import OpenAI, { NotFoundError, toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FakeUpstream } from '../helpers/fake-upstream.js';
import { STORED_RESPONSE_ID, startFakeOpenAI } from '../helpers/fake-openai.js';
import { BATCH_LINE_USAGE, FakeOpenAIFiles } from '../helpers/fake-openai-files.js';
import { OPENAI_KEY, TEST_KEY, authHeaders, buildTestApp, type TestApp } from '../helpers/build-app.js';
import { formatKeyHash } from '../../src/identity.js';

const OTHER_KEY = 'gw-other-key-0123456789';
const RESTRICTED_KEY = 'gw-restricted-key-0123456789';

let upstream: FakeUpstream;
let files: FakeOpenAIFiles;
let gateway: TestApp;
let client: OpenAI;
let other: OpenAI;

const batchInput = (models: string[]) =>
  Buffer.from(
    models
      .map((model, index) =>
        JSON.stringify({
          custom_id: `request-${index}`,
          method: 'POST',
          url: '/v1/chat/completions',
          body: { model, messages: [{ role: 'user', content: `Question ${index}` }] },
        }),
      )
      .join('\n'),
  );

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  files = new FakeOpenAIFiles(upstream);
  gateway = await buildTestApp({
    env: {
      OPENAI_API_KEY: OPENAI_KEY,
      OPENAI_BASE_URL: `${upstream.origin}/v1`,
      GATEWAY_API_KEYS: `${TEST_KEY},${OTHER_KEY}`,
      RATE_LIMITING_ENABLED: 'true',
    },
    configure: (config) => {
      config.gateway.auth.clients.push({
        id: 'restricted',
        name: 'Restricted',
        keyHash: formatKeyHash(RESTRICTED_KEY),
        allowedModels: ['gpt-4o-mini'],
      });
    },
  });
  await gateway.listen();
  client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: TEST_KEY, maxRetries: 0 });
  other = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: OTHER_KEY, maxRetries: 0 });
});

afterAll(async () => {
  await gateway.close();
  await upstream.close();
});

async function usageOf(model: string) {
  const usage = (
    await gateway.app.inject({ method: 'GET', url: '/v1/usage', headers: authHeaders() })
  ).json() as {
    by_model: Record<
      string,
      { requests: number; prompt_tokens: number; completion_tokens: number; cost_usd: number }
    >;
  };
  return usage.by_model[model];
}

describe('a batch from upload to output file', () => {
  it('uploads, batches, finishes, reads the output and accounts its usage once at the batch price', async () => {
    const input = batchInput(['gpt-4o-mini', 'gpt-4o-mini']);
    const { data: file, response } = await client.files
      .create({ file: await toFile(input, 'requests.jsonl'), purpose: 'batch' })
      .withResponse();
    expect(file).toMatchObject({
      object: 'file',
      purpose: 'batch',
      filename: 'requests.jsonl',
      bytes: input.length,
    });
    expect(response.headers.get('x-ratelimit-limit')).toBe('60');
    const sent = upstream.received('/v1/files').at(-1)!;
    expect(sent.headers['authorization']).toBe(`Bearer ${OPENAI_KEY}`);
    expect(files.files.get(file.id)?.bytes.equals(input)).toBe(true);

    const batch = await client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      metadata: { job: 'nightly' },
    });
    expect(batch).toMatchObject({ object: 'batch', status: 'validating', input_file_id: file.id });
    expect((await client.batches.retrieve(batch.id)).status).toBe('validating');
    expect(await usageOf('gpt-4o-mini')).toBeUndefined();

    files.finishBatch(batch.id);
    const finished = await client.batches.retrieve(batch.id);
    expect(finished.status).toBe('completed');
    const output = await client.files.content(finished.output_file_id!);
    const lines = (await output.text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { custom_id: string });
    expect(lines.map((line) => line.custom_id)).toEqual(['request-0', 'request-1']);

    // Accounted after the answer that showed the batch finished, off its critical path.
    await vi.waitFor(async () => expect(await usageOf('gpt-4o-mini')).toBeDefined(), { timeout: 10_000 });
    const accounted = await usageOf('gpt-4o-mini');
    expect(accounted).toMatchObject({
      prompt_tokens: 2 * BATCH_LINE_USAGE.prompt_tokens,
      completion_tokens: 2 * BATCH_LINE_USAGE.completion_tokens,
    });
    // gpt-4o-mini: $0.15 in and $0.60 out per 1M tokens, halved for a batch.
    expect(accounted?.cost_usd).toBeCloseTo((2000 * 0.075 + 1000 * 0.3) / 1e6, 12);
    const line = gateway.logs.lines.find((entry) => entry['msg'] === 'batch usage accounted');
    expect(line).toMatchObject({ batch: batch.id, model: 'gpt-4o-mini' });

    // Read finished again: accounted once only.
    await client.batches.retrieve(batch.id);
    await client.batches.retrieve(batch.id);
    expect(await usageOf('gpt-4o-mini')).toEqual(accounted);
  });

  it('lists, cancels and deletes the key’s own objects', async () => {
    const file = await client.files.create({
      file: await toFile(batchInput(['gpt-4o-mini']), 'one.jsonl'),
      purpose: 'batch',
    });
    const batch = await client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    const listed: string[] = [];
    for await (const each of client.files.list()) listed.push(each.id);
    expect(listed).toContain(file.id);
    const batches: string[] = [];
    for await (const each of client.batches.list({ limit: 1 })) batches.push(each.id);
    expect(batches).toContain(batch.id);

    expect((await client.batches.cancel(batch.id)).status).toBe('cancelling');
    expect(await client.files.delete(file.id)).toEqual({ id: file.id, object: 'file', deleted: true });
    await expect(client.files.retrieve(file.id)).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('a key with a model allow-list', () => {
  it('may batch only the models it may call', async () => {
    const restricted = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: RESTRICTED_KEY, maxRetries: 0 });
    const forbidden = await restricted.files.create({
      file: await toFile(batchInput(['gpt-4o-mini', 'o1-pro']), 'mixed.jsonl'),
      purpose: 'batch',
    });
    const batchesBefore = upstream.received('/v1/batches').length;
    await expect(
      restricted.batches.create({
        input_file_id: forbidden.id,
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
      }),
    ).rejects.toMatchObject({ status: 403, code: 'model_not_allowed', param: 'input_file_id' });
    expect(upstream.received('/v1/batches')).toHaveLength(batchesBefore);
    const allowed = await restricted.files.create({
      file: await toFile(batchInput(['gpt-4o-mini']), 'allowed.jsonl'),
      purpose: 'batch',
    });
    const batch = await restricted.batches.create({
      input_file_id: allowed.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    expect(batch.status).toBe('validating');
  });
});

describe("another key's objects", () => {
  it('are answered 404 everywhere, and left out of its lists', async () => {
    const file = await client.files.create({
      file: await toFile(batchInput(['gpt-4o-mini']), 'mine.jsonl'),
      purpose: 'batch',
    });
    const batch = await client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    const before = upstream.requests.length;
    await expect(other.files.retrieve(file.id)).rejects.toMatchObject({
      status: 404,
      code: 'file_not_found',
    });
    await expect(other.files.content(file.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(other.files.delete(file.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(other.batches.retrieve(batch.id)).rejects.toMatchObject({
      status: 404,
      code: 'batch_not_found',
    });
    await expect(other.batches.cancel(batch.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(
      other.batches.create({
        input_file_id: file.id,
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
      }),
    ).rejects.toMatchObject({ status: 404, param: 'input_file_id' });
    expect(upstream.requests.length).toBe(before);

    const listed: string[] = [];
    for await (const each of other.files.list()) listed.push(each.id);
    expect(listed).toEqual([]);
    const batches: string[] = [];
    for await (const each of other.batches.list()) batches.push(each.id);
    expect(batches).toEqual([]);
    expect(files.files.has(file.id)).toBe(true);
  });

  it("answers 404 for another key's stored response", async () => {
    await client.responses.create({ model: 'o3-pro', input: 'Capital of France?' });
    expect((await client.responses.retrieve(STORED_RESPONSE_ID)).id).toBe(STORED_RESPONSE_ID);
    await expect(other.responses.retrieve(STORED_RESPONSE_ID)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('refuses an upload that is not a multipart form', async () => {
    const response = await fetch(`${gateway.url}/v1/files`, {
      method: 'POST',
      headers: { ...authHeaders(), 'content-type': 'application/json' },
      body: '{}',
    });
    expect(response.status).toBe(415);
    expect(((await response.json()) as { error: { type: string } }).error.type).toBe('validation_error');
  });
});
