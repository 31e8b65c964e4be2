/**
 * The cache kept apart from accounting: with CACHE_REDIS_URL its entries live in a Redis of their
 * own (a private redis-server here), under CACHE_KEY_PREFIX, each with a TTL no longer than
 * CACHE_MAX_TTL, none larger than CACHE_MAX_ENTRY_BYTES (embedding vectors included); usage stays in
 * the shared Redis and keeps being counted when the cache's Redis stops.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { FakeUpstream } from '../helpers/fake-upstream.js';
import { startFakeOpenAI } from '../helpers/fake-openai.js';
import { OPENAI_KEY, authHeaders, buildTestApp, type TestApp } from '../helpers/build-app.js';
import {
  PrivateRedisServer,
  SHARED_REDIS_URL,
  deleteRedisKeys,
  listRedisKeys,
  uniqueRedisPrefix,
} from '../helpers/redis-server.js';

const prefix = uniqueRedisPrefix('cache-redis');
let upstream: FakeUpstream;
let cacheRedis: PrivateRedisServer;
let gateway: TestApp;
let question = 0;

function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  return gateway.app.inject({
    method: 'POST',
    url,
    headers: { ...authHeaders(), 'content-type': 'application/json', ...headers },
    payload: JSON.stringify(body),
  });
}

function freshChat() {
  question++;
  return { model: 'gpt-4o', messages: [{ role: 'user', content: `Cache Redis question ${question}` }] };
}

async function ttlOf(url: string, key: string): Promise<number> {
  const client = new Redis(url);
  try {
    return await client.ttl(key);
  } finally {
    client.disconnect();
  }
}

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  cacheRedis = await new PrivateRedisServer().start();
  gateway = await buildTestApp({
    env: {
      OPENAI_API_KEY: OPENAI_KEY,
      OPENAI_BASE_URL: `${upstream.origin}/v1`,
      REDIS_URL: SHARED_REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      REDIS_COMMAND_TIMEOUT: '200',
      CACHE_ENABLED: 'true',
      CACHE_REDIS_URL: cacheRedis.url,
      CACHE_KEY_PREFIX: 'answers:',
      CACHE_MAX_TTL: '600',
      // Room for a vector of 8 dimensions, not for one of 512.
      CACHE_MAX_ENTRY_BYTES: '2000',
    },
  });
});

afterAll(async () => {
  await gateway?.close();
  await cacheRedis.stop();
  await upstream.close();
  await deleteRedisKeys(prefix);
});

describe('the cache in a Redis of its own', () => {
  it('keeps entries there, under its prefix and with a TTL, and accounting in the shared Redis', async () => {
    const body = freshChat();
    expect((await post('/v1/chat/completions', body)).headers['x-cache']).toBe('MISS');
    await expect
      .poll(async () => (await listRedisKeys(`${prefix}answers:chat:`, cacheRedis.url)).length)
      .toBe(1);
    expect((await post('/v1/chat/completions', body)).headers['x-cache']).toBe('HIT');
    const [entry] = await listRedisKeys(prefix, cacheRedis.url);
    const ttl = await ttlOf(cacheRedis.url, prefix + entry);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(3600);

    const shared = await listRedisKeys(prefix);
    expect(shared.filter((key) => key.startsWith('answers:') || key.startsWith('chat:'))).toEqual([]);
    expect(shared.some((key) => key.startsWith('usage:'))).toBe(true);
  });

  it('refuses a TTL above CACHE_MAX_TTL, naming the header and the bound', async () => {
    const refused = await post('/v1/chat/completions', freshChat(), { 'x-gateway-cache-ttl': '601' });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.param).toBe('x-gateway-cache-ttl');
    expect(refused.json().error.message).toContain('600');
    const kept = await post('/v1/chat/completions', freshChat(), { 'x-gateway-cache-ttl': '600' });
    expect(kept.statusCode).toBe(200);
  });

  it('stores no embedding larger than CACHE_MAX_ENTRY_BYTES', async () => {
    const model = 'text-embedding-3-small';
    const before = (await listRedisKeys(`${prefix}answers:embeddings:`, cacheRedis.url)).length;
    await post('/v1/embeddings', { model, input: ['small vector'], dimensions: 8 });
    await post('/v1/embeddings', { model, input: ['large vector'], dimensions: 512 });
    await expect
      .poll(async () => (await listRedisKeys(`${prefix}answers:embeddings:`, cacheRedis.url)).length)
      .toBe(before + 1);
    const again = await post('/v1/embeddings', { model, input: ['large vector'], dimensions: 512 });
    expect(again.headers['x-cache']).toBe('MISS');
    expect(
      (await post('/v1/embeddings', { model, input: ['small vector'], dimensions: 8 })).headers['x-cache'],
    ).toBe('HIT');
  });

  it("keeps answering and counting usage when the cache's Redis stops", async () => {
    await cacheRedis.stop();
    const usage = async () =>
      (await gateway.app.inject({ url: '/v1/usage', headers: authHeaders() })).json().total
        .requests as number;
    const counted = await usage();
    const answered = await post('/v1/chat/completions', freshChat());
    expect(answered.statusCode).toBe(200);
    expect(answered.headers['x-cache']).toBe('BYPASS');
    await expect.poll(usage).toBe(counted + 1);
  });
});
