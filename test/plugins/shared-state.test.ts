/**
 * Two gateway instances sharing the real Redis (127.0.0.1:6379) behave as one: a limit is enforced
 * once across both, and what one cached the other serves.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { FakeUpstream } from '../helpers/fake-upstream.js';
import { CHAT_COMPLETION, CHAT_STREAM_USAGE, startFakeOpenAI } from '../helpers/fake-openai.js';
import { OPENAI_KEY, authHeaders, buildTestApp, type TestApp } from '../helpers/build-app.js';
import { assertOpenAISchema } from '../helpers/openai-schemas.js';
import {
  SHARED_REDIS_URL,
  deleteRedisKeys,
  listRedisKeys,
  uniqueRedisPrefix,
} from '../helpers/redis-server.js';
import { formatKeyHash } from '../../src/identity.js';

const GATEWAY_KEY = 'shared-state-test-key-1';
// A client allowed more requests than the test makes, for the cache tests.
const KEY = 'gwk_shared-state-cache-client';
const TOKEN_CLIENT_KEY = 'gwk_shared-state-token-client';
const prefix = uniqueRedisPrefix('shared-state');

let upstream: FakeUpstream;
let replicaA: TestApp;
let replicaB: TestApp;
let question = 0;

async function replica(): Promise<TestApp> {
  return buildTestApp({
    env: {
      OPENAI_API_KEY: OPENAI_KEY,
      OPENAI_BASE_URL: `${upstream.origin}/v1`,
      GATEWAY_API_KEYS: GATEWAY_KEY,
      REDIS_URL: SHARED_REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      CACHE_ENABLED: 'true',
      RATE_LIMITING_ENABLED: 'true',
      RATE_LIMIT_CHAT_RPM: '4',
    },
    configure: (config) => {
      config.gateway.auth.clients = [
        { id: 'cache', name: 'Cache client', keyHash: formatKeyHash(KEY), rateLimits: { chat: 100 } },
        {
          id: 'tokens',
          name: 'Token client',
          keyHash: formatKeyHash(TOKEN_CLIENT_KEY),
          rateLimits: { tokensPerMinute: 40, chat: 100 },
        },
      ];
    },
  });
}

function post(app: TestApp, url: string, body: unknown, key = KEY, headers: Record<string, string> = {}) {
  return app.app.inject({
    method: 'POST',
    url,
    headers: { ...authHeaders(key), 'content-type': 'application/json', ...headers },
    payload: JSON.stringify(body),
  });
}

function freshChat(extra: Record<string, unknown> = {}) {
  question++;
  return { model: 'gpt-4o', messages: [{ role: 'user', content: `Shared question ${question}` }], ...extra };
}

/** Resolves once Redis holds `count` keys of this kind (the gateway writes entries after answering). */
async function entriesStored(kind: 'chat' | 'embeddings', count: number): Promise<void> {
  await expect
    .poll(async () => (await listRedisKeys(prefix)).filter((key) => key.startsWith(`cache:${kind}:`)).length)
    .toBeGreaterThanOrEqual(count);
}

async function redisTtl(key: string): Promise<number> {
  const client = new Redis(SHARED_REDIS_URL);
  try {
    return await client.ttl(key);
  } finally {
    client.disconnect();
  }
}

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  replicaA = await replica();
  replicaB = await replica();
});

afterAll(async () => {
  await replicaA.close();
  await replicaB.close();
  await upstream.close();
  await deleteRedisKeys(prefix);
});

afterEach(() => upstream.reset());

describe('two replicas, one Redis', () => {
  it('enforce one request limit between them', async () => {
    const remaining: string[] = [];
    for (const app of [replicaA, replicaB, replicaA, replicaB]) {
      const response = await post(app, '/v1/chat/completions', freshChat(), GATEWAY_KEY);
      expect(response.statusCode).toBe(200);
      remaining.push(String(response.headers['x-ratelimit-remaining']));
    }
    expect(remaining).toEqual(['3', '2', '1', '0']);
    for (const app of [replicaA, replicaB]) {
      const over = await post(app, '/v1/chat/completions', freshChat(), GATEWAY_KEY);
      expect(over.statusCode).toBe(429);
      assertOpenAISchema('ErrorResponse', over.json());
    }
  });

  it('serve from one what the other cached (unary)', async () => {
    const body = freshChat();
    const first = await post(replicaA, '/v1/chat/completions', body);
    expect(first.headers['x-cache']).toBe('MISS');
    await entriesStored('chat', 1);
    const second = await post(replicaB, '/v1/chat/completions', body);
    expect(second.headers['x-cache']).toBe('HIT');
    expect(second.body).toBe(CHAT_COMPLETION);
    expect(upstream.received()).toHaveLength(1);
  });

  it('serve a stream stored by one as a stream and as a unary answer on the other', async () => {
    const body = freshChat({ stream: true, stream_options: { include_usage: true } });
    const before = (await listRedisKeys(prefix)).filter((key) => key.startsWith('chat:')).length;
    const first = await post(replicaA, '/v1/chat/completions', body);
    expect(first.body).toBe(CHAT_STREAM_USAGE);
    await entriesStored('chat', before + 1);
    const streamed = await post(replicaB, '/v1/chat/completions', body);
    expect(streamed.headers['x-cache']).toBe('HIT');
    expect(streamed.body).toBe(CHAT_STREAM_USAGE);
    const unary = await post(replicaB, '/v1/chat/completions', { ...body, stream: false });
    expect(unary.headers['x-cache']).toBe('HIT');
    assertOpenAISchema('CreateChatCompletionResponse', unary.json());
    expect(upstream.received()).toHaveLength(1);
  });

  it('share embeddings per input item', async () => {
    const model = 'text-embedding-3-small';
    await post(replicaA, '/v1/embeddings', { model, input: ['shared-one', 'shared-two'] });
    await entriesStored('embeddings', 2);
    const mixed = await post(replicaB, '/v1/embeddings', { model, input: ['shared-two', 'shared-three'] });
    expect(mixed.headers['x-gateway-cache-hits']).toBe('1/2');
    expect((upstream.last().json as { input: string[] }).input).toEqual(['shared-three']);
    assertOpenAISchema('CreateEmbeddingResponse', mixed.json());
  });

  it('count tokens per minute once between them', async () => {
    // 30 tokens per answer, 40 per minute: the second answer, on the other replica, reaches the limit.
    await post(replicaA, '/v1/chat/completions', freshChat(), TOKEN_CLIENT_KEY);
    await expect
      .poll(
        async () =>
          (await post(replicaB, '/v1/chat/completions', {}, TOKEN_CLIENT_KEY)).headers[
            'x-ratelimit-remaining-tokens'
          ],
      )
      .toBe('10');
    await post(replicaB, '/v1/chat/completions', freshChat(), TOKEN_CLIENT_KEY);
    await expect
      .poll(
        async () =>
          (await post(replicaA, '/v1/chat/completions', {}, TOKEN_CLIENT_KEY)).headers[
            'x-ratelimit-remaining-tokens'
          ],
      )
      .toBe('0');
    const over = await post(replicaA, '/v1/chat/completions', freshChat(), TOKEN_CLIENT_KEY);
    expect(over.statusCode).toBe(429);
    expect(over.json().error.message).toContain('40 tokens per minute');
  });

  it('keep entries in Redis for the configured TTL, or the one the request asked for', async () => {
    const body = freshChat();
    const before = new Set(await listRedisKeys(prefix));
    await post(replicaA, '/v1/chat/completions', body);
    await post(replicaA, '/v1/chat/completions', freshChat(), KEY, { 'x-gateway-cache-ttl': '7' });
    await entriesStored('chat', [...before].filter((key) => key.startsWith('cache:chat:')).length + 2);
    const added = (await listRedisKeys(prefix)).filter(
      (key) => key.startsWith('cache:chat:') && !before.has(key),
    );
    const ttls = (await Promise.all(added.map((key) => redisTtl(prefix + key)))).sort((a, b) => a - b);
    expect(ttls[0]).toBeGreaterThan(0);
    expect(ttls[0]).toBeLessThanOrEqual(7);
    expect(ttls[1]).toBeGreaterThan(3500);
    expect(ttls[1]).toBeLessThanOrEqual(3600);
  });

  it('write every key under the configured prefix, the cache under its own', async () => {
    const keys = await listRedisKeys(prefix);
    expect(keys.length).toBeGreaterThan(0);
    expect(
      keys.filter(
        (key) =>
          !/^(rate|tokens|cache:chat|cache:embeddings|usage|usage-keys|usage-written|spent):/.test(key),
      ),
    ).toEqual([]);
    // The cache's keys, and they alone among what lasts, carry a TTL: the ones Redis may evict.
    for (const key of keys.filter((each) => /^(cache|usage|usage-keys|spent):/.test(each))) {
      const ttl = await redisTtl(prefix + key);
      if (key.startsWith('cache:')) expect(ttl, key).toBeGreaterThan(0);
      else expect(ttl, key).toBe(-1);
    }
  });
});
