/**
 * Redis down or slow: the gateway keeps answering (cache bypassed, rate limits by policy), reports
 * Redis degraded in health, holds the usage it records meanwhile and writes it when Redis is back,
 * and recovers by itself when Redis is back. The Redis here is a private
 * redis-server child on its own port, stopped and started again mid-test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { FakeUpstream } from '../helpers/fake-upstream.js';
import { startFakeOpenAI } from '../helpers/fake-openai.js';
import { OPENAI_KEY, authHeaders, buildTestApp, type TestApp } from '../helpers/build-app.js';
import { assertOpenAISchema } from '../helpers/openai-schemas.js';
import { parsePrometheus, valueOf } from '../helpers/prometheus.js';
import { PrivateRedisServer, listRedisKeys } from '../helpers/redis-server.js';

const PREFIX = 'outage-test:';
const RECONNECT = { timeout: 15_000, interval: 100 };

let upstream: FakeUpstream;
let redis: PrivateRedisServer;
let open: TestApp;
let closed: TestApp;
let local: TestApp;
let question = 0;

function gatewayWith(
  policy: 'open' | 'closed' | 'local',
  chatRpm: string,
  maxHeldRecords = '50000',
): Promise<TestApp> {
  return buildTestApp({
    env: {
      OPENAI_API_KEY: OPENAI_KEY,
      OPENAI_BASE_URL: `${upstream.origin}/v1`,
      REDIS_URL: redis.url,
      // Each gateway its own keys, so their counters do not add up.
      REDIS_KEY_PREFIX: `${PREFIX}${policy}:`,
      REDIS_COMMAND_TIMEOUT: '200',
      CACHE_ENABLED: 'true',
      RATE_LIMITING_ENABLED: 'true',
      RATE_LIMIT_CHAT_RPM: chatRpm,
      RATE_LIMIT_ON_REDIS_ERROR: policy,
      USAGE_MAX_HELD_RECORDS: maxHeldRecords,
    },
  });
}

function freshChat() {
  question++;
  return { model: 'gpt-4o', messages: [{ role: 'user', content: `Outage question ${question}` }] };
}

function chat(app: TestApp, body: unknown) {
  return app.app.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    headers: { ...authHeaders(), 'content-type': 'application/json' },
    payload: JSON.stringify(body),
  });
}

async function ready(app: TestApp) {
  const response = await app.app.inject({ method: 'GET', url: '/v1/health/ready' });
  return { status: response.statusCode, body: response.json() };
}

async function detailed(app: TestApp) {
  const response = await app.app.inject({
    method: 'GET',
    url: '/v1/health/detailed',
    headers: authHeaders(),
  });
  return response.json();
}

async function usageRequests(app: TestApp): Promise<number> {
  const response = await app.app.inject({ method: 'GET', url: '/v1/usage', headers: authHeaders() });
  expect(response.statusCode).toBe(200);
  return response.json().total.requests;
}

async function usageBuffer(app: TestApp) {
  const response = await app.app.inject({ method: 'GET', url: '/metrics', headers: authHeaders() });
  const samples = parsePrometheus(response.body);
  return {
    held: valueOf(samples, 'llm_gateway_usage_records_held'),
    dropped: valueOf(samples, 'llm_gateway_usage_records_dropped_total'),
  };
}

function linesOf(app: TestApp, event: string) {
  return app.logs.lines.filter((line) => line['event'] === event);
}

async function storedChatEntries(): Promise<number> {
  return (await listRedisKeys(`${PREFIX}open:`, redis.url)).filter((key) => key.startsWith('cache:chat:'))
    .length;
}

/** A chat request answered by the upstream, stored in Redis, then served from it (`open` only). */
async function expectCacheWorks(app: TestApp): Promise<void> {
  const body = freshChat();
  const before = await storedChatEntries();
  expect((await chat(app, body)).headers['x-cache']).toBe('MISS');
  await expect.poll(storedChatEntries).toBeGreaterThan(before);
  expect((await chat(app, body)).headers['x-cache']).toBe('HIT');
}

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  redis = await new PrivateRedisServer().start();
  open = await gatewayWith('open', '100');
  closed = await gatewayWith('closed', '100');
  // Room for one usage record while Redis is down: the second is dropped and counted.
  local = await gatewayWith('local', '2', '1');
  // Three gateways and a redis-server: longer than one gateway takes to start on a loaded machine.
}, 40_000);

afterAll(async () => {
  await open?.close();
  await closed?.close();
  await local?.close();
  await redis.stop();
  await upstream.close();
});

describe('Redis outage and recovery', () => {
  it('works normally while Redis is up', async () => {
    const health = await ready(open);
    expect(health.status).toBe(200);
    expect(health.body.checks.redis).toEqual({ ok: true, message: 'connected' });
    expect((await detailed(open)).redis.status).toBe('up');
    await expectCacheWorks(open);
  });

  it('keeps answering when Redis stops: cache bypassed, rate limits by policy, health degraded', async () => {
    await redis.stop();
    for (const app of [open, closed, local]) {
      await expect.poll(async () => (await detailed(app)).redis.status, RECONNECT).toBe('down');
    }

    const answered = await chat(open, freshChat());
    expect(answered.statusCode).toBe(200);
    // Usage recorded meanwhile is held in memory, with one warning for the outage.
    for (let index = 0; index < 4; index++) expect((await chat(open, freshChat())).statusCode).toBe(200);
    await expect.poll(async () => (await usageBuffer(open)).held).toBe(5);
    expect(linesOf(open, 'usage_held')).toHaveLength(1);
    expect(linesOf(open, 'usage_held')[0]!['level']).toBe(40);
    expect(answered.headers['x-cache']).toBe('BYPASS');
    expect(answered.headers['x-ratelimit-limit']).toBe('100');
    assertOpenAISchema('CreateChatCompletionResponse', answered.json());

    const openReady = await ready(open);
    expect(openReady.status).toBe(200);
    expect(openReady.body.checks.redis.ok).toBe(true);
    expect(openReady.body.checks.redis.message).toMatch(/^degraded: Redis is unreachable/);
    // The readiness answer needs no key: it names no internal address (the detailed health does).
    const redisAddress = new URL(redis.url).host;
    expect(JSON.stringify(openReady.body)).not.toContain(redisAddress);
    expect(JSON.stringify((await ready(closed)).body)).not.toContain(redisAddress);
    expect(JSON.stringify(openReady.body)).not.toContain(upstream.origin);
    const openDetailed = await detailed(open);
    expect(openDetailed.status).toBe('degraded');
    expect(openDetailed.redis.lastError).toBeTruthy();
    expect(open.logs.lines.some((line) => line['event'] === 'redis_down')).toBe(true);

    // Fail closed: model calls are refused with a clear 503, and the instance is not ready.
    const refused = await chat(closed, freshChat());
    expect(refused.statusCode).toBe(503);
    assertOpenAISchema('ErrorResponse', refused.json());
    expect(refused.json().error.code).toBe('rate_limit_unavailable');
    expect(refused.headers['retry-after']).toBe('1');
    expect((await ready(closed)).status).toBe(503);

    // Local: counted in this instance until Redis is back.
    expect((await chat(local, freshChat())).statusCode).toBe(200);
    expect((await chat(local, freshChat())).statusCode).toBe(200);
    expect((await chat(local, freshChat())).statusCode).toBe(429);
    await expect.poll(async () => usageBuffer(local)).toEqual({ held: 1, dropped: 1 });
  });

  it('recovers by itself when Redis is back', async () => {
    await redis.start();
    for (const app of [open, closed, local]) {
      await expect.poll(async () => (await detailed(app)).redis.status, RECONNECT).toBe('up');
    }
    // The held usage is written once (the restarted Redis kept nothing else), before anything new.
    await expect.poll(async () => usageRequests(open), RECONNECT).toBe(5);
    expect(await usageBuffer(open)).toEqual({ held: 0, dropped: 0 });
    expect(linesOf(open, 'usage_written_after_outage')).toHaveLength(1);
    await expect.poll(async () => usageRequests(local), RECONNECT).toBe(1);
    expect(await usageBuffer(local)).toEqual({ held: 0, dropped: 1 });
    expect((await ready(open)).body.checks.redis).toEqual({ ok: true, message: 'connected' });
    expect((await ready(closed)).status).toBe(200);
    expect((await chat(closed, freshChat())).statusCode).toBe(200);
    await expectCacheWorks(open);
    expect(open.logs.lines.some((line) => line['event'] === 'redis_recovered')).toBe(true);
    // Back on the shared counters: the local ones no longer apply.
    expect((await chat(local, freshChat())).statusCode).toBe(200);
  });

  it('does not wait on a Redis that stops answering: commands time out and the request is served', async () => {
    const admin = new Redis(redis.url);
    try {
      // Every client's commands (the gateway's included) wait until the pause ends.
      await admin.call('CLIENT', 'PAUSE', '1000', 'ALL');
      const response = await chat(open, freshChat());
      expect(response.statusCode).toBe(200);
      expect(response.headers['x-cache']).toBe('BYPASS');
    } finally {
      admin.disconnect();
    }
  });
});

describe('start without Redis', () => {
  it('fails with a message naming REDIS_URL when Redis does not answer', async () => {
    const nowhere = new PrivateRedisServer();
    await nowhere.start();
    const url = nowhere.url;
    await nowhere.stop();
    await expect(
      buildTestApp({
        env: { REDIS_URL: url.replace('redis://', 'redis://user:hunter2@'), REDIS_KEY_PREFIX: PREFIX },
        configure: (config) => {
          config.gateway.redis.connectTimeout = 500;
        },
      }),
    ).rejects.toThrow(
      /Redis at REDIS_URL redis:\/\/user:\*\*\*@127\.0\.0\.1:\d+\/? did not answer within 500 ms/,
    );
  });
});
