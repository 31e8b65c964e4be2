/** Usage and cost per key, model and day; budgets; in memory and shared through the real Redis. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadedConfig } from '../../src/config.js';
import { formatKeyHash } from '../../src/identity.js';
import { CHAT_STREAM_USAGE, startFakeOpenAI, streamChat } from '../helpers/fake-openai.js';
import type { FakeUpstream } from '../helpers/fake-upstream.js';
import { OPENAI_KEY, TEST_KEY, authHeaders, buildTestApp, type TestApp } from '../helpers/build-app.js';

const TEAM_KEY = 'team-budget-key-000001';
const OTHER_KEY = 'team-other-key-0000002';
const ADMIN_KEY = 'admin-key-for-usage-0001';
// One gpt-4o call of the fixture: 19 prompt + 11 completion tokens at $2.50 / $10 per 1M.
const UNARY_COST = (19 * 2.5 + 11 * 10) / 1e6;
const STREAM_COST = (24 * 2.5 + 5 * 10) / 1e6;

let upstream: FakeUpstream;

function withClients(budgetUsd: number) {
  return (config: LoadedConfig) => {
    config.gateway.auth.clients = [
      {
        id: 'team',
        name: 'Team',
        keyHash: formatKeyHash(TEAM_KEY),
        budget: { limitUsd: budgetUsd, period: 'daily' },
      },
      { id: 'other', name: 'Other', keyHash: formatKeyHash(OTHER_KEY) },
    ];
  };
}

function env(extra: Record<string, string> = {}) {
  return {
    OPENAI_API_KEY: OPENAI_KEY,
    OPENAI_BASE_URL: `${upstream.origin}/v1`,
    GATEWAY_ADMIN_KEYS: ADMIN_KEY,
    ...extra,
  };
}

function chat(app: TestApp, key: string, body: Record<string, unknown> = {}) {
  return app.app.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    headers: { ...authHeaders(key), 'content-type': 'application/json' },
    payload: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }], ...body }),
  });
}

async function usageOf(app: TestApp, key: string) {
  const response = await app.app.inject({ url: '/v1/usage', headers: authHeaders(key) });
  expect(response.statusCode).toBe(200);
  return response.json();
}

/** Usage is written after the answer; wait until the store shows it. */
async function settled(app: TestApp, key: string, requests: number) {
  await expect.poll(async () => (await usageOf(app, key)).total.requests).toBe(requests);
  return usageOf(app, key);
}

beforeAll(async () => {
  upstream = await startFakeOpenAI();
});
afterAll(() => upstream.close());

describe('usage in memory', () => {
  let gateway: TestApp;
  beforeAll(async () => {
    gateway = await buildTestApp({ env: env(), configure: withClients(100) });
  });
  afterAll(() => gateway.close());

  it('matches the usage the provider reported, unary and streamed, priced at the catalog rates', async () => {
    expect((await chat(gateway, TEAM_KEY)).statusCode).toBe(200);
    upstream.enqueue('POST', '/v1/chat/completions', streamChat(CHAT_STREAM_USAGE, 9));
    expect(
      (await chat(gateway, TEAM_KEY, { stream: true, stream_options: { include_usage: true } })).statusCode,
    ).toBe(200);
    await chat(gateway, OTHER_KEY);

    const usage = await settled(gateway, TEAM_KEY, 2);
    const today = new Date().toISOString().slice(0, 10);
    expect(usage).toMatchObject({ object: 'usage', key: 'team', name: 'Team', to: today });
    expect(usage.total).toEqual({
      requests: 2,
      prompt_tokens: 19 + 24,
      completion_tokens: 11 + 5,
      reasoning_tokens: 0,
      cached_tokens: 0,
      cost_usd: Math.round((UNARY_COST + STREAM_COST) * 1e9) / 1e9,
    });
    expect(Object.keys(usage.by_model)).toEqual(['gpt-4o']);
    expect(usage.days).toHaveLength(1);
    expect(usage.days[0].day).toBe(today);
    expect(usage.budget).toMatchObject({ limit_usd: 100, period: 'daily' });
    expect(usage.budget.spent_usd).toBeCloseTo(UNARY_COST + STREAM_COST, 12);
    // The other key sees only its own.
    expect((await settled(gateway, OTHER_KEY, 1)).total.prompt_tokens).toBe(19);
  });

  it('gives every key to an admin key only', async () => {
    await settled(gateway, TEAM_KEY, 2);
    const denied = await gateway.app.inject({ url: '/v1/usage/keys', headers: authHeaders(TEAM_KEY) });
    expect(denied.statusCode).toBe(403);
    expect(denied.json().error.code).toBe('admin_key_required');
    const admin = await gateway.app.inject({ url: '/v1/usage/keys', headers: authHeaders(ADMIN_KEY) });
    expect(admin.statusCode).toBe(200);
    expect(Object.keys(admin.json().keys)).toEqual(['other', 'team']);
    expect(admin.json().keys.team.total.requests).toBe(2);
  });

  it('validates the range', async () => {
    const bad = await gateway.app.inject({
      url: '/v1/usage?from=2026-13-99x',
      headers: authHeaders(TEAM_KEY),
    });
    expect(bad.statusCode).toBe(400);
    const reversed = await gateway.app.inject({
      url: '/v1/usage?from=2026-02-02&to=2026-01-01',
      headers: authHeaders(TEAM_KEY),
    });
    expect(reversed.statusCode).toBe(400);
    expect(reversed.json().error.param).toBe('from');
  });
});

describe('budgets', () => {
  it('warns past the configured share, then stops the next request with 429 budget_exceeded', async () => {
    // Budget for a little more than one call: the second passes with a warning, the third is refused.
    const gateway = await buildTestApp({ env: env(), configure: withClients(UNARY_COST * 1.1) });
    try {
      const first = await chat(gateway, TEAM_KEY);
      expect(first.statusCode).toBe(200);
      expect(first.headers['x-gateway-budget-warning']).toBeUndefined();
      await settled(gateway, TEAM_KEY, 1);
      const second = await chat(gateway, TEAM_KEY);
      expect(second.statusCode).toBe(200);
      expect(second.headers['x-gateway-budget-warning']).toMatch(/^90% of the daily budget/);
      await settled(gateway, TEAM_KEY, 2);
      upstream.reset();
      const third = await chat(gateway, TEAM_KEY);
      expect(third.statusCode).toBe(429);
      const body = third.json();
      expect(body.error).toMatchObject({ type: 'budget_exceeded', code: 'budget_exceeded' });
      expect(body.error.details).toMatchObject({ period: 'daily' });
      expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
      expect(upstream.requests).toHaveLength(0);
      // A key without a budget is not affected.
      expect((await chat(gateway, OTHER_KEY)).statusCode).toBe(200);
      // Nor are routes that do not call a model.
      expect(
        (await gateway.app.inject({ url: '/v1/models', headers: authHeaders(TEAM_KEY) })).statusCode,
      ).toBe(200);
    } finally {
      await gateway.close();
    }
  });
});

describe('usage shared through Redis', () => {
  it('adds up across replicas and enforces one budget between them', async () => {
    const shared = env({
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: `test-usage-${randomUUID()}:`,
    });
    const one = await buildTestApp({ env: shared, configure: withClients(UNARY_COST * 1.5) });
    const two = await buildTestApp({ env: shared, configure: withClients(UNARY_COST * 1.5) });
    try {
      expect((await chat(one, TEAM_KEY)).statusCode).toBe(200);
      await settled(two, TEAM_KEY, 1);
      expect((await chat(two, TEAM_KEY)).statusCode).toBe(200);
      await settled(one, TEAM_KEY, 2);
      expect((await chat(one, TEAM_KEY)).statusCode).toBe(429);
      expect((await chat(two, TEAM_KEY)).statusCode).toBe(429);
      const usage = await usageOf(one, TEAM_KEY);
      expect(usage.total).toMatchObject({ requests: 2, prompt_tokens: 38, completion_tokens: 22 });
      expect(usage.total.cost_usd).toBeCloseTo(2 * UNARY_COST, 12);
      const admin = await two.app.inject({ url: '/v1/usage/keys', headers: authHeaders(ADMIN_KEY) });
      expect(Object.keys(admin.json().keys)).toEqual(['team']);
      // A gateway key has its usage too, under its hash id.
      await chat(one, TEST_KEY);
      await expect.poll(async () => (await usageOf(two, TEST_KEY)).total.requests).toBe(1);
    } finally {
      await one.close();
      await two.close();
    }
  });
});
