/**
 * The semantic cache in the real Redis (127.0.0.1:6379), shared by two gateway instances: what one
 * stored, the other answers a paraphrase with; partitions and scopes hold there too.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FakeUpstream } from '../helpers/fake-upstream.js';
import { CHAT_COMPLETION, CHAT_STREAM_USAGE, startFakeOpenAI } from '../helpers/fake-openai.js';
import { ControlledEmbeddings } from '../helpers/fake-embeddings.js';
import { OPENAI_KEY, authHeaders, buildTestApp, type TestApp } from '../helpers/build-app.js';
import {
  SHARED_REDIS_URL,
  deleteRedisKeys,
  listRedisKeys,
  uniqueRedisPrefix,
} from '../helpers/redis-server.js';
import { passThroughOnly } from '../helpers/routing.js';

const KEY_A = 'semantic-redis-key-aaaaaa';
const KEY_B = 'semantic-redis-key-bbbbbb';
const prefix = uniqueRedisPrefix('semantic-cache');
const embeddings = new ControlledEmbeddings();

let upstream: FakeUpstream;
let replicaA: TestApp;
let replicaB: TestApp;
let topic = 0;

function questions() {
  topic++;
  const axis = 2 * topic;
  const at = (cosine: number) => {
    const vector = new Array<number>(axis + 2).fill(0);
    vector[axis] = cosine;
    vector[axis + 1] = Math.sqrt(1 - cosine * cosine);
    return vector;
  };
  const question = `How do I reset my password, case ${topic}?`;
  const paraphrase = `How can I change a forgotten password, case ${topic}?`;
  const nearMiss = `How do I reset my username, case ${topic}?`;
  embeddings.set(question, at(1)).set(paraphrase, at(0.95)).set(nearMiss, at(0.85));
  return { question, paraphrase, nearMiss };
}

async function replica(): Promise<TestApp> {
  return buildTestApp({
    env: {
      OPENAI_API_KEY: OPENAI_KEY,
      OPENAI_BASE_URL: `${upstream.origin}/v1`,
      GATEWAY_API_KEYS: `${KEY_A},${KEY_B}`,
      REDIS_URL: SHARED_REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      CACHE_ENABLED: 'true',
      CACHE_SEMANTIC_EMBEDDING_MODEL: 'text-embedding-3-small',
      CACHE_SEMANTIC_THRESHOLD: '0.9',
      // Generous: these tests are about Redis, not about a late embedding.
      CACHE_SEMANTIC_TIMEOUT: '10000',
    },
    configure: passThroughOnly,
  });
}

function chat(app: TestApp, content: string, key = KEY_A, extra: Record<string, unknown> = {}) {
  return app.app.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    headers: { ...authHeaders(key), 'content-type': 'application/json', 'x-gateway-cache': 'semantic' },
    payload: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content }], ...extra }),
  });
}

/** Resolves once Redis holds `count` semantic answers (they are written after the answer is sent). */
async function answersStored(count: number): Promise<void> {
  await expect
    .poll(
      async () => (await listRedisKeys(prefix)).filter((key) => key.startsWith('semantic-answer:')).length,
    )
    .toBeGreaterThanOrEqual(count);
}

let stored = 0;

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  embeddings.serve(upstream);
  replicaA = await replica();
  replicaB = await replica();
  // Two gateways to start: on a loaded machine that takes longer than one hook's default.
}, 60_000);

afterAll(async () => {
  await replicaA.close();
  await replicaB.close();
  await upstream.close();
  await deleteRedisKeys(prefix);
});

afterEach(() => {
  upstream.reset();
  embeddings.serve(upstream);
});

describe('semantic cache in Redis', () => {
  it("answers a paraphrase on one replica from the other's entry; a near miss misses", async () => {
    const { question, paraphrase, nearMiss } = questions();
    expect((await chat(replicaA, question)).headers['x-cache']).toBe('MISS');
    await answersStored(++stored);
    const hit = await chat(replicaB, paraphrase);
    expect(hit.statusCode).toBe(200);
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.headers['x-gateway-cache-match']).toBe('semantic');
    expect(hit.headers['x-gateway-cache-similarity']).toBe('0.9500');
    expect(hit.body).toBe(CHAT_COMPLETION);
    const near = await chat(replicaB, nearMiss);
    expect(near.headers['x-cache']).toBe('MISS');
    stored++;
    expect(upstream.received('/v1/chat/completions')).toHaveLength(2);
  });

  it('keeps partitions and scopes apart', async () => {
    const { question, paraphrase } = questions();
    await chat(replicaA, question, KEY_A, { temperature: 0 });
    await answersStored(++stored);
    expect((await chat(replicaB, paraphrase, KEY_B, { temperature: 0 })).headers['x-cache']).toBe('MISS');
    expect((await chat(replicaB, paraphrase, KEY_A, { temperature: 1 })).headers['x-cache']).toBe('MISS');
    stored += 2;
    expect((await chat(replicaB, paraphrase, KEY_A, { temperature: 0 })).headers['x-cache']).toBe('HIT');
  });

  it('stores a stream once it ended cleanly and replays it on the other replica', async () => {
    const { question, paraphrase } = questions();
    const streaming = { stream: true, stream_options: { include_usage: true } };
    const first = await chat(replicaA, question, KEY_A, streaming);
    expect(first.body).toBe(CHAT_STREAM_USAGE);
    await answersStored(++stored);
    const replay = await chat(replicaB, paraphrase, KEY_A, streaming);
    expect(replay.headers['x-cache']).toBe('HIT');
    expect(replay.headers['content-type']).toContain('text/event-stream');
    expect(replay.body).toBe(CHAT_STREAM_USAGE);
  });
});
