/**
 * The semantic cache never fails a request, nor holds it past its time limit: an embedding model
 * that errors, answers nonsense or does not answer makes the lookup a plain miss.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FakeUpstream } from '../helpers/fake-upstream.js';
import { CHAT_COMPLETION, CHAT_STREAM_USAGE, startFakeOpenAI, withoutUsage } from '../helpers/fake-openai.js';
import { OPENAI_KEY, authHeaders, buildTestApp, type TestApp } from '../helpers/build-app.js';
import { parsePrometheus } from '../helpers/prometheus.js';
import { passThroughOnly } from '../helpers/routing.js';

let upstream: FakeUpstream;
let gateway: TestApp;
let question = 0;

function chat(extra: Record<string, unknown> = {}) {
  question++;
  return gateway.app.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    headers: { ...authHeaders(), 'content-type': 'application/json', 'x-gateway-cache': 'semantic' },
    payload: JSON.stringify({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: `Fault question ${question}` }],
      ...extra,
    }),
  });
}

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  gateway = await buildTestApp({
    env: {
      OPENAI_API_KEY: OPENAI_KEY,
      OPENAI_BASE_URL: `${upstream.origin}/v1`,
      CACHE_ENABLED: 'true',
      CACHE_SEMANTIC_EMBEDDING_MODEL: 'text-embedding-3-small',
      CACHE_SEMANTIC_TIMEOUT: '250',
    },
    configure: passThroughOnly,
  });
});

afterAll(async () => {
  await gateway.close();
  await upstream.close();
});

afterEach(() => upstream.reset());

async function failedLookups(): Promise<number> {
  const metrics = await gateway.app.inject({ url: '/metrics', headers: authHeaders() });
  return parsePrometheus(metrics.body)
    .filter(
      (sample) =>
        sample.name === 'llm_gateway_semantic_cache_lookups_total' &&
        sample.labels['result'] === 'embedding_failed',
    )
    .reduce((sum, sample) => sum + sample.value, 0);
}

describe('semantic cache: the embedding model failing', () => {
  it('says at start that an embedding model it cannot use makes every lookup miss', async () => {
    const misconfigured = await buildTestApp({
      env: { CACHE_ENABLED: 'true', CACHE_SEMANTIC_EMBEDDING_MODEL: 'gpt-4o' },
    });
    try {
      const warning = misconfigured.logs.lines.find((entry) =>
        String(entry['msg']).startsWith('CACHE_SEMANTIC_EMBEDDING_MODEL'),
      );
      expect(warning?.['embeddingModel']).toBe('gpt-4o');
    } finally {
      await misconfigured.close();
    }
  });

  it.each([
    ['errors', { status: 500, json: { error: { message: 'down', type: 'server_error' } } }],
    ['answers without a vector', { status: 200, json: { object: 'list', data: [] } }],
    ['does not answer within the time limit', { hang: 'before-headers' as const }],
    ['cuts the connection', { reset: 'before-headers' as const }],
  ])('an embedding model that %s: a plain miss, the request answered', async (_name, answer) => {
    upstream.route('POST', '/v1/embeddings', () => answer);
    const before = await failedLookups();
    const unary = await chat();
    expect(unary.statusCode).toBe(200);
    expect(unary.headers['x-cache']).toBe('MISS');
    expect(unary.body).toBe(CHAT_COMPLETION);
    const stream = await chat({ stream: true });
    expect(stream.statusCode).toBe(200);
    expect(stream.body).toBe(withoutUsage(CHAT_STREAM_USAGE));
    expect(await failedLookups()).toBe(before + 2);
    expect(upstream.received('/v1/embeddings').length).toBeGreaterThanOrEqual(2);
  });
});
